#include "check/ebpf_check.h"

#include <string>

#include "collector/enrich/bpf_owners.h"

namespace flowtop::check {

// Loads and attaches the attribution program once, as the enricher would,
// and detaches it again.
CheckLine CheckEbpfAttribution(const CheckOptions& options) {
  const absl::Status status = collector::enrich::CheckBpfAttribution();
  if (status.ok()) {
    return {Level::kOk, "eBPF owners",
            "available: short-lived flows are named on both ends", ""};
  }
  return {Level::kWarn, "eBPF owners",
          std::string(status.message()),
          "process names come from sock_diag and /proc; short-lived client "
          "ends stay unnamed (" + options.program +
              " falls back by itself; run as root with BTF to use eBPF)"};
}

}  // namespace flowtop::check
