// MakeSource: the one place where flowtopd decides where its events come
// from. Today: the kernel's conntrack (branch collector's KernelSource).
// `--replay FILE` (the replay area) adds its branch here.
#ifndef FLOWTOP_SERVICE_SOURCES_H_
#define FLOWTOP_SERVICE_SOURCES_H_

#include "absl/status/statusor.h"
#include "service/daemon.h"
#include "service/daemon_config.h"

namespace flowtop::service {

// Returns the source for the configuration, or the error that stops
// start-up (e.g. PERMISSION_DENIED without CAP_NET_ADMIN).
absl::StatusOr<SourceBundle> MakeSource(const DaemonConfig& config);

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_SOURCES_H_
