// The numeric sort orders of the flow list (FlowOrder's bytes, rate,
// packets and age, and its id tie-break) as integers computed from a
// FlowRecord, and their bounds over a set of records.
//
// ListTopFlows (core/flow_list.h) compares records by these numbers instead
// of building each flow, and FlowTable keeps a RecordBounds per shard so
// that it can skip every shard that cannot hold one of the first `limit`
// flows: for ListFlows limit 10 at a million flows it reads a few shards,
// not 200 MB of records.
#ifndef FLOWTOP_CORE_RECORD_ORDER_H_
#define FLOWTOP_CORE_RECORD_ORDER_H_

#include <cstdint>

#include "absl/numeric/int128.h"
#include "core/flow_record.h"
#include "core/string_pool.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

// The orders with a SortValue.
inline constexpr v1::SortKey kValueKeys[] = {v1::SORT_BYTES, v1::SORT_RATE,
                                             v1::SORT_PACKETS, v1::SORT_AGE};
bool HasSortValue(v1::SortKey key);

// FlowOrder's key for `key` (one of kValueKeys) as an unsigned number that
// compares like FlowOrder's CompareKey: bytes and packets as they are, the
// rate's double and the age (the inverse of the first-seen time) mapped
// order-preservingly (equal doubles, +0 and -0 too, map to equal values).
uint64_t SortValue(const FlowRecord& record, v1::SortKey key);

// FlowOrder's tie-break, the flow id, as a number: for two records whose
// ids are derived (FlowRecord::kIdDerived, "<node>/<conntrack id>[.<hex>]")
// from the same node, IdRank(a) < IdRank(b) exactly when a's id sorts
// before b's as a string, and equal ranks mean equal ids. Meaningless for
// other records (compare their ids).
absl::uint128 IdRank(const FlowRecord& record);

// Bounds of the sort values and id ranks of the records included since the
// last Reset: loose (a record that changed or left may still count) but
// never too tight, so a set whose best possible flow loses can be skipped.
class RecordBounds {
 public:
  RecordBounds() { Reset(); }
  void Reset();
  void Include(const FlowRecord& record);

  uint64_t min(v1::SortKey key) const { return min_[Slot(key)]; }
  uint64_t max(v1::SortKey key) const { return max_[Slot(key)]; }
  // Whether every record included has a derived id from node(); then
  // min_id_rank() bounds their IdRanks.
  bool uniform() const { return uniform_; }
  StringPool::Id node() const { return node_; }
  absl::uint128 min_id_rank() const { return min_id_rank_; }
  bool empty() const { return empty_; }

 private:
  static int Slot(v1::SortKey key);

  uint64_t min_[4];
  uint64_t max_[4];
  absl::uint128 min_id_rank_;
  StringPool::Id node_;
  bool uniform_;
  bool empty_;
};

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_RECORD_ORDER_H_
