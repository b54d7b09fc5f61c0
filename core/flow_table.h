// FlowTable: the current set of flows of one node, kept up to date by
// applying FlowEvents in sequence order.
//
// Flows are keyed by FlowKey (core/flow_key.h), never by conntrack id
// alone: two live flows can share a conntrack id.
//
// Each flow is a FlowRecord (core/flow_record.h, ~200 bytes) and every event
// is merged by its ApplyFlowEvent, the one merge rule of flowtop: NEW and
// SNAPSHOT insert, UPDATE merges the kernel's view, ENRICH merges
// enrichment, COUNTERS merges counters and rates, DESTROY removes. Strings
// many flows share live once in the table's StringPool. The table is
// bounded: a NEW beyond `max_flows` is counted as dropped, never allowed to
// grow memory without limit.
//
// Memory (docs/memory.md, bench/collector:flow_table_memory): ~240 bytes a
// flow with the index at 1,000,000 flows, against ~430 for the serialized
// v1::Flow per flow this table kept before.
//
// Readers never stop the writer for a walk: the flows are split into
// kShards (4,096) shards, each shared copy-on-write. View() (O(kShards), taken
// under the owner's lock) hands out a FlowTableView, a consistent,
// immutable picture of the whole table as of last_seq(); the writer copies
// a shard (about 1/4096 of the table, 50 KB at a million flows) the first time it changes it while a
// view holds it, so a reader that walks a million flows costs the event
// path at most one shard copy per event, never the walk.
//
// Not thread-safe itself: the owner serialises Apply, Find and View (one
// writer thread, readers take views under the owner's lock). Views may be
// read on any thread, concurrently with the writer.
#ifndef FLOWTOP_COLLECTOR_FLOW_TABLE_H_
#define FLOWTOP_COLLECTOR_FLOW_TABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "core/flow_record.h"
#include "core/record_order.h"
#include "core/string_pool.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

namespace flow_table_internal {

// One shard: its records, dense, and an index of their positions hashed by
// the records' FlowKeys (4 bytes a slot, not a key and a position).
struct Shard {
  struct Key {
    uint64_t value;
  };
  struct Hash {
    using is_transparent = void;
    const std::vector<FlowRecord>* records;
    size_t operator()(Key key) const;
    size_t operator()(uint32_t pos) const;
  };
  struct Eq {
    using is_transparent = void;
    const std::vector<FlowRecord>* records;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t a, Key b) const;
    bool operator()(Key a, uint32_t b) const { return (*this)(b, a); }
  };

  Shard();
  // A copy (copy-on-write) gets an index of its own records.
  Shard(const Shard& other);
  Shard& operator=(const Shard&) = delete;

  // The position of the record filed under `key`, or -1.
  int64_t Find(uint64_t key) const;
  // After `record` (one of records) changed or arrived: widens the bounds,
  // and recomputes them exactly once changes since the last time outnumber
  // the records (amortized O(1) a change; keeps bounds from going stale).
  void Touched(const FlowRecord& record);
  // A record left: the bounds may now be loose.
  void Left();
  void RecomputeBounds();

  std::vector<FlowRecord> records;
  absl::flat_hash_set<uint32_t, Hash, Eq> index;
  RecordBounds bounds;  // of every record in `records`
  size_t changes = 0;   // since the bounds were last exact
};

inline constexpr size_t kShards = 4096;
using Shards = std::array<std::shared_ptr<const Shard>, kShards>;

}  // namespace flow_table_internal

// A consistent, immutable picture of a FlowTable (see FlowTable::View).
// Holds the table's string pool pinned: keep it for the walk, not forever
// (records the writer replaced meanwhile stay allocated until it goes).
class FlowTableView {
 public:
  FlowTableView() = default;
  FlowTableView(flow_table_internal::Shards shards,
                std::shared_ptr<StringPool> pool, size_t size, uint64_t seq);
  FlowTableView(FlowTableView&& other) noexcept;
  FlowTableView& operator=(FlowTableView&& other) noexcept;
  FlowTableView(const FlowTableView&) = delete;
  FlowTableView& operator=(const FlowTableView&) = delete;
  ~FlowTableView();

  size_t size() const { return size_; }
  // The sequence number of the last event the picture includes.
  uint64_t last_seq() const { return seq_; }
  const StringPool& pool() const { return *pool_; }

