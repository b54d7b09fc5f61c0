#include "core/filters/hostname.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace flowtop::core {

bool HostnameContains(const v1::Endpoint& endpoint, absl::string_view lower_part) {
  const std::string& host = endpoint.hostname();
  if (host.empty() || lower_part.size() > host.size()) return false;
  for (size_t start = 0; start + lower_part.size() <= host.size(); ++start) {
    size_t i = 0;
    while (i < lower_part.size() &&
           absl::ascii_tolower(host[start + i]) == lower_part[i]) {
      ++i;
    }
    if (i == lower_part.size()) return true;
  }
  return false;
}

bool HostnameIn(const v1::Enrichment& e, const std::vector<std::string>& lower_parts) {
  return std::any_of(lower_parts.begin(), lower_parts.end(), [&](const std::string& s) {
    return HostnameContains(e.src(), s) || HostnameContains(e.dst(), s);
  });
}

}  // namespace flowtop::core
