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
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
  // INVALID_ARGUMENT otherwise: "'x' is not an address or CIDR", followed
  // for a bad prefix by "(bad prefix length)" or "(prefix length must be at
  // most 32)" (128 for IPv6).
  static absl::StatusOr<Cidr> Parse(absl::string_view text);
  // Returns whether the address (4 or 16 bytes, network order) is inside;
  // false when the families differ.
  bool Contains(absl::string_view address) const;
  // Returns the network address as 4 or 16 bytes (for printing).
  std::string Address() const;
};

// The value parsing and per-field predicates of FlowFilter, shared with the
// TUI's `/` filter language (tui/filter_expr.h) so that both give a field
// and a value the same meaning.

// Returns the canonical state name ("TIME_WAIT") for a state written in any
// case, with '-' or '_' ("time-wait"), when some TCP, SCTP or DCCP state has
// it; INVALID_ARGUMENT "'x' is not a TCP, SCTP or DCCP state (e.g. ...)".
absl::StatusOr<std::string> ParseStateName(absl::string_view text);

// Returns every (Flow state case, enum value) whose name without the enum
// prefix is `name` (canonical, e.g. ESTABLISHED is a TCP and an SCTP
// state); empty when none is.
std::vector<std::pair<v1::Flow::StateCase, int>> StatesNamed(
    absl::string_view name);

// Returns the upper-case code for a two-letter ISO 3166 country code in
// any case; INVALID_ARGUMENT "'x' is not a two-letter ISO 3166 country code".
absl::StatusOr<std::string> ParseCountryCode(absl::string_view text);

// Returns the protocol named by `text`: an L4Protocol name in any case
// ("tcp", "icmpv6", "udplite"), a common alias ("icmp6", "ipv6-icmp",
// "udp-lite") or an IANA number 0..255; INVALID_ARGUMENT otherwise.
absl::StatusOr<int> ParseProtocol(absl::string_view text);

// Returns the AddressFamily named by `text` ("ipv4", "ip4", "inet", "4",
// and the same for 6, any case); INVALID_ARGUMENT otherwise.
absl::StatusOr<v1::AddressFamily> ParseFamily(absl::string_view text);

// Returns whether `port` is a valid port number (0..65535).
inline bool IsPort(uint64_t port) { return port <= 65535; }

// Returns whether flows of `protocol` have ports: TCP, UDP, UDP-lite, SCTP,
// DCCP. ICMP ids and GRE keys are not ports, so a port filter (sport, dport,
// port, FlowFilter's src_port/dst_port/port) never matches an ICMP, ICMPv6,
// GRE or other portless flow, not even "port 0". The TUI's `/` language and
// FlowFilter decide this here, once.
bool HasPorts(int protocol);

// Returns whether the endpoint has a process called exactly `name`.
bool EndpointProcessIs(const v1::Endpoint& endpoint, absl::string_view name);

// Returns whether the endpoint's process runs in systemd unit `unit`
// ("nginx.service"), also when `unit` omits the ".service" suffix.
bool EndpointUnitIs(const v1::Endpoint& endpoint, absl::string_view unit);

// Returns whether the endpoint's process runs in a container whose id
// starts with `lower_prefix` (lower case, not empty).
bool EndpointContainerHas(const v1::Endpoint& endpoint, absl::string_view lower_prefix);

// Returns whether the endpoint's hostname is set and contains `lower_part`
// (which must be lower case) ignoring case.
bool HostnameContains(const v1::Endpoint& endpoint,
                      absl::string_view lower_part);

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
    std::vector<std::string> units;
    std::vector<std::string> containers;  // lower case id prefixes
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
