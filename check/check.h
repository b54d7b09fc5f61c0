// `flowtop --check` and `flowtopd --check`: one screen that says what works
// on this host and what to do about what does not. Each line is one thing
// flowtop needs or uses: conntrack tracking in this network namespace, the
// conntrack sysctls, the table's fill, the netlink receive buffer,
// capabilities, the GeoIP and ASN databases, the DNS resolver, eBPF
// process attribution.
#ifndef FLOWTOP_CHECK_CHECK_H_
#define FLOWTOP_CHECK_CHECK_H_

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace flowtop::check {

enum class Level {
  kOk,
  kWarn,  // works, with less (no GeoIP, no process names, ...)
  kFail,  // flowtop cannot show flows until this is fixed
  kInfo,  // not a requirement (e.g. an optional part not built in)
};

struct CheckLine {
  Level level = Level::kOk;
  std::string what;    // "conntrack", "GeoIP city", ...
  std::string detail;  // what was found
  std::string hint;    // what to do; empty when nothing is needed
};

struct CheckOptions {
  std::string program = "flowtop";  // named in the hints
  std::string proc_sys_netfilter = "/proc/sys/net/netfilter";
  std::string proc_self_status = "/proc/self/status";
  // GeoIP databases: these files, and every *.mmdb in these directories
  // (empty: DefaultGeoIpSearchPath()).
  std::vector<std::string> geoip_files;
  std::vector<std::string> geoip_dirs;
  bool dns = true;  // ask the resolver (at most ~2 s)
  // The netlink receive buffer flowtop asks for (--rcvbuf).
  int rcvbuf = 64 << 20;
  // Set when --enable-conntrack would be given: tracking is then not a
  // failure, only what the table would do.
  bool enable_conntrack = false;
  absl::Time now = absl::Now();
};

struct CheckReport {
  std::vector<CheckLine> lines;
  // False when any line is kFail.
  bool CanWork() const;
};

CheckReport RunChecks(const CheckOptions& options);

// The screen: one line per check, hints indented below, and a verdict.
std::string FormatReport(const CheckReport& report, const CheckOptions& options);

// The parts, for tests and for the TUI.
CheckLine CheckConntrack(const CheckOptions& options);
CheckLine CheckSysctls(const CheckOptions& options);
CheckLine CheckTableFill(const CheckOptions& options);
CheckLine CheckNetlinkBuffer(const CheckOptions& options);
CheckLine CheckCapabilities(const CheckOptions& options);
std::vector<CheckLine> CheckGeoIp(const CheckOptions& options);
CheckLine CheckDns(const CheckOptions& options);

}  // namespace flowtop::check

#endif  // FLOWTOP_CHECK_CHECK_H_
