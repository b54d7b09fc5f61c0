#include "core/flow_list.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/flow_sort.h"

namespace flowtop::core {
namespace {

bool NumericKey(v1::SortKey key) {
  return key == v1::SORT_BYTES || key == v1::SORT_RATE ||
         key == v1::SORT_PACKETS || key == v1::SORT_AGE;
}

// A candidate of the record path and, built once on a tie, its id.
struct Candidate {
  const FlowRecord* record;
  mutable std::string id;
  mutable bool has_id = false;
};

// FlowOrder's order on records: the same key (exact integers), ties broken
// by id.
class RecordOrder {
 public:
  RecordOrder(const StringPool& pool, v1::SortKey key, bool descending)
      : pool_(pool), key_(key), descending_(descending) {}

  // Whether a sorts after b on the key alone (ties are not).
  bool KeyOnlyWorse(const Candidate& a, const Candidate& b) const {
    const int c = CompareKey(a, b);
    return descending_ ? c < 0 : c > 0;
  }

  // Whether a sorts before b (FlowOrder's order).
  bool operator()(const Candidate& a, const Candidate& b) const {
    const int c = CompareKey(a, b);
    if (c != 0) return descending_ ? c > 0 : c < 0;
    return Tie(a, b);
  }

 private:
  int CompareKey(const Candidate& a, const Candidate& b) const {
    if (key_ == v1::SORT_BYTES || key_ == v1::SORT_PACKETS) {
      const uint64_t x = key_ == v1::SORT_BYTES ? a.record->total_bytes() : a.record->total_packets();
      const uint64_t y = key_ == v1::SORT_BYTES ? b.record->total_bytes() : b.record->total_packets();
      return x < y ? -1 : (y < x ? 1 : 0);
    }
    if (key_ == v1::SORT_AGE) {  // the youngest (latest first seen) first
      const int64_t x = a.record->first_seen_unix_nanos;
      const int64_t y = b.record->first_seen_unix_nanos;
      return y < x ? -1 : (x < y ? 1 : 0);
    }
    const double x = a.record->total_bytes_per_second();
    const double y = b.record->total_bytes_per_second();
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  const std::string& Id(const Candidate& c) const {
    if (!c.has_id) {
      ToFlow(*c.record, pool_, flow_);
      c.id = flow_.id();
      c.has_id = true;
    }
    return c.id;
  }
  bool Tie(const Candidate& a, const Candidate& b) const {
    const std::string& x = Id(a);
    const std::string& y = Id(b);
    if (x != y) return x < y;
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

FlowList ByRecords(const FlowTableView& view, v1::SortKey key, bool descending,
                   size_t k) {
  const RecordOrder order(view.pool(), key, descending);
  std::vector<Candidate> heap;
  heap.reserve(std::min(k, view.size()));
  view.ForEachRecord([&](const FlowRecord& r) {
    Candidate c{&r, {}, false};
    // Most records lose to the worst kept one on the key alone: skip them
    // without the heap.
    if (heap.size() == k && k > 0 && order.KeyOnlyWorse(c, heap.front())) return;
    Offer(std::move(c), k, order, heap);
  });
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
  if (matcher.AllowsAll() && NumericKey(key)) {
    return ByRecords(view, key, descending, k);
  }
  return ByFlows(view, matcher, key, descending, k);
}

}  // namespace flowtop::core
