// ServiceNames: the port -> service name table and the heuristic that names
// a flow's service ("https", "domain", ...).
//
// Names come from flowtop's own tables (conf/tcp.conf and conf/udp.conf, one
// "<port>, <name>" per line, as in the original flowtop) and, for ports they
// do not name, from /etc/services. A bad line is reported with its file and
// line number and skipped; it never stops loading.
//
// The heuristic (Guess) picks the well-known end of a flow: the port that has
// a name; when both have one, the port below 1024 if exactly one is; when both
// or neither are below 1024, the lower port (ephemeral client ports are high).
//
// Immutable after loading, so lookups are thread-safe.
#ifndef FLOWTOP_COLLECTOR_ENRICH_SERVICES_H_
#define FLOWTOP_COLLECTOR_ENRICH_SERVICES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector::enrich {

struct ServiceFiles {
  // Empty paths are not read. A configured file that cannot be read is a
  // problem (reported), never fatal.
  std::string tcp_conf;
  std::string udp_conf;
  std::string etc_services = "/etc/services";
};

class ServiceNames {
 public:
  ServiceNames() = default;

  // Loads every file named in `files`. Problems (unreadable files, bad lines
  // as "file:line: what is wrong") are appended to `problems`; loading goes on.
  // Returns the table (possibly empty).
  static ServiceNames Load(const ServiceFiles& files,
                           std::vector<std::string>* problems);

  // Reads a "<port>, <name>" file for `protocol` (TCP or UDP). Bad lines are
  // appended to `problems` and skipped. Entries from these files win over
  // /etc/services. Returns NOT_FOUND when the file cannot be opened.
  absl::Status AddConf(const std::string& path, v1::L4Protocol protocol,
                       std::vector<std::string>* problems);

  // Reads an /etc/services-format file ("name port/proto [aliases] [# ...]"),
  // filling only ports the conf files left unnamed. Returns NOT_FOUND when the
  // file cannot be opened.
  absl::Status AddEtcServices(const std::string& path,
                              std::vector<std::string>* problems);

  // Returns the name of `port` for `protocol` (UDP-lite uses the UDP table,
  // DCCP and SCTP their own), or "" when none is known.
  absl::string_view Name(v1::L4Protocol protocol, uint32_t port) const;

  // Returns the service of a flow by the heuristic above, or "" when neither
  // port has a name or the protocol has no ports.
  std::string Guess(v1::L4Protocol protocol, uint32_t src_port,
                    uint32_t dst_port) const;

  size_t size() const;

 private:
  enum Table { kTcp, kUdp, kSctp, kDccp, kNumTables };
  static int TableFor(v1::L4Protocol protocol);

  absl::flat_hash_map<uint32_t, std::string> tables_[kNumTables];
};

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_SERVICES_H_
