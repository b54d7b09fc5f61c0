// ListTopFlows: the first `limit` flows of a table view matching a filter,
// in a FlowOrder: what ListFlows answers and --json lists.
//
// It reads a FlowTableView, so it runs outside the table owner's lock and
// never stops the event path. A heap of the best `limit` flows so far keeps
// it O(n log k) with memory for k flows. Without filters and for the numeric
// orders (bytes, rate, packets, age) it works on the records themselves
// (core/record_order.h): each order's key and the id tie-break as integers,
// shards visited best-first by the bounds FlowTable keeps per shard, every
// shard whose best possible flow cannot beat the worst kept one skipped
// whole, and a v1::Flow built only for the flows it returns. ListFlows limit
// 10 at a million flows reads a few shards (bench/collector:
// list_flows_bench). Other requests build each flow to match and compare it.
#ifndef FLOWTOP_CORE_FLOW_LIST_H_
#define FLOWTOP_CORE_FLOW_LIST_H_

#include <cstdint>
#include <vector>

#include "core/flow_filter.h"
#include "core/flow_table.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

struct FlowList {
  std::vector<v1::Flow> flows;  // in order
  uint64_t total = 0;           // flows matching before the limit
};

// `limit` 0: every matching flow.
FlowList ListTopFlows(const FlowTableView& view, const FlowMatcher& matcher,
                      v1::SortKey key, bool descending, uint32_t limit);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FLOW_LIST_H_
