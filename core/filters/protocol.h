// Filter field kind: protocol and address family (FlowFilter protocol,
// family; the `/` language's proto, family and the shorthands tcp, ipv6...).
#ifndef FLOWTOP_CORE_FILTERS_PROTOCOL_H_
#define FLOWTOP_CORE_FILTERS_PROTOCOL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

// Returns the protocol named by `text`: an L4Protocol name in any case
// ("tcp", "icmpv6", "udplite"), a common alias ("icmp6", "ipv6-icmp",
// "udp-lite") or an IANA number 0..255; INVALID_ARGUMENT otherwise.
absl::StatusOr<int> ParseProtocol(absl::string_view text);

// Returns the AddressFamily named by `text` ("ipv4", "ip4", "inet", "4",
// and the same for 6, any case); INVALID_ARGUMENT otherwise.
absl::StatusOr<v1::AddressFamily> ParseFamily(absl::string_view text);

// Returns the flow's IANA protocol number: Flow.protocol_number when set
// (protocols L4Protocol does not name), else Flow.protocol (whose values
// are the IANA numbers).
uint32_t ProtocolNumberOf(const v1::Flow& flow);

// Returns whether `value` (a protocol or family number) is one of `values`.
bool NumberIn(const std::vector<uint32_t>& values, uint32_t value);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FILTERS_PROTOCOL_H_
