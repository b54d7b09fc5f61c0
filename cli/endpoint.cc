#include "cli/endpoint.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace flowtop::cli {

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view text,
                                       EndpointRules rules) {
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' ", what));
  };
  absl::string_view host, port;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) return bad("has no ']' after '['");
    host = text.substr(1, close - 1);
    absl::string_view after = text.substr(close + 1);
    if (after.empty()) return bad("has no port");
    if (after[0] != ':') return bad("has no ':' after ']'");
    port = after.substr(1);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) return bad("has no port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (absl::StrContains(host, ':')) {
      return bad("has an IPv6 address without [brackets]");
    }
  }
  if (host.empty() && !rules.empty_host) return bad("has no address");
  if (port.empty()) return bad("has no port");
  const uint32_t low = rules.port_zero ? 0 : 1;
  uint32_t n = 0;
  bool digits = port.size() <= 5;
  for (char c : port) digits = digits && absl::ascii_isdigit(c);
  if (!digits || !absl::SimpleAtoi(port, &n) || n < low || n > 65535) {
    return bad(absl::StrCat("has a port that is not a number from ", low,
                            " to 65535"));
  }
  return Endpoint{std::string(host), static_cast<uint16_t>(n)};
}

std::string FormatEndpoint(absl::string_view host, uint16_t port) {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

}  // namespace flowtop::cli
