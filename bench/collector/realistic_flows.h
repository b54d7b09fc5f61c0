// Realistic flow events for the table benchmarks: a router's mix of IPv4
// TCP/UDP flows to ~65,000 remote hosts, each flow announced by a NEW
// (kernel view with counters, FlowIdFor id and key) and enriched by two
// ENRICH events (process with cgroup and unit, geo with AS, service; then
// the remote's hostname), as the kernel path and the Enricher make them.
// Strings repeat as they do on a real host: per process, per remote host,
// per city.
#ifndef FLOWTOP_BENCH_COLLECTOR_REALISTIC_FLOWS_H_
#define FLOWTOP_BENCH_COLLECTOR_REALISTIC_FLOWS_H_

#include <cstdint>

#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::bench {

// The events of flow `i`: 0 NEW, 1 ENRICH (process, geo, service),
// 2 ENRICH (hostname). Deterministic.
v1::FlowEvent RealisticEvent(uint32_t i, int part);

// COUNTERS for flow `i` at `tick` (new counters and rates).
v1::FlowEvent RealisticCounters(uint32_t i, uint64_t tick);

}  // namespace flowtop::bench

#endif  // FLOWTOP_BENCH_COLLECTOR_REALISTIC_FLOWS_H_
