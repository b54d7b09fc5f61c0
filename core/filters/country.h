// Filter field kind: country (FlowFilter country_code; the `/` language's
// country), of either end, as GeoIP names it.
#ifndef FLOWTOP_CORE_FILTERS_COUNTRY_H_
#define FLOWTOP_CORE_FILTERS_COUNTRY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

// Returns the upper-case code for a two-letter ISO 3166 country code in
// any case; INVALID_ARGUMENT "'x' is not a two-letter ISO 3166 country code".
absl::StatusOr<std::string> ParseCountryCode(absl::string_view text);

// Writes the upper-case two-letter code of `geo` to `out`, or leaves `out`
// as it is when `geo` has no two-letter code.
void CountryCodeOf(const v1::Geo& geo, char out[2]);

// Returns whether `code` (upper case, zeros: unknown) is one of `codes`
// (upper case, as ParseCountryCode returns them).
bool CountryIn(const std::vector<std::string>& codes, const char code[2]);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FILTERS_COUNTRY_H_
