// Filter field kind: who owns a flow (FlowFilter process_name, pid, unit,
// container; the `/` language's process, pid, unit, container). Either end
// of the flow may be the owner.
#ifndef FLOWTOP_CORE_FILTERS_OWNER_H_
#define FLOWTOP_CORE_FILTERS_OWNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

// Returns whether the endpoint has a process called exactly `name`.
bool EndpointProcessIs(const v1::Endpoint& endpoint, absl::string_view name);

// Returns whether the endpoint's process runs in systemd unit `unit`
// ("nginx.service"), also when `unit` omits the ".service" suffix.
bool EndpointUnitIs(const v1::Endpoint& endpoint, absl::string_view unit);

// Returns whether the endpoint's process runs in a container whose id
// starts with `lower_prefix` (lower case, not empty).
bool EndpointContainerHas(const v1::Endpoint& endpoint, absl::string_view lower_prefix);

// Returns whether the endpoint has a process (a pid or a name).
bool EndpointHasProcess(const v1::Endpoint& endpoint);

// Returns whether either end's process is called one of `names`.
bool ProcessNamedIn(const v1::Enrichment& e, const std::vector<std::string>& names);
// Returns whether either end's process runs in one of `units`.
bool UnitIn(const v1::Enrichment& e, const std::vector<std::string>& units);
// Returns whether either end's container id starts with one of
// `lower_prefixes`.
bool ContainerIn(const v1::Enrichment& e, const std::vector<std::string>& lower_prefixes);
// Returns whether the flow's process (`pid`) or the other end's
// (`other_pid`; both 0 when unknown) is one of `pids`.
bool PidIn(const std::vector<uint32_t>& pids, uint32_t pid, uint32_t other_pid);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FILTERS_OWNER_H_
