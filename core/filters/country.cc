#include "core/filters/country.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace flowtop::core {

absl::StatusOr<std::string> ParseCountryCode(absl::string_view text) {
  if (text.size() != 2 || !absl::ascii_isalpha(text[0]) ||
      !absl::ascii_isalpha(text[1])) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not a two-letter ISO 3166 country code"));
  }
  return absl::AsciiStrToUpper(text);
}

void CountryCodeOf(const v1::Geo& geo, char out[2]) {
  const std::string& cc = geo.country_code();
  if (cc.size() != 2) return;
  out[0] = absl::ascii_toupper(static_cast<unsigned char>(cc[0]));
  out[1] = absl::ascii_toupper(static_cast<unsigned char>(cc[1]));
}

bool CountryIn(const std::vector<std::string>& codes, const char code[2]) {
  if (code[0] == 0) return false;
  return std::any_of(codes.begin(), codes.end(), [code](const std::string& c) {
    return c.size() == 2 && c[0] == code[0] && c[1] == code[1];
  });
}

}  // namespace flowtop::core
