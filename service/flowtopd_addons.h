// The feeds flowtopd's composition root plugs into the daemon: the IPFIX
// exporter (--ipfix) and the Prometheus endpoint (--metrics). Kept here,
// beside main(), so that neither the service nor the exporters know each
// other.
#ifndef FLOWTOP_SERVICE_FLOWTOPD_ADDONS_H_
#define FLOWTOP_SERVICE_FLOWTOPD_ADDONS_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "service/addon.h"
#include "service/daemon_config.h"

namespace flowtop::service {

// Builds the addons the configuration asks for (none without --ipfix or
// --metrics). Errors: INVALID_ARGUMENT for a bad collector or metrics
// address, others when a socket cannot be opened.
absl::StatusOr<std::vector<std::unique_ptr<Addon>>> MakeFlowtopdAddons(
    const DaemonConfig& config, const AddonContext& context);

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_FLOWTOPD_ADDONS_H_
