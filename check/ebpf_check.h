// The --check line for eBPF process attribution. Kept apart so the
// attribution code (collector/enrich, eBPF via libbpf) replaces this one
// function's body when it lands: report whether the programs load here
// (BTF present, CAP_BPF/CAP_PERFMON or root) and what falls back to /proc.
#ifndef FLOWTOP_CHECK_EBPF_CHECK_H_
#define FLOWTOP_CHECK_EBPF_CHECK_H_

#include "check/check.h"

namespace flowtop::check {

CheckLine CheckEbpfAttribution(const CheckOptions& options);

}  // namespace flowtop::check

#endif  // FLOWTOP_CHECK_EBPF_CHECK_H_
