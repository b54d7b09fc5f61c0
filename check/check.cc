#include "check/check.h"

#include <arpa/inet.h>
#include <ares.h>
#include <dirent.h>
#include <linux/netlink.h>
#include <maxminddb.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "check/conntrack_probe.h"
#include "check/ebpf_check.h"
#include "collector/enrich/geoip.h"

namespace flowtop::check {
namespace {

bool ReadNumber(const std::string& path, uint64_t* out) {
  std::ifstream in(path);
  return static_cast<bool>(in >> *out);
}

std::string Mib(uint64_t bytes) {
  return bytes >= (1 << 20) ? absl::StrCat(bytes >> 20, " MiB") : absl::StrCat(bytes >> 10, " KiB");
}

// The effective capability set from /proc/self/status; 0 if unreadable.
uint64_t EffectiveCaps(const std::string& status_file) {
  std::ifstream in(status_file);
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "CapEff:")) return std::stoull(line.substr(7), nullptr, 16);
  }
  return 0;
}

constexpr int kCapDacReadSearch = 2;
constexpr int kCapNetAdmin = 12;
constexpr int kCapSysPtrace = 19;

std::vector<std::string> MmdbFiles(const CheckOptions& options) {
  std::vector<std::string> files = options.geoip_files;
  std::vector<std::string> dirs = options.geoip_dirs;
  if (dirs.empty() && files.empty()) dirs = collector::enrich::DefaultGeoIpSearchPath();
  for (const std::string& dir : dirs) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) continue;
    std::vector<std::string> here;
    while (dirent* e = readdir(d)) {
      if (absl::EndsWith(e->d_name, ".mmdb")) here.push_back(absl::StrCat(dir, "/", e->d_name));
    }
    closedir(d);
    std::sort(here.begin(), here.end());
    files.insert(files.end(), here.begin(), here.end());
  }
  return files;
}

struct DnsAnswer {
  bool done = false;
  int status = 0;
};

void OnHost(void* arg, int status, int, hostent*) {
  auto* answer = static_cast<DnsAnswer*>(arg);
  answer->done = true;
  answer->status = status;
}

// The resolver's servers, "192.0.2.53, 2001:db8::53".
std::string ServerNames(ares_channel channel) {
  ares_addr_port_node* servers = nullptr;
  if (ares_get_servers_ports(channel, &servers) != ARES_SUCCESS) return "?";
  std::vector<std::string> names;
  for (ares_addr_port_node* s = servers; s != nullptr; s = s->next) {
    char text[INET6_ADDRSTRLEN] = "?";
    inet_ntop(s->family, &s->addr, text, sizeof(text));
    names.push_back(text);
  }
  ares_free_data(servers);
  return names.empty() ? "no server" : absl::StrJoin(names, ", ");
}

}  // namespace

bool CheckReport::CanWork() const {
  return std::none_of(lines.begin(), lines.end(),
                      [](const CheckLine& l) { return l.level == Level::kFail; });
}

CheckLine CheckConntrack(const CheckOptions& options) {
  const TrackingResult t = ProbeTracking(options.proc_sys_netfilter);
  switch (t.state) {
    case Tracking::kActive:
      return {Level::kOk, "conntrack", t.detail, ""};
    case Tracking::kInactive:
      if (options.enable_conntrack) {
        return {Level::kOk, "conntrack", "not tracking yet; --enable-conntrack turns it on", ""};
      }
      return {Level::kFail, "conntrack", t.detail,
              absl::StrCat("run '", options.program,
                           " --enable-conntrack' (tracking on while it runs), or keep it on with: ",
                           KeepTrackingCommand())};
    case Tracking::kNoModule:
      return {Level::kFail, "conntrack", t.detail,
              "modprobe nf_conntrack (in a container: on the host)"};
    case Tracking::kUnknown:
      break;
  }
  return {Level::kWarn, "conntrack", t.detail, "ip link set lo up, then check again"};
}

CheckLine CheckSysctls(const CheckOptions& options) {
  const std::string& dir = options.proc_sys_netfilter;
  uint64_t acct = 0, timestamp = 0, events = 0;
  if (!ReadNumber(dir + "/nf_conntrack_acct", &acct) ||
      !ReadNumber(dir + "/nf_conntrack_events", &events)) {
    return {Level::kFail, "sysctls", absl::StrCat("cannot read ", dir, "/nf_conntrack_*"),
            "modprobe nf_conntrack"};
  }
  ReadNumber(dir + "/nf_conntrack_timestamp", &timestamp);
  CheckLine line{Level::kOk, "sysctls",
                 absl::StrCat("acct ", acct, ", timestamp ", timestamp, ", events ", events), ""};
  if (events == 0) {
    line.level = Level::kFail;
    line.hint = "the kernel sends no conntrack events: sysctl -w net.netfilter.nf_conntrack_events=1";
  } else if (acct == 0 || timestamp == 0) {
    line.hint = absl::StrCat(options.program,
                             " turns acct and timestamp on while it runs (counters and ages) and "
                             "restores them; to keep them on: sysctl -w "
                             "net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1");
  }
  return line;
}

