#include "core/filters/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace flowtop::core {

absl::StatusOr<Cidr> Cidr::Parse(absl::string_view text) {
  auto bad = [&](absl::string_view why = "") {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not an address or CIDR", why.empty() ? "" : " (",
        why, why.empty() ? "" : ")"));
  };
  absl::string_view address = text;
  int prefix = -1;
  if (const size_t slash = text.find('/'); slash != absl::string_view::npos) {
    address = text.substr(0, slash);
    if (!absl::SimpleAtoi(text.substr(slash + 1), &prefix) || prefix < 0) {
      return bad("bad prefix length");
    }
  }
  Cidr cidr;
  const std::string host(address);
  if (inet_pton(AF_INET, host.c_str(), cidr.bytes.data()) == 1) {
    cidr.size = 4;
  } else if (inet_pton(AF_INET6, host.c_str(), cidr.bytes.data()) == 1) {
    cidr.size = 16;
  } else {
    return bad();
  }
  if (prefix > cidr.size * 8) {
    return bad(absl::StrCat("prefix length must be at most ", cidr.size * 8));
  }
  cidr.prefix = prefix < 0 ? cidr.size * 8 : prefix;
  return cidr;
}

bool Cidr::Contains(absl::string_view address) const {
  if (static_cast<int>(address.size()) != size) return false;
  const auto* a = reinterpret_cast<const uint8_t*>(address.data());
  const int full = prefix / 8;
  if (std::memcmp(a, bytes.data(), full) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (bytes[full] & mask);
}

std::string Cidr::Address() const {
  return std::string(reinterpret_cast<const char*>(bytes.data()), size);
}

bool AnyCidrContains(const std::vector<Cidr>& cidrs, absl::string_view address) {
  return std::any_of(cidrs.begin(), cidrs.end(),
                     [&](const Cidr& c) { return c.Contains(address); });
}

}  // namespace flowtop::core
