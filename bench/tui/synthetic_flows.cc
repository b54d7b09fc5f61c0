#include "bench/tui/synthetic_flows.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace flowtop::bench {
namespace {

std::string V4(uint32_t x) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(x >> 24);
  s[1] = static_cast<char>(x >> 16);
  s[2] = static_cast<char>(x >> 8);
  s[3] = static_cast<char>(x);
  return s;
}

constexpr const char* kProcesses[] = {"firefox-esr", "curl", "sshd", "chrome", "apt",
                                      "systemd-resolve", "nginx", "postgres"};
constexpr const char* kCountries[] = {"DE", "US", "FR", "JP", "NL", "GB", "BR", "IN"};
constexpr const char* kCities[] = {"Berlin", "Ashburn", "Paris", "Tokyo",
                                   "Amsterdam", "London", "São Paulo", "Mumbai"};

}  // namespace

v1::Flow SyntheticFlow(uint32_t i) {
  v1::Flow f;
  f.set_conntrack_id(i + 1);
  f.set_family(v1::IPV4);
  const bool udp = i % 5 == 0;
  f.set_protocol(udp ? v1::UDP : v1::TCP);
  f.set_protocol_number(udp ? 17 : 6);
  if (!udp) f.set_tcp_state(i % 7 == 0 ? v1::TCP_TIME_WAIT : v1::TCP_ESTABLISHED);
  const uint32_t remote = 0x5DB80000u + (i * 2654435761u % 0xFFFFu);
  f.mutable_original()->set_src_ip(V4(0x0A000005u));
  f.mutable_original()->set_dst_ip(V4(remote));
  f.mutable_original()->set_src_port(20000 + i % 40000);
  f.mutable_original()->set_dst_port(i % 3 == 0 ? 80 : 443);
  f.mutable_reply()->set_src_ip(V4(remote));
  f.mutable_reply()->set_dst_ip(V4(0x0A000005u));
  f.mutable_reply()->set_src_port(f.original().dst_port());
  f.mutable_reply()->set_dst_port(f.original().src_port());
  const uint64_t bytes = (uint64_t{i} * 7919u) % 10'000'000u;
  f.mutable_original_counters()->set_bytes(bytes / 10);
  f.mutable_original_counters()->set_packets(bytes / 1000 + 1);
  f.mutable_reply_counters()->set_bytes(bytes);
  f.mutable_reply_counters()->set_packets(bytes / 1000 + 1);
  f.mutable_original_rate()->set_bytes_per_second(static_cast<double>(i % 1000));
  f.mutable_reply_rate()->set_bytes_per_second(static_cast<double>(i % 977) * 10);
  f.set_start_unix_nanos(1'790'000'000'000'000'000 - int64_t{i % 3600} * 1'000'000'000);
  f.set_first_seen_unix_nanos(f.start_unix_nanos());
  v1::Enrichment* e = f.mutable_enrichment();
  e->mutable_src()->mutable_process()->set_name(kProcesses[i % 8]);
  e->mutable_src()->mutable_process()->set_pid(1000 + i % 300);
  // One name per remote address, as reverse DNS gives (65,535 of them).
  e->mutable_dst()->set_hostname(absl::StrCat("host-", remote & 0xFFFFu, ".example.net"));
  e->mutable_dst()->mutable_geo()->set_country_code(kCountries[i % 8]);
  e->mutable_dst()->mutable_geo()->set_city(kCities[i % 8]);
  e->set_service(i % 3 == 0 ? "http" : "https");
  return f;
}

v1::FlowEvent SyntheticEvent(uint32_t i, int kind, uint64_t tick) {
  v1::FlowEvent ev;
  ev.set_time_unix_nanos(1'790'000'000'000'000'000 + static_cast<int64_t>(tick));
  if (kind == 0) {
    ev.set_type(v1::NEW);
    *ev.mutable_flow() = SyntheticFlow(i);
  } else if (kind == 1) {
    ev.set_type(v1::COUNTERS);
    v1::Flow* f = ev.mutable_flow();
    f->set_conntrack_id(i + 1);
    f->mutable_original_counters()->set_bytes(tick % 100000 + i);
    f->mutable_reply_counters()->set_bytes(tick % 1000000 + i);
    f->mutable_original_rate()->set_bytes_per_second(static_cast<double>(tick % 5000));
    f->mutable_reply_rate()->set_bytes_per_second(static_cast<double>((tick + i) % 50000));
  } else {
    ev.set_type(v1::DESTROY);
    ev.mutable_flow()->set_conntrack_id(i + 1);
  }
  return ev;
}

}  // namespace flowtop::bench
