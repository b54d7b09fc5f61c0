#include "tui/flow_hot.h"

#include <cctype>

#include "core/flow_filter.h"

namespace flowtop::tui {
namespace {

void Country(const v1::Geo& geo, char out[2]) {
  const std::string& cc = geo.country_code();
  if (cc.size() != 2) return;
  out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(cc[0])));
  out[1] = static_cast<char>(std::toupper(static_cast<unsigned char>(cc[1])));
}

bool HasProcess(const v1::Endpoint& e) {
  return e.has_process() && (e.process().pid() != 0 || !e.process().name().empty());
}

}  // namespace

Traffic TrafficOf(const v1::Flow& f) {
  Traffic t;
  t.original_counters = f.original_counters();
  t.reply_counters = f.reply_counters();
  t.original_rate = f.original_rate();
  t.reply_rate = f.reply_rate();
  return t;
}

FlowHot ComputeHot(const v1::Flow& f, const Traffic& t) {
  FlowHot h;
  h.protocol = static_cast<uint16_t>(f.protocol_number() != 0
                                         ? f.protocol_number()
                                         : static_cast<uint32_t>(f.protocol()));
  h.family = static_cast<uint8_t>(f.family());
  switch (f.state_case()) {
    case v1::Flow::kTcpState: h.state = static_cast<int16_t>(f.tcp_state()); break;
    case v1::Flow::kSctpState: h.state = static_cast<int16_t>(f.sctp_state()); break;
    case v1::Flow::kDccpState: h.state = static_cast<int16_t>(f.dccp_state()); break;
    default: break;
  }
  h.state_case = static_cast<uint8_t>(f.state_case());
  h.has_ports = collector::HasPorts(f.protocol());
  h.src_port = static_cast<uint16_t>(f.original().src_port());
  h.dst_port = static_cast<uint16_t>(f.original().dst_port());
  h.original_bytes = t.original_counters.bytes();
  h.reply_bytes = t.reply_counters.bytes();
  h.original_rate = static_cast<float>(t.original_rate.bytes_per_second());
  h.reply_rate = static_cast<float>(t.reply_rate.bytes_per_second());
  h.active = h.original_rate > 0 || h.reply_rate > 0 ||
             t.original_rate.packets_per_second() > 0 ||
             t.reply_rate.packets_per_second() > 0;
  h.conntrack_id = f.conntrack_id();
  h.start_nanos = f.has_start_unix_nanos() ? f.start_unix_nanos() : f.first_seen_unix_nanos();
  const v1::Enrichment& e = f.enrichment();
  h.own_traffic = e.own_traffic();
  if (HasProcess(e.src())) {
    h.has_process = true;
    h.outbound = true;
    h.pid = e.src().process().pid();
    if (HasProcess(e.dst())) h.other_pid = e.dst().process().pid();
  } else if (HasProcess(e.dst())) {
    h.has_process = true;
    h.outbound = false;
    h.pid = e.dst().process().pid();
  }
  Country(e.src().geo(), h.src_country);
  Country(e.dst().geo(), h.dst_country);
  return h;
}

}  // namespace flowtop::tui