CheckLine CheckTableFill(const CheckOptions& options) {
  uint64_t count = 0, max = 0;
  if (!ReadNumber(options.proc_sys_netfilter + "/nf_conntrack_count", &count) ||
      !ReadNumber(options.proc_sys_netfilter + "/nf_conntrack_max", &max) || max == 0) {
    return {Level::kWarn, "table", "nf_conntrack_count/max unreadable", ""};
  }
  const uint64_t percent = count * 100 / max;
  CheckLine line{Level::kOk, "table", absl::StrCat(count, " of ", max, " entries (", percent, "%)"),
                 ""};
  if (percent >= 90) {
    line.level = Level::kWarn;
    line.hint = absl::StrCat("nearly full: new flows get dropped; raise it: sysctl -w "
                             "net.netfilter.nf_conntrack_max=", max * 2);
  }
  return line;
}

CheckLine CheckNetlinkBuffer(const CheckOptions& options) {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return {Level::kFail, "netlink", "cannot open a netfilter netlink socket", ""};
  int want = options.rcvbuf;
  const bool forced = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) == 0;
  if (!forced) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
  int got = 0;
  socklen_t len = sizeof(got);
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
  close(fd);
  // The kernel reports twice what it was asked (bookkeeping).
  const uint64_t effective = static_cast<uint64_t>(got) / 2;
  CheckLine line{Level::kOk, "netlink buffer",
                 absl::StrCat(Mib(effective), " receive buffer",
                              forced ? " (SO_RCVBUFFORCE)" : " (limited by net.core.rmem_max)"),
                 ""};
  if (effective < static_cast<uint64_t>(options.rcvbuf)) {
    line.level = Level::kWarn;
    line.hint = absl::StrCat("bursts may overflow it (counted as LOST, then resynced); run with "
                             "CAP_NET_ADMIN, or: sysctl -w net.core.rmem_max=", options.rcvbuf);
  }
  return line;
}

CheckLine CheckCapabilities(const CheckOptions& options) {
  const uint64_t caps = EffectiveCaps(options.proc_self_status);
  auto has = [caps](int cap) { return (caps >> cap) & 1; };
  std::vector<std::string> have, missing;
  for (auto [cap, name] : {std::pair{kCapNetAdmin, "CAP_NET_ADMIN"},
                           std::pair{kCapSysPtrace, "CAP_SYS_PTRACE"},
                           std::pair{kCapDacReadSearch, "CAP_DAC_READ_SEARCH"}}) {
    (has(cap) ? have : missing).push_back(name);
  }
  const std::string detail =
      absl::StrCat(have.empty() ? "none" : absl::StrJoin(have, " "),
                   missing.empty() ? "" : absl::StrCat(" (missing: ", absl::StrJoin(missing, " "), ")"));
  if (!has(kCapNetAdmin)) {
    return {Level::kFail, "capabilities", detail,
            absl::StrCat("local mode reads conntrack and needs CAP_NET_ADMIN: run it as root "
                         "(sudo ", options.program, "), or 'setcap "
                         "cap_net_admin,cap_sys_ptrace,cap_dac_read_search+ep' on the binary")};
  }
  if (!missing.empty()) {
    return {Level::kWarn, "capabilities", detail,
            "process names of other users' sockets need CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH"};
  }
  return {Level::kOk, "capabilities", detail, ""};
}

