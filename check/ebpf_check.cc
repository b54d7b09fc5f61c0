#include "check/ebpf_check.h"

namespace flowtop::check {

// HOOK (eBPF attribution, issue 14): replace with a real probe once the
// attribution exists in this build.
CheckLine CheckEbpfAttribution(const CheckOptions&) {
  return {Level::kInfo, "eBPF owners", "not part of this build",
          "process names come from /proc (short-lived flows may have none)"};
}

}  // namespace flowtop::check
