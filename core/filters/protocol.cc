#include "core/filters/protocol.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace flowtop::core {

absl::StatusOr<int> ParseProtocol(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  const auto* descriptor = v1::L4Protocol_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    if (descriptor->value(i)->number() == 0) continue;  // *_UNSPECIFIED
    if (absl::AsciiStrToLower(descriptor->value(i)->name()) == lower) {
      return descriptor->value(i)->number();
    }
  }
  static constexpr std::pair<const char*, int> kAliases[] = {
      {"icmp6", v1::ICMPV6}, {"ipv6-icmp", v1::ICMPV6}, {"udp-lite", v1::UDPLITE}};
  for (const auto& [alias, number] : kAliases) {
    if (lower == alias) return number;
  }
  int number = 0;
  if (absl::SimpleAtoi(text, &number) && number >= 0 && number <= 255) {
    return number;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text,
                   "' is not a protocol (tcp, udp, udplite, icmp, icmpv6, "
                   "sctp, dccp, gre or a number 0..255)"));
}

absl::StatusOr<v1::AddressFamily> ParseFamily(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "ipv4" || lower == "ip4" || lower == "4" || lower == "inet") {
    return v1::IPV4;
  }
  if (lower == "ipv6" || lower == "ip6" || lower == "6" || lower == "inet6") {
    return v1::IPV6;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not an address family (ipv4 or ipv6)"));
}

uint32_t ProtocolNumberOf(const v1::Flow& flow) {
  return flow.protocol_number() != 0 ? flow.protocol_number()
                                     : static_cast<uint32_t>(flow.protocol());
}

bool NumberIn(const std::vector<uint32_t>& values, uint32_t value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace flowtop::core