  // Calls fn(const FlowRecord&) for every flow, in no particular order.
  template <typename Fn>
  void ForEachRecord(Fn&& fn) const {
    for (const auto& shard : shards_) {
      if (shard == nullptr) continue;
      for (const FlowRecord& r : shard->records) fn(r);
    }
  }

  // The records of shard `i` (of flow_table_internal::kShards) and bounds
  // of their sort values (core/record_order.h), for readers that skip
  // shards.
  absl::Span<const FlowRecord> ShardRecords(size_t i) const {
    return shards_[i] == nullptr ? absl::Span<const FlowRecord>()
                                 : absl::MakeConstSpan(shards_[i]->records);
  }
  const RecordBounds& ShardBounds(size_t i) const {
    static const RecordBounds kNone;
    return shards_[i] == nullptr ? kNone : shards_[i]->bounds;
  }

  // Calls fn(const v1::Flow&) for every flow (built from its record).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    v1::Flow flow;
    ForEachRecord([&](const FlowRecord& r) {
      ToFlow(r, *pool_, flow);
      fn(static_cast<const v1::Flow&>(flow));
    });
  }

 private:
  flow_table_internal::Shards shards_;
  std::shared_ptr<StringPool> pool_;
  size_t size_ = 0;
  uint64_t seq_ = 0;
};

class FlowTable {
 public:
  static constexpr size_t kDefaultMaxFlows = 1 << 20;

  explicit FlowTable(size_t max_flows = kDefaultMaxFlows);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Applies one event. Returns false when a new flow was refused because the
  // table is full (counted in dropped()); true otherwise, including for
  // events that do not concern a flow (LOST, STATUS, ...).
  bool Apply(const v1::FlowEvent& event);

  // Returns the flow with this key (FlowKey: v1::Flow::key, or the
  // conntrack id for flows without one), or nullptr. The flow is built on
  // demand into storage owned by the table: the pointer stays valid until
  // the next Find or Apply (copy it to keep it).
  const v1::Flow* Find(uint64_t key) const;

  // True for an ENRICH event meant for an earlier flow that had the same
  // conntrack id: the event names its flow's first-seen time, and the
  // flow the table holds under that id was first seen at another time.
  // (ENRICH events without a first-seen time, as older recordings hold,
  // are never stale.) Callers drop such events instead of applying them
  // (Apply ignores them too).
  bool IsStaleEnrich(const v1::FlowEvent& event) const;

  // The first-seen time of the flow the last NEW, SNAPSHOT or UPDATE that
  // Apply took concerned (0 after any other event or a refused flow).
  int64_t last_first_seen() const { return last_first_seen_; }

  size_t size() const { return size_; }
  size_t max_flows() const { return max_flows_; }
  uint64_t dropped() const { return dropped_; }
  // Sequence number of the last event applied (0 before any).
  uint64_t last_seq() const { return last_seq_; }

  // A consistent picture of the table, to read on any thread (see the
  // file comment). O(kShards).
  FlowTableView View() const;

  // Calls fn(const v1::Flow&) for every flow, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    View().ForEach(fn);
  }

  // Returns a copy of every flow.
  std::vector<v1::Flow> Snapshot() const;

  void Clear();

 private:
  using Shard = flow_table_internal::Shard;
  // The shard `key` lives in, copied first if a view shares it.
  Shard& Mutable(size_t shard);
  const Shard* Get(size_t shard) const { return shards_[shard].get(); }
  const FlowRecord* FindRecord(uint64_t key) const;
  bool ApplyKernelView(const v1::FlowEvent& event, uint64_t key);
  void Erase(uint64_t key);

  size_t max_flows_;
  size_t size_ = 0;
  uint64_t dropped_ = 0;
  uint64_t last_seq_ = 0;
  int64_t last_first_seen_ = 0;
  std::shared_ptr<StringPool> pool_;
  // Shared with views; mutated only where this table is the sole owner.
  std::array<std::shared_ptr<Shard>, flow_table_internal::kShards> shards_;
  mutable v1::Flow found_;  // Find's result
};

}  // namespace flowtop::core

#endif  // FLOWTOP_COLLECTOR_FLOW_TABLE_H_
