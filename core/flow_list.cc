#include "core/flow_list.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/flow_sort.h"
#include "core/record_order.h"

namespace flowtop::core {
namespace {

// A candidate of the record path: its sort value, its id rank and, built
// once when ranks cannot decide, its id.
struct Candidate {
  const FlowRecord* record;
  uint64_t value;
  absl::uint128 rank;
  mutable std::string id;
  mutable bool has_id = false;
};

// FlowOrder's order on records: the same key (exact integers, SortValue),
// ties broken by id (IdRank where it is exact, else the id itself).
class RecordOrder {
 public:
  RecordOrder(const StringPool& pool, v1::SortKey key, bool descending)
      : pool_(pool), key_(key), descending_(descending) {}

  Candidate Make(const FlowRecord& r, uint64_t value) const {
    return Candidate{&r, value, IdRank(r), {}, false};
  }
  uint64_t Value(const FlowRecord& r) const { return SortValue(r, key_); }

  // <0 when value a comes first in the list, >0 when b does, 0 on a tie.
  int CompareValues(uint64_t a, uint64_t b) const {
    if (a == b) return 0;
    return (descending_ ? a > b : a < b) ? -1 : 1;
  }

  // Whether a sorts before b (FlowOrder's order).
  bool operator()(const Candidate& a, const Candidate& b) const {
    const int c = CompareValues(a.value, b.value);
    if (c != 0) return c < 0;
    return Tie(a, b);
  }

  // Whether no record within `bounds` can sort before `worst`.
  bool CannotBeat(const RecordBounds& bounds, const Candidate& worst) const {
    if (bounds.empty()) return true;
    const uint64_t best = descending_ ? bounds.max(key_) : bounds.min(key_);
    const int c = CompareValues(best, worst.value);
    if (c != 0) return c > 0;
    // The best value ties: only ids can still put a record first.
    return bounds.uniform() && Ranked(*worst.record) &&
           worst.record->node == bounds.node() && bounds.min_id_rank() > worst.rank;
  }

  // The best value a record within `bounds` may have.
  uint64_t Best(const RecordBounds& bounds) const {
    return descending_ ? bounds.max(key_) : bounds.min(key_);
  }

 private:
  static bool Ranked(const FlowRecord& r) { return r.has(FlowRecord::kIdDerived); }
  const std::string& Id(const Candidate& c) const {
    if (!c.has_id) {
      ToFlow(*c.record, pool_, flow_);
      c.id = flow_.id();
      c.has_id = true;
    }
    return c.id;
  }
  bool Tie(const Candidate& a, const Candidate& b) const {
    if (Ranked(*a.record) && Ranked(*b.record) && a.record->node == b.record->node) {
      if (a.rank != b.rank) return a.rank < b.rank;
    } else {
      const std::string& x = Id(a);
      const std::string& y = Id(b);
      if (x != y) return x < y;
    }
    return a.record->conntrack_id < b.record->conntrack_id;
  }

  const StringPool& pool_;
  v1::SortKey key_;
  bool descending_;
  mutable v1::Flow flow_;
};

// Keeps the best k of what it is offered, the worst on top.
template <typename T, typename Order>
void Offer(T&& item, size_t k, const Order& order, std::vector<T>& heap) {
  if (heap.size() < k) {
    heap.push_back(std::move(item));
    std::push_heap(heap.begin(), heap.end(), order);
  } else if (k > 0 && order(item, heap.front())) {
    std::pop_heap(heap.begin(), heap.end(), order);
    heap.back() = std::move(item);
    std::push_heap(heap.begin(), heap.end(), order);
  }
}

// The view's non-empty shards, those whose best possible value comes first
// in the list first, so that the heap holds winners early and most shards
// are skipped whole.
std::vector<uint32_t> ShardsBestFirst(const FlowTableView& view,
                                      const RecordOrder& order) {
  std::vector<std::pair<uint64_t, uint32_t>> best;
  for (uint32_t i = 0; i < flow_table_internal::kShards; ++i) {
    if (view.ShardRecords(i).empty()) continue;
    best.emplace_back(order.Best(view.ShardBounds(i)), i);
  }
  std::sort(best.begin(), best.end(), [&](const auto& a, const auto& b) {
    const int c = order.CompareValues(a.first, b.first);
    if (c != 0) return c < 0;
    return view.ShardBounds(a.second).min_id_rank() <
           view.ShardBounds(b.second).min_id_rank();
  });
  std::vector<uint32_t> out;
  out.reserve(best.size());
  for (const auto& [value, shard] : best) out.push_back(shard);
  return out;
}

FlowList ByRecords(const FlowTableView& view, v1::SortKey key, bool descending,
                   size_t k) {
  const RecordOrder order(view.pool(), key, descending);
  std::vector<Candidate> heap;
  heap.reserve(std::min(k, view.size()));
  if (k > 0) {
    for (uint32_t shard : ShardsBestFirst(view, order)) {
      const bool full = heap.size() == k;
      if (full && order.CannotBeat(view.ShardBounds(shard), heap.front())) continue;
      for (const FlowRecord& r : view.ShardRecords(shard)) {
        const uint64_t value = order.Value(r);
        // Most records lose to the worst kept one on the value alone.
        if (heap.size() == k && order.CompareValues(value, heap.front().value) > 0) {
          continue;
        }
        Offer(order.Make(r, value), k, order, heap);
      }
    }
  }
  std::sort_heap(heap.begin(), heap.end(), order);
  FlowList out;
  out.total = view.size();
  out.flows.resize(heap.size());
  for (size_t i = 0; i < heap.size(); ++i) ToFlow(*heap[i].record, view.pool(), out.flows[i]);
  return out;
}

FlowList ByFlows(const FlowTableView& view, const FlowMatcher& matcher,
                 v1::SortKey key, bool descending, size_t k) {
  const FlowOrder order(key, descending);
  FlowList out;
  view.ForEach([&](const v1::Flow& flow) {
    if (!matcher.Matches(flow)) return;
    ++out.total;
    if (out.flows.size() < k || order(flow, out.flows.front())) {
      v1::Flow copy = flow;
      Offer(std::move(copy), k, order, out.flows);
    }
  });
  std::sort_heap(out.flows.begin(), out.flows.end(), order);
  return out;
}

}  // namespace

FlowList ListTopFlows(const FlowTableView& view, const FlowMatcher& matcher,
                      v1::SortKey key, bool descending, uint32_t limit) {
  const size_t k = limit == 0 ? view.size() : limit;
  if (matcher.AllowsAll() && HasSortValue(key)) {
    return ByRecords(view, key, descending, k);
  }
  return ByFlows(view, matcher, key, descending, k);
}

}  // namespace flowtop::core
