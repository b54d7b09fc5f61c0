// ConntrackKernelStats: the kernel's own conntrack counters (what
// `conntrack -S` prints), read over ctnetlink with IPCTNL_MSG_CT_GET_STATS_CPU
// and summed over the CPUs. They tell an operator why flows are missing:
// insert_failed and drop (table full or clashes), early_drop, search_restart.
#ifndef FLOWTOP_COLLECTOR_CONNTRACK_STATS_H_
#define FLOWTOP_COLLECTOR_CONNTRACK_STATS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace flowtop::collector {

struct ConntrackKernelStats {
  uint64_t cpus = 0;  // per-CPU messages summed
  uint64_t found = 0, invalid = 0, insert = 0, insert_failed = 0, drop = 0,
           early_drop = 0, error = 0, search_restart = 0, clash_resolve = 0,
           chaintoolong = 0;
};

// Adds the counters of one IPCTNL_MSG_CT_STATS_CPU message (a whole netlink
// message: header, nfgenmsg, attributes) to *stats. Pure. Attributes this
// build does not know are skipped. Returns DATA_LOSS for a message whose
// attributes run past its length or have the wrong size.
absl::Status AddStatsCpuMessage(const char* data, size_t len,
                                ConntrackKernelStats* stats);

// Reads the kernel's per-CPU statistics over a new ctnetlink socket (in
// the caller's network namespace) and sums them. Errors: those of
// NetlinkSocket (PERMISSION_DENIED without CAP_NET_ADMIN) and DATA_LOSS.
absl::StatusOr<ConntrackKernelStats> ReadConntrackStats();

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_CONNTRACK_STATS_H_
