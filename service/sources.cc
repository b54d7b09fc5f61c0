#include "service/sources.h"

namespace flowtop::service {

absl::StatusOr<SourceBundle> MakeSource(const DaemonConfig& config) {
  (void)config;
  // The kernel conntrack source lives in collector/ (branch collector) and
  // is wired here when it is merged.
  return absl::UnimplementedError(
      "this build has no kernel conntrack source yet (collector/"
      "kernel_source); nothing to serve");
}

}  // namespace flowtop::service
