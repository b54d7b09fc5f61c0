// FlowOrder: the sort orders of the flow list, by v1::SortKey.
//
// Shared by ListFlows and the TUI so that both sort the same way. Every
// order is total: ties are broken by flow id, so a sorted list is stable
// from one refresh to the next.
#ifndef FLOWTOP_COLLECTOR_FLOW_SORT_H_
#define FLOWTOP_COLLECTOR_FLOW_SORT_H_

#include <vector>

#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

class FlowOrder {
 public:
  // Ascending by `key` (SORT_AGE ascending: the youngest flow first);
  // `descending` reverses the key but not the id tie-break.
  explicit FlowOrder(v1::SortKey key, bool descending = false)
      : key_(key), descending_(descending) {}

  // Returns whether a sorts before b.
  bool operator()(const v1::Flow& a, const v1::Flow& b) const;

 private:
  // Returns <0, 0 or >0 comparing a and b by key_ alone.
  int CompareKey(const v1::Flow& a, const v1::Flow& b) const;

  v1::SortKey key_;
  bool descending_;
};

// Sorts flows in place by the order.
void SortFlows(v1::SortKey key, bool descending, std::vector<v1::Flow>* flows);

}  // namespace flowtop::core

#endif  // FLOWTOP_COLLECTOR_FLOW_SORT_H_
