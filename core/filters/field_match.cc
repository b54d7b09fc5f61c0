#include "core/filters/field_match.h"

namespace flowtop::core {

FlowFacts FactsOf(const v1::Flow& flow) {
  FlowFacts f;
  f.protocol = ProtocolNumberOf(flow);
  f.family = static_cast<uint32_t>(flow.family());
  const StateValue state = StateOf(flow);
  f.state_case = state.first;
  f.state = state.second;
  f.has_ports = HasPorts(flow.protocol());
  f.src_port = flow.original().src_port();
  f.dst_port = flow.original().dst_port();
  const v1::Enrichment& e = flow.enrichment();
  const bool src = EndpointHasProcess(e.src());
  const bool dst = EndpointHasProcess(e.dst());
  f.has_process = src || dst;
  if (src) {
    f.pid = e.src().process().pid();
    if (dst) f.other_pid = e.dst().process().pid();
  } else if (dst) {
    f.pid = e.dst().process().pid();
  }
  CountryCodeOf(e.src().geo(), f.src_country);
  CountryCodeOf(e.dst().geo(), f.dst_country);
  return f;
}

bool FieldHolds(const FieldMatch& m, const v1::Flow& flow, absl::string_view node) {
  const FlowFacts facts = FactsOf(flow);
  return FieldHolds(m, facts, [&flow]() -> const v1::Flow& { return flow; },
                    [node]() { return node; });
}

}  // namespace flowtop::core
