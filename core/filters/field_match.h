// FieldMatch: one flow field compared with a list of values (any value
// matches), the predicate both filter front ends compile to: the gRPC
// FlowFilter (core/flow_filter.h, one FieldMatch per field that is set) and
// the TUI's `/` language (tui/filter_expr.h, one per condition). Matching is
// written once, here, by field kind, with each kind's values and test in
// its own file (address, port, protocol, state, owner, country, hostname,
// node).
//
// FieldHolds reads the flat facts of a flow (FlowFacts, or the TUI's FlowHot
// which has the same members) and fetches the flow or its node only for
// the fields the facts do not hold (addresses, names, units, host names).
#ifndef FLOWTOP_CORE_FILTERS_FIELD_MATCH_H_
#define FLOWTOP_CORE_FILTERS_FIELD_MATCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "core/filters/address.h"
#include "core/filters/country.h"
#include "core/filters/hostname.h"
#include "core/filters/node.h"
#include "core/filters/owner.h"
#include "core/filters/port.h"
#include "core/filters/protocol.h"
#include "core/filters/state.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

enum class FilterField {
  kProtocol,
  kFamily,
  kSrcIp,
  kDstIp,
  kAnyIp,
  kSrcPort,
  kDstPort,
  kAnyPort,
  kState,
  kProcess,
  kPid,
  kCountry,
  kNode,
  kHostname,
  kUnit,
  kContainer,
};

struct FieldMatch {
  FilterField field = FilterField::kProtocol;
  std::vector<uint32_t> numbers;  // ports, pids, protocol numbers, family
  std::vector<Cidr> cidrs;        // addresses
  // Node, process and unit names as given; upper case for state and
  // country; lower case for hostname and container.
  std::vector<std::string> strings;
  std::vector<StateValue> states;  // (Flow oneof case, enum value)
};

// The fields of a flow that most conditions read, flat.
struct FlowFacts {
  uint32_t protocol = 0;  // ProtocolNumberOf
  uint32_t family = 0;    // v1::AddressFamily
  int state_case = 0;     // StateOf
  int state = 0;
  uint32_t src_port = 0;
  uint32_t dst_port = 0;
  bool has_ports = false;    // HasPorts(Flow.protocol)
  bool has_process = false;  // either end (EndpointHasProcess)
  uint32_t pid = 0;          // the owner's pid (source end first), 0: none
  uint32_t other_pid = 0;    // the other end's, when both ends have one
  char src_country[2] = {0, 0};  // upper case, zeros: unknown
  char dst_country[2] = {0, 0};
};

// Returns the facts of `flow`.
FlowFacts FactsOf(const v1::Flow& flow);

// Returns whether `m` holds for the flow described by `facts` (a FlowFacts
// or anything with the same members); `flow` and `node` (the node label,
// Flow.node when empty) are called only when the facts do not suffice.
template <typename Facts>
bool FieldHolds(const FieldMatch& m, const Facts& facts,
                absl::FunctionRef<const v1::Flow&()> flow,
                absl::FunctionRef<absl::string_view()> node) {
  switch (m.field) {
    case FilterField::kProtocol: return NumberIn(m.numbers, facts.protocol);
    case FilterField::kFamily: return NumberIn(m.numbers, facts.family);
    case FilterField::kSrcIp: return AnyCidrContains(m.cidrs, flow().original().src_ip());
    case FilterField::kDstIp: return AnyCidrContains(m.cidrs, flow().original().dst_ip());
    case FilterField::kAnyIp: {
      const v1::Tuple& t = flow().original();
      return AnyCidrContains(m.cidrs, t.src_ip()) || AnyCidrContains(m.cidrs, t.dst_ip());
    }
    case FilterField::kSrcPort:
      return PortIn(m.numbers, End::kSrc, facts.has_ports, facts.src_port, facts.dst_port);
    case FilterField::kDstPort:
      return PortIn(m.numbers, End::kDst, facts.has_ports, facts.src_port, facts.dst_port);
    case FilterField::kAnyPort:
      return PortIn(m.numbers, End::kEither, facts.has_ports, facts.src_port, facts.dst_port);
    case FilterField::kState: return StateIn(m.states, facts.state_case, facts.state);
    case FilterField::kProcess:
      return facts.has_process && ProcessNamedIn(flow().enrichment(), m.strings);
    case FilterField::kPid: return PidIn(m.numbers, facts.pid, facts.other_pid);
    case FilterField::kCountry:
      return CountryIn(m.strings, facts.src_country) || CountryIn(m.strings, facts.dst_country);
    case FilterField::kNode: {
      absl::string_view n = node();
      return NodeIn(m.strings, n.empty() ? absl::string_view(flow().node()) : n);
    }
    case FilterField::kHostname: return HostnameIn(flow().enrichment(), m.strings);
    case FilterField::kUnit:
      return facts.has_process && UnitIn(flow().enrichment(), m.strings);
    case FilterField::kContainer:
      return facts.has_process && ContainerIn(flow().enrichment(), m.strings);
  }
  return false;
}

// Returns whether `m` holds for `flow` shown under `node`.
bool FieldHolds(const FieldMatch& m, const v1::Flow& flow, absl::string_view node);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FILTERS_FIELD_MATCH_H_
