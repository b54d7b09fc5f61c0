#include "tui/flow_hot.h"

#include "core/filters/country.h"
#include "core/filters/owner.h"
#include "core/filters/port.h"
#include "core/filters/protocol.h"
#include "core/filters/state.h"

namespace flowtop::tui {

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
  // The filter facts are the core's (core/filters/), so `/` and FlowFilter
  // read a flow alike.
  h.protocol = static_cast<uint16_t>(core::ProtocolNumberOf(f));
  h.family = static_cast<uint8_t>(f.family());
  const core::StateValue state = core::StateOf(f);
  h.state = static_cast<int16_t>(state.second);
  h.state_case = static_cast<uint8_t>(state.first);
  h.has_ports = core::HasPorts(f.protocol());
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
  if (core::EndpointHasProcess(e.src())) {
    h.has_process = true;
    h.outbound = true;
    h.pid = e.src().process().pid();
    if (core::EndpointHasProcess(e.dst())) h.other_pid = e.dst().process().pid();
  } else if (core::EndpointHasProcess(e.dst())) {
    h.has_process = true;
    h.outbound = false;
    h.pid = e.dst().process().pid();
  }
  core::CountryCodeOf(e.src().geo(), h.src_country);
  core::CountryCodeOf(e.dst().geo(), h.dst_country);
  return h;
}

}  // namespace flowtop::tui
