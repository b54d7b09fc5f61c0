// Filter field kind: host names (FlowFilter hostname; the `/` language's
// name|hostname): a part of either end's reverse-DNS name, any case.
#ifndef FLOWTOP_CORE_FILTERS_HOSTNAME_H_
#define FLOWTOP_CORE_FILTERS_HOSTNAME_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

// Returns whether the endpoint's hostname is set and contains `lower_part`
// (which must be lower case) ignoring case.
bool HostnameContains(const v1::Endpoint& endpoint, absl::string_view lower_part);

// Returns whether either end's hostname contains one of `lower_parts`.
bool HostnameIn(const v1::Enrichment& e, const std::vector<std::string>& lower_parts);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FILTERS_HOSTNAME_H_
