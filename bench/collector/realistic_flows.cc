#include "bench/collector/realistic_flows.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/flow_key.h"

namespace flowtop::bench {
namespace {

std::string V4(uint32_t x) {
  std::string s(4, '\0');
  for (int b = 0; b < 4; ++b) s[b] = static_cast<char>(x >> (24 - 8 * b));
  return s;
}

constexpr const char* kProcesses[] = {"firefox-esr", "curl", "sshd", "chrome",
                                      "apt", "systemd-resolve", "nginx", "postgres"};
constexpr const char* kCountries[] = {"DE", "US", "FR", "JP", "NL", "GB", "BR", "IN"};
constexpr const char* kCities[] = {"Berlin", "Ashburn", "Paris", "Tokyo",
                                   "Amsterdam", "London", "São Paulo", "Mumbai"};
constexpr const char* kOrgs[] = {"Deutsche Telekom AG", "Amazon.com, Inc.", "OVH SAS",
                                 "NTT Communications", "DigitalOcean, LLC", "BT",
                                 "Claro S.A.", "Reliance Jio"};

uint32_t Remote(uint32_t i) { return 0x5DB80000u + (i * 2654435761u % 0xFFFFu); }
uint32_t Local(uint32_t i) { return 0x0A000000u + i % 254 + 1; }

v1::FlowEvent Base(uint32_t i, v1::EventType type) {
  v1::FlowEvent e;
  e.set_type(type);
  e.set_node("router-1");
  e.set_time_unix_nanos(1'790'000'000'000'000'000 + int64_t{i} * 1000);
  v1::Flow& f = *e.mutable_flow();
  f.set_node("router-1");
  f.set_conntrack_id(i * 2654435761u + 1);
  f.set_family(v1::IPV4);
  const bool udp = i % 5 == 0;
  f.set_protocol(udp ? v1::UDP : v1::TCP);
  f.set_protocol_number(udp ? 17 : 6);
  v1::Tuple& o = *f.mutable_original();
  o.set_src_ip(V4(Local(i)));
  o.set_dst_ip(V4(Remote(i)));
  o.set_src_port(1024 + (i / 254) % 64000);
  o.set_dst_port(i % 3 == 0 ? 80 : (udp ? 53 : 443));
  f.set_key(core::ComputeFlowKey(f));
  return e;
}

}  // namespace

v1::FlowEvent RealisticEvent(uint32_t i, int part) {
  v1::FlowEvent e = Base(i, part == 0 ? v1::NEW : v1::ENRICH);
  v1::Flow& f = *e.mutable_flow();
  if (part == 0) {
    const bool udp = f.protocol() == v1::UDP;
    if (!udp) f.set_tcp_state(i % 7 == 0 ? v1::TCP_TIME_WAIT : v1::TCP_ESTABLISHED);
    v1::Tuple& r = *f.mutable_reply();
    r.set_src_ip(f.original().dst_ip());
    r.set_dst_ip(V4(0xC0A80001u));  // masqueraded
    r.set_src_port(f.original().dst_port());
    r.set_dst_port(f.original().src_port());
    f.mutable_status()->set_seen_reply(true);
    f.mutable_status()->set_assured(true);
    f.mutable_status()->set_confirmed(true);
    f.mutable_status()->set_src_nat(true);
    f.mutable_status()->set_raw(0x18e);
    f.set_timeout_seconds(udp ? 30 : 432000);
    f.set_mark(i % 4);
    const uint64_t bytes = (uint64_t{i} * 7919u) % 10'000'000u;
    f.mutable_original_counters()->set_bytes(bytes / 10);
    f.mutable_original_counters()->set_packets(bytes / 1000 + 1);
    f.mutable_reply_counters()->set_bytes(bytes);
    f.mutable_reply_counters()->set_packets(bytes / 1000 + 1);
    f.set_start_unix_nanos(e.time_unix_nanos() - 1'000'000);
    f.set_id(core::FlowIdFor(f.node(), f));
    return e;
  }
  f.set_first_seen_unix_nanos(e.time_unix_nanos());
  v1::Enrichment& en = *f.mutable_enrichment();
  const uint32_t remote = Remote(i);
  if (part == 1) {
    v1::Process& p = *en.mutable_src()->mutable_process();
    const uint32_t pid = 1000 + i % 300;
    p.set_pid(pid);
    p.set_name(kProcesses[pid % 8]);
    p.set_exe(absl::StrCat("/usr/bin/", kProcesses[pid % 8]));
    p.set_uid(pid % 3 == 0 ? 0 : 1000);
    p.set_user(pid % 3 == 0 ? "root" : "alice");
    p.set_cgroup(absl::StrCat("/system.slice/", kProcesses[pid % 8], ".service"));
    p.set_unit(absl::StrCat(kProcesses[pid % 8], ".service"));
    p.set_attributed_by("ebpf");
    v1::Geo& g = *en.mutable_dst()->mutable_geo();
    const uint32_t place = remote % 8;
    g.set_country_code(kCountries[place]);
    g.set_city(kCities[place]);
    g.set_as_number(3320 + place);
    g.set_as_organization(kOrgs[place]);
    g.set_latitude(52.5 + place);
    g.set_longitude(13.4 + place);
    en.set_service(f.original().dst_port() == 80 ? "http" : "https");
  } else {
    en.mutable_dst()->set_hostname(absl::StrCat("host-", remote & 0xFFFF, ".example.net"));
  }
  return e;
}

v1::FlowEvent RealisticCounters(uint32_t i, uint64_t tick) {
  v1::FlowEvent e = Base(i, v1::COUNTERS);
  v1::Flow& f = *e.mutable_flow();
  f.clear_original();
  f.mutable_original_counters()->set_bytes(tick * 100 + i);
  f.mutable_reply_counters()->set_bytes(tick * 1000 + i);
  f.mutable_original_rate()->set_bytes_per_second(static_cast<double>(tick % 5000));
  f.mutable_reply_rate()->set_bytes_per_second(static_cast<double>((tick + i) % 50000));
  return e;
}

}  // namespace flowtop::bench
