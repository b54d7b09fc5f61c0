#include "core/filters/owner.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace flowtop::core {

bool EndpointProcessIs(const v1::Endpoint& endpoint, absl::string_view name) {
  return endpoint.has_process() && endpoint.process().name() == name;
}

bool EndpointUnitIs(const v1::Endpoint& endpoint, absl::string_view unit) {
  if (!endpoint.has_process() || unit.empty()) return false;
  const std::string& u = endpoint.process().unit();
  return u == unit || (u.size() == unit.size() + 8 && absl::StartsWith(u, unit) &&
                       absl::EndsWith(u, ".service"));
}

bool EndpointContainerHas(const v1::Endpoint& endpoint, absl::string_view lower_prefix) {
  return endpoint.has_process() && !lower_prefix.empty() &&
         absl::StartsWith(endpoint.process().container_id(), lower_prefix);
}

bool EndpointHasProcess(const v1::Endpoint& endpoint) {
  return endpoint.has_process() &&
         (endpoint.process().pid() != 0 || !endpoint.process().name().empty());
}

namespace {

// Returns whether `holds(endpoint, value)` for either end and some value.
template <typename Holds>
bool EitherEnd(const v1::Enrichment& e, const std::vector<std::string>& values,
               Holds holds) {
  return std::any_of(values.begin(), values.end(), [&](const std::string& v) {
    return holds(e.src(), v) || holds(e.dst(), v);
  });
}

}  // namespace

bool ProcessNamedIn(const v1::Enrichment& e, const std::vector<std::string>& names) {
  return EitherEnd(e, names, EndpointProcessIs);
}

bool UnitIn(const v1::Enrichment& e, const std::vector<std::string>& units) {
  return EitherEnd(e, units, EndpointUnitIs);
}

bool ContainerIn(const v1::Enrichment& e, const std::vector<std::string>& lower_prefixes) {
  return EitherEnd(e, lower_prefixes, EndpointContainerHas);
}

bool PidIn(const std::vector<uint32_t>& pids, uint32_t pid, uint32_t other_pid) {
  auto in = [&pids](uint32_t p) {
    return p != 0 && std::find(pids.begin(), pids.end(), p) != pids.end();
  };
  return in(pid) || in(other_pid);
}

}  // namespace flowtop::core
