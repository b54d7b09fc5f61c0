#include "tui/test_flows.h"

#include <arpa/inet.h>

#include <cstdlib>

namespace flowtop::tui::testing {

std::string Ip(absl::string_view text) {
  const std::string s(text);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    return std::string(reinterpret_cast<char*>(buf), 16);
  }
  std::abort();
}

namespace {
v1::Flow BaseFlow(uint32_t id, v1::L4Protocol proto, absl::string_view src,
                  uint32_t sport, absl::string_view dst, uint32_t dport) {
  v1::Flow f;
  f.set_conntrack_id(id);
  f.set_protocol(proto);
  f.set_protocol_number(static_cast<uint32_t>(proto));
  const std::string s = Ip(src), d = Ip(dst);
  f.set_family(s.size() == 4 ? v1::IPV4 : v1::IPV6);
  f.mutable_original()->set_src_ip(s);
  f.mutable_original()->set_dst_ip(d);
  f.mutable_original()->set_src_port(sport);
  f.mutable_original()->set_dst_port(dport);
  f.mutable_reply()->set_src_ip(d);
  f.mutable_reply()->set_dst_ip(s);
  f.mutable_reply()->set_src_port(dport);
  f.mutable_reply()->set_dst_port(sport);
  return f;
}
}  // namespace

v1::Flow TcpFlow(uint32_t id, absl::string_view src, uint32_t sport,
                 absl::string_view dst, uint32_t dport) {
  v1::Flow f = BaseFlow(id, v1::TCP, src, sport, dst, dport);
  f.set_tcp_state(v1::TCP_ESTABLISHED);
  return f;
}

v1::Flow UdpFlow(uint32_t id, absl::string_view src, uint32_t sport,
                 absl::string_view dst, uint32_t dport) {
  return BaseFlow(id, v1::UDP, src, sport, dst, dport);
}

void SetTraffic(v1::Flow& flow, uint64_t orig_bytes, uint64_t reply_bytes,
                double orig_rate, double reply_rate) {
  flow.mutable_original_counters()->set_bytes(orig_bytes);
  flow.mutable_original_counters()->set_packets(orig_bytes / 100 + 1);
  flow.mutable_reply_counters()->set_bytes(reply_bytes);
  flow.mutable_reply_counters()->set_packets(reply_bytes / 100 + 1);
  flow.mutable_original_rate()->set_bytes_per_second(orig_rate);
  flow.mutable_reply_rate()->set_bytes_per_second(reply_rate);
}

void SetProcess(v1::Flow& flow, absl::string_view name, uint32_t pid) {
  v1::Process* p = flow.mutable_enrichment()->mutable_src()->mutable_process();
  p->set_name(std::string(name));
  p->set_pid(pid);
}

void SetDst(v1::Flow& flow, absl::string_view hostname, absl::string_view country,
            absl::string_view city) {
  v1::Endpoint* e = flow.mutable_enrichment()->mutable_dst();
  e->set_hostname(std::string(hostname));
  e->mutable_geo()->set_country_code(std::string(country));
  e->mutable_geo()->set_city(std::string(city));
}

v1::FlowEvent Event(v1::EventType type, const v1::Flow& flow, int64_t time_nanos) {
  v1::FlowEvent e;
  e.set_type(type);
  e.set_time_unix_nanos(time_nanos);
  *e.mutable_flow() = flow;
  return e;
}

}  // namespace flowtop::tui::testing
