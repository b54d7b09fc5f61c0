// CountryName: English country names for ISO 3166-1 alpha-2 codes.
//
// The DB-IP Lite databases carry only the code ("DE"); MaxMind's carry the
// name too. This table gives flat-layout databases the same columns.
#ifndef FLOWTOP_COLLECTOR_ENRICH_COUNTRY_NAMES_H_
#define FLOWTOP_COLLECTOR_ENRICH_COUNTRY_NAMES_H_

#include "absl/strings/string_view.h"

namespace flowtop::collector::enrich {

// Returns the English short name for a two-letter code (either case), or ""
// for an unknown code.
absl::string_view CountryName(absl::string_view code);

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_COUNTRY_NAMES_H_
