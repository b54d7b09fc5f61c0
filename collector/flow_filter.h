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

#include <array>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "flowtop/v1/flowtop.pb.h"
#include "google/protobuf/repeated_field.h"

namespace flowtop::collector {

using FilterList = google::protobuf::RepeatedPtrField<v1::FlowFilter>;

// An address prefix: 4 or 16 bytes and a prefix length in bits.
struct Cidr {
  std::array<uint8_t, 16> bytes{};
  int size = 0;  // 4 or 16
  int prefix = 0;

  // Returns the prefix for "192.0.2.1", "10.0.0.0/8", "2001:db8::/32";
  // INVALID_ARGUMENT otherwise (the message quotes the text).
  static absl::StatusOr<Cidr> Parse(absl::string_view text);
  // Returns whether the address (4 or 16 bytes, network order) is inside.
  bool Contains(const std::string& address) const;
};

class FlowMatcher {
 public:
  // Returns a matcher that lets everything through.
  FlowMatcher() = default;

  // Returns the compiled lists, or INVALID_ARGUMENT naming the first bad
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

 private:
  struct Compiled {
    std::vector<int> families;
    std::vector<int> protocols;
    std::vector<Cidr> src_ip, dst_ip, any_ip;
    std::vector<uint32_t> src_port, dst_port, any_port;
    std::vector<std::string> states;  // upper case, no enum prefix
    std::vector<std::string> process_names;
    std::vector<uint32_t> pids;
    std::vector<std::string> country_codes;  // upper case
    std::vector<std::string> nodes;
    std::vector<int> event_types;
    std::vector<std::string> hostnames;  // lower case
  };

  static absl::StatusOr<Compiled> CompileOne(const v1::FlowFilter& filter,
                                             const std::string& where);
  static bool MatchOne(const Compiled& c, const v1::Flow* flow,
                       const v1::FlowEvent* event);
  bool Passes(const v1::Flow* flow, const v1::FlowEvent* event) const;

  std::vector<Compiled> allow_;
  std::vector<Compiled> deny_;
};

// Returns the flow's state name without the enum prefix ("ESTABLISHED",
// "TIME_WAIT", "COOKIE_WAIT"), or "" for protocols without a state.
std::string FlowStateName(const v1::Flow& flow);

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_FLOW_FILTER_H_
