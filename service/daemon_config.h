// DaemonConfig: everything flowtopd can be told, from its command line and
// from its config file (conf/flowtopd.conf), which use the same names: the
// long option `--ring-size 65536` is the line `ring-size = 65536`.
//
// The file is read first (--config FILE, default /etc/flowtop/flowtopd.conf
// when it exists), then the command line overrides it. SIGHUP re-reads both.
#ifndef FLOWTOP_SERVICE_DAEMON_CONFIG_H_
#define FLOWTOP_SERVICE_DAEMON_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/cli_util.h"
#include "service/server.h"

namespace flowtop::service {

inline constexpr char kDefaultConfigFile[] = "/etc/flowtop/flowtopd.conf";

// The collector's options, handed to the kernel source. The families and
// protocols are the shared protocol-selection group (-4 -6 -T -U -D -I -S,
// cli/cli_util.h): neither family set: both; no protocol set: all.
struct CollectorFlags : cli::ProtocolSelection {
  absl::Duration interval = absl::Seconds(1);  // counters/rates refresh
  size_t max_flows = size_t{1} << 20;
  int rcvbuf = 64 << 20;  // netlink socket receive buffer, bytes
};

// Enrichment (process, reverse DNS, GeoIP, service names), off the event
// path; see collector/enrich/enricher.h.
struct EnrichFlags {
  bool no_dns = false;       // -n, --no-dns
  bool no_geoip = false;     // -G, --no-geoip
  bool no_process = false;   // --no-process
  bool no_bpf = false;       // --no-bpf: process attribution by sock_diag only
  bool off = false;          // --no-enrich: none of it
  std::vector<std::string> geoip_files;  // --geoip-db FILE (repeatable)
  std::vector<std::string> geoip_dirs;   // --geoip-dir DIR (repeatable)
};

// Feeds for a fleet's engines (see exporters/): IPFIX collectors and the
// Prometheus metrics endpoint.
struct ExportFlags {
  std::vector<std::string> ipfix;  // --ipfix HOST:PORT (repeatable)
  absl::Duration active_timeout = absl::Seconds(60);  // --ipfix-active-timeout
  absl::Duration template_refresh = absl::Seconds(60);  // --ipfix-template-refresh
  bool process_fields = false;     // --ipfix-process
  uint32_t pen = 32473;            // --ipfix-pen
  uint32_t observation_domain = 0;  // --ipfix-domain (0: from the node name)
  size_t max_message = 1400;       // --ipfix-mtu
  std::string metrics;             // --metrics ADDR:PORT (empty: off)
  // --tls-cert/--tls-key contents for --metrics, read before privileges go.
  std::string tls_cert_pem, tls_key_pem;
};

struct DaemonConfig {
  ServerOptions server;
  std::string node_name;  // default: the host name
  bool node_name_given = false;  // --node-name (or node-name =) was given
  size_t ring_size = size_t{1} << 16;
  std::string config_file;  // empty: kDefaultConfigFile if it exists
  std::string token_file;
  // The token itself when already read from token_file (flowtopd reads it
  // before dropping privileges); empty: Daemon::Start reads the file.
  std::string token;
  int max_streams = 64;
  std::string user;  // switch to this user after start-up (optional)
  CollectorFlags collector;
  // --replay FILE: serve a recording instead of the kernel (replay area).
  std::string replay_file;
  double replay_speed = 1.0;  // 0: as fast as possible
  bool replay_loop = false;
  EnrichFlags enrich;
  ExportFlags exports;
  bool help = false;
  bool version = false;
  bool check = false;             // --check: report what works, exit
  bool enable_conntrack = false;  // --enable-conntrack (check/conntrack_enabler.h)
};

// Returns the usage text (--help).
std::string Usage();

// Parses the command line (and the config file it names or the default
// one). Returns INVALID_ARGUMENT with one line naming the bad option or
// value, e.g. "--ring-size: '1000' is not a power of two", or the config
// file's error, e.g. "flowtopd.conf:12: unknown option 'foo'".
absl::StatusOr<DaemonConfig> ParseCommandLine(int argc, char** argv);

// Applies a config file's text to `config`. `name` is how errors name the
// file (its base name). Lines are `option = value` or `option` (flags), `#`
// starts a comment. Returns INVALID_ARGUMENT "NAME:LINE: ..." on a bad line.
absl::Status ApplyConfigText(const std::string& name, const std::string& text,
                             DaemonConfig* config);

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_DAEMON_CONFIG_H_
