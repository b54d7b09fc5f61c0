// DnsServer: a real DNS server (Debian's dnsmasq) for tests, started inside a
// test network namespace on 127.0.0.1:53 with fixed PTR records, logging
// every query it receives so tests can count them.
#ifndef FLOWTOP_TESTS_ENRICH_DNS_SERVER_H_
#define FLOWTOP_TESTS_ENRICH_DNS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/netns/netns.h"

namespace flowtop::testing {

class DnsServer {
 public:
  // Starts dnsmasq in `ns` (which must outlive the server) answering for
  // `records` ("name,address" pairs: A/AAAA and PTR, TTL 600 s); other
  // private addresses get NXDOMAIN. Returns INTERNAL naming the failure
  // (e.g. dnsmasq not installed).
  static absl::StatusOr<std::unique_ptr<DnsServer>> Start(
      NetNs& ns, const std::vector<std::string>& records);
  ~DnsServer();  // stops dnsmasq

  // Returns how many queries for `name` (e.g. "4.3.2.10.in-addr.arpa") the
  // server has received.
  int QueriesFor(const std::string& name) const;

 private:
  DnsServer() = default;
  std::string dir_;
  int pid_ = -1;
};

}  // namespace flowtop::testing

#endif  // FLOWTOP_TESTS_ENRICH_DNS_SERVER_H_
