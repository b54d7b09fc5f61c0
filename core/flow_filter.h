// FlowMatcher: a request's allow and deny lists of v1::FlowFilter, checked
// and compiled once, then applied to every flow or event of a stream.
//
// Shared by the gRPC service (GetFlows, ListFlows) and the TUI. Semantics
// (see flowtop.proto): inside one FlowFilter every field that is set must
// match (AND) and a repeated field matches when any of its values does (OR);
// the allow list is an OR of filters (an empty allow list allows all); a flow
// matching any deny filter is removed.
//
// Events without a flow (LOST, STATUS, SNAPSHOT_END, RESYNC_*) always pass:
// they are the stream's control channel and a client must see its losses.
// When matching a bare Flow (ListFlows) the event_type field is ignored.
#ifndef FLOWTOP_COLLECTOR_FLOW_FILTER_H_
#define FLOWTOP_COLLECTOR_FLOW_FILTER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/filters/address.h"
#include "core/filters/country.h"
#include "core/filters/field_match.h"
#include "core/filters/hostname.h"
#include "core/filters/owner.h"
#include "core/filters/port.h"
#include "core/filters/protocol.h"
#include "core/filters/state.h"
#include "flowtop/v1/flowtop.pb.h"
#include "google/protobuf/repeated_field.h"

namespace flowtop::core {

using FilterList = google::protobuf::RepeatedPtrField<v1::FlowFilter>;

// The value parsing and per-field predicates of FlowFilter live in
// core/filters/ (one file per field kind), shared with the TUI's `/` filter
// language (tui/filter_expr.h) so that both give a field and a value the
// same meaning: both compile to FieldMatch (core/filters/field_match.h).

class FlowMatcher {
 public:
  // Returns a matcher that lets everything through.
  FlowMatcher() = default;

  // What one request may bring: filters in allow + deny, and values (every
  // address, port, name... of every filter) in all of them.
  static constexpr int kMaxFilters = 64;
  static constexpr size_t kMaxFilterValues = 1024;

  // Returns the compiled lists, or INVALID_ARGUMENT beyond kMaxFilters or
  // kMaxFilterValues, for an enum number this version does not know, or
  // naming the first bad
  // field, e.g. "allow[0].src_ip[1]: '10.0.0.300/8' is not an address or
  // CIDR", "deny[2].state[0]: 'ESTABLISH' is not a TCP, SCTP or DCCP state",
  // "allow[0].src_port[0]: 70000 is not a port (0..65535)".
  static absl::StatusOr<FlowMatcher> Compile(const FilterList& allow,
                                             const FilterList& deny);

  // Returns whether the flow passes (event_type criteria ignored).
  bool Matches(const v1::Flow& flow) const;
  // Returns whether the event passes; events without a flow always do.
  bool Matches(const v1::FlowEvent& event) const;
  // Returns whether a flow passes as if it came in an event of this type
  // (for a flow merged from several events, e.g. NEW then ENRICH).
  bool Matches(const v1::Flow& flow, v1::EventType type) const;

  // Returns true when no filter was given (everything passes).
  bool AllowsAll() const { return allow_.empty() && deny_.empty(); }

  // Returns whether some filter reads what only a merged flow knows: the
  // enrichment (process, pid, unit, container, country, hostname), which
  // ENRICH events bring later, or the event type. Without them a flow's
  // NEW, SNAPSHOT, UPDATE and DESTROY decide (see core/stream_filter.h).
  bool NeedsMergedFlow() const;

 private:
  // One FlowFilter: every field that is set, and the event types.
  struct Compiled {
    std::vector<FieldMatch> fields;
    std::vector<int> event_types;
  };

  static absl::StatusOr<Compiled> CompileOne(const v1::FlowFilter& filter,
                                             const std::string& where);
  static bool MatchOne(const Compiled& c, const FlowFacts& facts,
                       const v1::Flow& flow, const v1::FlowEvent* event);
  bool Passes(const v1::Flow* flow, const v1::FlowEvent* event) const;

  std::vector<Compiled> allow_;
  std::vector<Compiled> deny_;
};

}  // namespace flowtop::core

#endif  // FLOWTOP_COLLECTOR_FLOW_FILTER_H_
