#include "cli/cli_util.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace flowtop::replay {
namespace {

absl::Status Bad(absl::string_view flag, absl::string_view text,
                 absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " '", text, "' is not ", expected));
}

}  // namespace

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
    return Bad(flag, text, "a size (e.g. 1048576, 512K, 64M, 2G)");
  }
  return n * scale;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag,
                                                 absl::string_view text) {
  absl::Duration d;
  double seconds;
  if (absl::SimpleAtod(text, &seconds)) {
    d = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(text, &d)) {
    return Bad(flag, text, "a duration (e.g. 30, 30s, 5m, 2h, 500ms)");
  }
  if (d < absl::ZeroDuration()) return Bad(flag, text, "a positive duration");
  return d;
}

absl::StatusOr<double> ParseSpeed(absl::string_view text) {
  if (absl::AsciiStrToLower(text) == "max") return 0.0;
  double speed;
  if (!absl::SimpleAtod(text, &speed) || !(speed > 0) || speed > 1e6) {
    return Bad("speed", text, "a positive factor (1, 4, 0.5) or 'max'");
  }
  return speed;
}

absl::StatusOr<uint64_t> ParseCount(absl::string_view flag, absl::string_view text) {
  uint64_t n;
  if (!absl::SimpleAtoi(text, &n)) return Bad(flag, text, "a whole number");
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
    return Bad(flag, text, "a time (2026-11-26T20:30:00Z) or an offset (+90s)");
  }
  return t;
}

}  // namespace flowtop::replay
