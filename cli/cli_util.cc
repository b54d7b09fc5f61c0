#include "cli/cli_util.h"

#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace flowtop::cli {
namespace {

// The grammars' own message: "--flag 'text' is not EXPECTED".
absl::Status NotA(absl::string_view flag, absl::string_view text,
                  absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " '", text, "' is not ", expected));
}

}  // namespace

absl::Status Bad(absl::string_view flag, absl::string_view text,
                 absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": '", text, "' ", what));
}

absl::StatusOr<uint64_t> ParseSize(absl::string_view flag, absl::string_view text) {
  std::string t = absl::AsciiStrToUpper(text);
  uint64_t scale = 1;
  if (!t.empty() && t.back() == 'B') t.pop_back();
  if (!t.empty()) {
    switch (t.back()) {
      case 'K': scale = uint64_t{1} << 10; t.pop_back(); break;
      case 'M': scale = uint64_t{1} << 20; t.pop_back(); break;
      case 'G': scale = uint64_t{1} << 30; t.pop_back(); break;
      default: break;
    }
  }
  uint64_t n;
  if (!absl::SimpleAtoi(t, &n) || n > UINT64_MAX / scale) {
    return NotA(flag, text, "a size (e.g. 1048576, 512K, 64M, 2G)");
  }
  return n * scale;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag,
                                                 absl::string_view text) {
  absl::Duration d;
  if (!ReadDuration(text, &d)) {
    return NotA(flag, text, "a duration (e.g. 30, 30s, 5m, 2h, 500ms)");
  }
  if (d < absl::ZeroDuration()) return NotA(flag, text, "a positive duration");
  return d;
}

bool ReadDuration(absl::string_view text, absl::Duration* out) {
  double seconds;
  if (absl::SimpleAtod(text, &seconds)) {
    if (!std::isfinite(seconds)) return false;
    *out = absl::Seconds(seconds);
    return true;
  }
  return absl::ParseDuration(text, out) && *out != absl::InfiniteDuration() &&
         *out != -absl::InfiniteDuration();
}

absl::StatusOr<double> ParseSpeed(absl::string_view text) {
  if (absl::AsciiStrToLower(text) == "max") return 0.0;
  double speed;
  if (!absl::SimpleAtod(text, &speed) || !(speed > 0) || speed > 1e6) {
    return NotA("speed", text, "a positive factor (1, 4, 0.5) or 'max'");
  }
  return speed;
}

absl::StatusOr<uint64_t> ParseCount(absl::string_view flag, absl::string_view text) {
  uint64_t n;
  if (!absl::SimpleAtoi(text, &n)) return NotA(flag, text, "a whole number");
  return n;
}

absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view flag,
                                         absl::string_view text, absl::Time base) {
  if (!text.empty() && text[0] == '+') {
    absl::StatusOr<absl::Duration> d = ParseDurationFlag(flag, text.substr(1));
    if (!d.ok()) return d.status();
    return base + *d;
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return NotA(flag, text, "a time (2026-11-26T20:30:00Z) or an offset (+90s)");
  }
  return t;
}

std::vector<v1::AddressFamily> ProtocolSelection::Families() const {
  std::vector<v1::AddressFamily> out;
  if (ipv4) out.push_back(v1::IPV4);
  if (ipv6) out.push_back(v1::IPV6);
  return out;
}

std::vector<v1::L4Protocol> ProtocolSelection::Protocols() const {
  std::vector<v1::L4Protocol> out;
  if (tcp) out.push_back(v1::TCP);
  if (udp) out.insert(out.end(), {v1::UDP, v1::UDPLITE});
  if (dccp) out.push_back(v1::DCCP);
  if (icmp) out.insert(out.end(), {v1::ICMP, v1::ICMPV6});
  if (sctp) out.push_back(v1::SCTP);
  return out;
}

bool* ProtocolFlag(int opt, ProtocolSelection* selection) {
  switch (opt) {
    case '4': return &selection->ipv4;
    case '6': return &selection->ipv6;
    case 'T': return &selection->tcp;
    case 'U': return &selection->udp;
    case 'D': return &selection->dccp;
    case 'I': return &selection->icmp;
    case 'S': return &selection->sctp;
    default: return nullptr;
  }
}

bool ApplyProtocolOption(int opt, ProtocolSelection* selection) {
  bool* flag = ProtocolFlag(opt, selection);
  if (flag == nullptr) return false;
  *flag = true;
  return true;
}

std::vector<option> LongOptionTable(
    std::initializer_list<std::vector<option>> groups) {
  std::vector<option> table;
  for (const std::vector<option>& group : groups) {
    table.insert(table.end(), group.begin(), group.end());
  }
  table.push_back({nullptr, 0, nullptr, 0});
  return table;
}

}  // namespace flowtop::cli