std::vector<CheckLine> CheckGeoIp(const CheckOptions& options) {
  std::vector<CheckLine> lines;
  bool city = false, asn = false;
  for (const std::string& path : MmdbFiles(options)) {
    MMDB_s db;
    if (MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db) != MMDB_SUCCESS) {
      lines.push_back({Level::kWarn, "GeoIP", absl::StrCat(path, ": not a readable .mmdb"),
                       "remove it or fetch it again (tools/fetch-geoip.sh)"});
      continue;
    }
    const std::string type = db.metadata.database_type;
    const absl::Time built = absl::FromUnixSeconds(static_cast<int64_t>(db.metadata.build_epoch));
    MMDB_close(&db);
    const bool is_asn = absl::StrContains(absl::AsciiStrToUpper(type), "ASN");
    (is_asn ? asn : city) = true;
    const int64_t days = absl::ToInt64Hours(options.now - built) / 24;
    CheckLine line{Level::kOk, is_asn ? "ASN database" : "GeoIP database",
                   absl::StrCat(path, " (", type, ", built ",
                                absl::FormatTime("%Y-%m-%d", built, absl::UTCTimeZone()), ", ",
                                days, " days old)"),
                   ""};
    if (days > 90) {
      line.level = Level::kWarn;
      line.hint = absl::StrCat("old: addresses move; update with tools/fetch-geoip.sh or '",
                               options.program == "flowtopd" ? "flowtop" : options.program,
                               " --update'");
    }
    lines.push_back(std::move(line));
  }
  if (!city) {
    lines.push_back({Level::kWarn, "GeoIP database", "none found (country and city stay empty)",
                     "tools/fetch-geoip.sh (or flowtop --update) installs the free DB-IP Lite databases"});
  }
  if (!asn) {
    lines.push_back({Level::kWarn, "ASN database", "none found (AS number and organisation stay empty)",
                     "tools/fetch-geoip.sh installs one (@ip-location-db/asn, CC BY 4.0)"});
  }
  return lines;
}

CheckLine CheckDns(const CheckOptions& options) {
  if (!options.dns) return {Level::kInfo, "DNS", "not checked", ""};
  ares_channel channel;
  ares_options ao{};
  ao.timeout = 1000;
  ao.tries = 2;
  if (ares_init_options(&channel, &ao, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) != ARES_SUCCESS) {
    return {Level::kWarn, "DNS", "no resolver configured (/etc/resolv.conf)",
            "names stay numeric; add a nameserver to /etc/resolv.conf"};
  }
  const std::string names = ServerNames(channel);
  // A reverse lookup of 127.0.0.1: any answer, even "no name", shows the
  // resolver is reachable.
  const unsigned char loopback[4] = {127, 0, 0, 1};
  DnsAnswer answer;
  const absl::Time start = absl::Now();
  ares_gethostbyaddr(channel, loopback, sizeof(loopback), AF_INET, OnHost, &answer);
  while (!answer.done) {
    fd_set readers, writers;
    FD_ZERO(&readers);
    FD_ZERO(&writers);
    const int nfds = ares_fds(channel, &readers, &writers);
    if (nfds == 0) break;
    timeval tv, *tvp = ares_timeout(channel, nullptr, &tv);
    select(nfds, &readers, &writers, nullptr, tvp);
    ares_process(channel, &readers, &writers);
  }
  ares_destroy(channel);
  const int64_t ms = absl::ToInt64Milliseconds(absl::Now() - start);
  if (answer.status == ARES_SUCCESS || answer.status == ARES_ENOTFOUND) {
    return {Level::kOk, "DNS", absl::StrCat(names, " answered in ", ms, " ms"), ""};
  }
  return {Level::kWarn, "DNS", absl::StrCat(names, ": ", ares_strerror(answer.status)),
          "reverse DNS names stay empty (-n turns lookups off)"};
}

CheckReport RunChecks(const CheckOptions& options) {
  CheckReport report;
  auto add = [&](CheckLine line) { report.lines.push_back(std::move(line)); };
  add(CheckConntrack(options));
  add(CheckSysctls(options));
  add(CheckTableFill(options));
  add(CheckNetlinkBuffer(options));
  add(CheckCapabilities(options));
  for (CheckLine& line : CheckGeoIp(options)) add(std::move(line));
  add(CheckDns(options));
  add(CheckEbpfAttribution(options));
  return report;
}

std::string FormatReport(const CheckReport& report, const CheckOptions& options) {
  std::string out = absl::StrCat(options.program, " --check: what ", options.program,
                                 " needs on this host (this network namespace)\n");
  int fails = 0, warns = 0;
  for (const CheckLine& l : report.lines) {
    const char* tag = l.level == Level::kOk     ? "ok  "
                      : l.level == Level::kWarn ? "WARN"
                      : l.level == Level::kFail ? "FAIL"
                                                : "info";
    fails += l.level == Level::kFail;
    warns += l.level == Level::kWarn;
    std::string what = l.what;
    what.resize(std::max<size_t>(what.size(), 15), ' ');
    absl::StrAppend(&out, "  ", tag, "  ", what, " ", l.detail, "\n");
    if (!l.hint.empty()) absl::StrAppend(&out, "        ", std::string(15, ' '), " -> ", l.hint, "\n");
  }
  absl::StrAppend(&out, fails == 0 ? absl::StrCat(options.program, " can work")
                                   : absl::StrCat(options.program, " cannot show flows until the FAIL lines are fixed"),
                  " (", fails, " failed, ", warns, " warnings)\n");
  return out;
}

}  // namespace flowtop::check
