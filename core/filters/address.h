// Filter field kind: addresses and prefixes (FlowFilter src_ip, dst_ip,
// any_ip; the `/` language's src, dst, host|ip).
#ifndef FLOWTOP_CORE_FILTERS_ADDRESS_H_
#define FLOWTOP_CORE_FILTERS_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowtop::core {

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

// Returns whether some prefix of `cidrs` contains `address`.
bool AnyCidrContains(const std::vector<Cidr>& cidrs, absl::string_view address);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FILTERS_ADDRESS_H_
