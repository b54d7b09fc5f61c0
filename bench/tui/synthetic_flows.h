// Synthetic flows for the TUI benchmarks: realistic-looking v1::Flow values
// (addresses, processes, names, geo, counters, rates) from an index.
#ifndef FLOWTOP_BENCH_TUI_SYNTHETIC_FLOWS_H_
#define FLOWTOP_BENCH_TUI_SYNTHETIC_FLOWS_H_

#include <cstdint>

#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::bench {

// Returns flow number `i` (conntrack id i + 1), deterministic.
v1::Flow SyntheticFlow(uint32_t i);

// Returns an event for flow `i`: NEW, COUNTERS with changed counters and
// rates, or DESTROY, chosen by `kind` (0, 1, 2).
v1::FlowEvent SyntheticEvent(uint32_t i, int kind, uint64_t tick);

}  // namespace flowtop::bench

#endif  // FLOWTOP_BENCH_TUI_SYNTHETIC_FLOWS_H_
