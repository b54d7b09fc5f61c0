// Model: the TUI's current view of the flows of one or several nodes.
//
// Sources (an in-process collector Pipeline, one RemoteSource per flowtopd
// endpoint, a ReplaySource) publish FlowEvents into the model through a
// per-source EventSink; the UI thread takes a Snapshot whenever it wants to
// draw. Each flow is core's FlowRecord (tui/row_store.h), merged by core's
// ApplyFlowEvent (the rule FlowTable applies too), in chunks that snapshots
// share copy-on-write: a snapshot copies chunk pointers under the lock, and
// all sorting, filtering and drawing happens on the snapshot with the lock
// free: ingest never waits for the screen. Only the rows drawn are turned
// back into v1::Flow (FlowRow).
//
// Flows are keyed by (source, FlowKey), so flows of several nodes never
// collide even when the nodes share a name.
//
// In local mode the model is the only table of the process: the collector's
// Pipeline applies its events to the source's sink as a core::FlowStore
// (core/flow_store.h) instead of keeping a FlowTable beside the model, so a
// million flows are held once (docs/memory.md).
#ifndef FLOWTOP_TUI_MODEL_H_
#define FLOWTOP_TUI_MODEL_H_

#include <atomic>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/numeric/int128.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "core/flow_key.h"
#include "core/string_pool.h"
#include "flowtop/v1/flowtop.pb.h"
#include "tui/flow_hot.h"
#include "tui/row_chunks.h"
#include "tui/row_store.h"

namespace flowtop::tui {

// Which row a flow is: its source's index (high 64 bits) and its FlowKey
// (conntrack ids alone collide; see core/flow_key.h).
using RowKey = absl::uint128;
inline RowKey MakeRowKey(uint32_t source, const v1::Flow& flow) {
  return absl::MakeUint128(source, core::FlowKey(flow));
}

// One flow as the view draws it, built from the model's record (StoredRow,
// tui/row_store.h) only for the rows on screen, the detail view and the
// batch outputs. Owns its data: it outlives the snapshot it came from.
struct FlowRow {
  FlowHot hot;                // HotOf(the stored row)
  uint32_t source = 0;        // index of the source it came from
  std::string node;           // node label shown in the node column
  // Everything but counters and rates (those fields are cleared here and
  // live in `traffic`).
  std::shared_ptr<const v1::Flow> kernel;
  Traffic traffic;
  int64_t counters_time_nanos = 0;  // when the counters were last set

  const v1::Flow& flow() const { return *kernel; }
  RowKey Key() const { return MakeRowKey(source, *kernel); }
  // Returns the whole flow with its current counters and rates.
  v1::Flow Complete() const;
};

// An owned copy of a row, for views that outlive a snapshot (the detail
// view, the row under the cursor).
using RowPtr = std::shared_ptr<const FlowRow>;

// What a snapshot's rows share: the frozen records, the pool their ids
// name, the sources' labels, and the rows built from them so far.
struct SnapshotRows {
  StoredRows stored;
  std::shared_ptr<const core::StringPool> pool;
  std::vector<std::string> labels;  // per source
  mutable absl::Mutex mu;
  mutable absl::flat_hash_map<uint32_t, std::unique_ptr<const FlowRow>> built
      ABSL_GUARDED_BY(mu);
};

// The flows of a snapshot, row by row, as FlowRows built on demand (each
// once per snapshot). Passes over all rows read `stored()` instead.
class SnapshotFlows {
 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = const FlowRow*;
    using difference_type = std::ptrdiff_t;
    using pointer = const FlowRow* const*;
    using reference = const FlowRow*;
    const_iterator(const SnapshotFlows* flows, size_t i) : flows_(flows), i_(i) {}
    const FlowRow* operator*() const { return (*flows_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    const SnapshotFlows* flows_;
    size_t i_;
  };

  SnapshotFlows() = default;
  explicit SnapshotFlows(std::shared_ptr<const SnapshotRows> rows) : rows_(std::move(rows)) {}

  size_t size() const { return rows_ ? rows_->stored.size() : 0; }
  bool empty() const { return size() == 0; }
  // Row i, built once and kept with the snapshot.
  const FlowRow* operator[](size_t i) const;
  // Row i, built afresh and not kept (for passes that print every row).
  FlowRow Build(size_t i) const;
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size()); }
  // The index of the row with `key`, or -1.
  int64_t Find(RowKey key) const;

  const StoredRows& stored() const;
  // Keeps the rows (stored and built) alive after the snapshot goes.
  std::shared_ptr<const void> KeepAlive() const { return rows_; }
  const core::StringPool& pool() const { return *rows_->pool; }
  absl::Span<const std::string> labels() const { return rows_->labels; }

 private:
  std::shared_ptr<const SnapshotRows> rows_;
};

// The hot fields of a snapshot's rows: hot[i] == flows[i]->hot.
class SnapshotHot {
 public:
  SnapshotHot() = default;
  explicit SnapshotHot(std::shared_ptr<const SnapshotRows> rows) : rows_(std::move(rows)) {}
  size_t size() const { return rows_ ? rows_->stored.size() : 0; }
  FlowHot operator[](size_t i) const { return HotOf(rows_->stored[i]); }

 private:
  std::shared_ptr<const SnapshotRows> rows_;
};

// The state of one source (endpoint) for the status line.
struct SourceState {
  std::string label;
  bool connected = true;
  bool synced = false;        // its initial snapshot has ended
  bool ended = false;         // the source stopped (e.g. end of a recording)
  std::string error;          // why it is disconnected or ended, if known
  uint64_t lost_events = 0;   // summed from LOST events
  uint64_t loss_gaps = 0;     // LOST events that could not count (e.g. a reconnect)
  uint64_t events = 0;
  // While its initial snapshot loads (!synced): flows received so far, and
  // how many the node said it has (0: unknown).
  uint64_t loaded = 0;
  uint64_t expected = 0;
  // The kernel source's rate period, while its CPU budget stretches it
  // beyond the configured interval (a STATUS event says so); zero otherwise.
  absl::Duration stretched_rate_period;
  // Sources on the stream's clock (remote nodes): the node's event time
  // minus this model's clock when the newest event arrived. A node serving
  // a recording runs days behind; ages on its rows are measured against
  // its time, not the wall clock. Zero for the other sources.
  bool stream_clock = false;
  absl::Duration clock_offset;
};

// Work derived from a snapshot's rows (tui/table's filtered and ordered
// rows), kept with the snapshot so that drawing the same rows again (a
// cursor move, a refresh with nothing changed) does not redo it. Opaque
// here: its user stores what it likes in `value` under `mu`.
struct DerivedCache {
  absl::Mutex mu;
  std::shared_ptr<void> value ABSL_GUARDED_BY(mu);
};

// What the view draws: every flow plus the state of every source.
struct Snapshot {
  absl::Time now;
  // Unordered; valid while the snapshot lives. The records are shared in
  // chunks with the model (tui/row_chunks.h): taking a snapshot copies no
  // rows.
  SnapshotFlows flows;
  SnapshotHot hot;
  // Shared by every snapshot of one model version (rows unchanged).
  std::shared_ptr<DerivedCache> derived;
  std::vector<SourceState> sources;
  std::vector<std::string> notes;  // notices for the status line, oldest first
  std::string empty_hint;          // shown with "no flows yet" (see Model::SetEmptyHint)
  uint64_t version = 0;       // Model::version() when taken

  uint64_t LostEvents() const;
  // "loading N/M" (or "loading N") while a connected source's initial
  // snapshot is incomplete; empty once every source is synced.
  std::string LoadingText() const;
  // True while a connected source has not finished its initial snapshot.
  bool Loading() const;
  uint64_t LossGaps() const;
  int Disconnected() const;
  // "Now" for the rows of source `index`: `now` on that source's clock.
  absl::Time NowFor(uint32_t index) const;
};

class Model {
 public:
  explicit Model(const core::Clock& clock);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Registers a source and returns its index. `label` is the node column
  // text (e.g. "r1:7070" or "local"). Call before its events arrive.
  // With `stream_clock`, ages of its rows are measured against the time of
  // its events (see SourceState::clock_offset): for remote nodes.
  int AddSource(std::string label, bool stream_clock = false);

  // Returns the sink for source `index`; it lives as long as the model.
  core::EventSink& SinkFor(int index);

  // Applies events of source `index` (what SinkFor(index).Publish does).
  void Apply(int index, absl::Span<v1::FlowEvent> events);

  // Marks a source connected or disconnected (with the reason). A source
  // that reconnects re-sends its snapshot: flows it had before and does not
  // announce again by SNAPSHOT_END are dropped then.
  void SetConnected(int index, bool connected, std::string error = "");

  // Adds a one-line notice for the status line (thread-safe).
  void AddNote(std::string note);

  // Sets why the table may stay empty and what to do (one line), shown in
  // place of a silent "no flows yet".
  void SetEmptyHint(std::string hint);

  // Marks a source as finished (end of a recording, fatal error).
  void SetEnded(int index, std::string error = "");

  // Returns a snapshot of all flows and sources, stamped with the clock.
  Snapshot TakeSnapshot() const;

  // Returns a counter that grows whenever the model changes.
  uint64_t version() const;

  // Waits until version() differs from `seen` or `timeout` passes. Returns
  // the current version.
  uint64_t WaitForChange(uint64_t seen, absl::Duration timeout) const;

  // Waits until every source has finished its initial snapshot (or ended),
  // or `timeout` passes. Returns true when all are synced.
  bool WaitForSync(absl::Duration timeout) const;
  // Blocks until every source has sent its whole initial snapshot, ended,
  // or is disconnected (nothing more to wait for): complete first
  // snapshots for the batch modes, however long a million flows take.
  void WaitForInitialSnapshots() const;

  // Waits until every source has ended or `timeout` passes. Returns true
  // when all have ended.
  bool WaitForAllEnded(absl::Duration timeout) const;

  // Returns true when every source has ended.
  bool AllEnded() const;

  size_t size() const;

 private:
  class Sink;
  struct SourceData {
    SourceState state;
    uint32_t generation = 0;  // bumped on reconnect
    uint64_t flows = 0;       // its rows
  };

  void ApplyChunk(int index, absl::Span<v1::FlowEvent> events);
  // A run of events (a chunk of a batch, or a Pipeline's run through the
  // source's FlowStore): takes mu_ once a waiting snapshot went first, and
  // bumps the version when it lets go.
  void BeginRun() ABSL_EXCLUSIVE_LOCK_FUNCTION(mu_);
  void EndRun() ABSL_UNLOCK_FUNCTION(mu_);
  // Applies one event of source `index` (of any kind).
  void ApplyOne(int index, const v1::FlowEvent& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyStatus(SourceData& source, int index, const v1::NodeStatus& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Upsert(int index, const v1::FlowEvent& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What a Pipeline asks of the source's flows (Sink's core::FlowStore).
  bool IsStaleEnrich(int index, const v1::FlowEvent& event) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FindFlow(int index, uint64_t key, v1::Flow& out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t SourceFlows(int index) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Remove(size_t pos) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetConnectedLocked(int index, bool connected, std::string error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SweepStale(int index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const core::Clock& clock_;
  mutable absl::Mutex mu_;
  // Snapshots waiting for mu_; sources hold back while it is non-zero.
  mutable std::atomic<int> snapshot_waiters_{0};
  std::vector<std::unique_ptr<Sink>> sinks_ ABSL_GUARDED_BY(mu_);
  std::vector<SourceData> sources_ ABSL_GUARDED_BY(mu_);
  // The rows (records with the TUI's state) in chunks that snapshots share,
  // and an index of their positions hashed by (source, FlowKey).
  struct PosHash {
    using is_transparent = void;
    const RowChunks<StoredRow, RecordChunk>* rows;
    size_t operator()(RowKey key) const;
    size_t operator()(uint32_t pos) const;
  };
  struct PosEq {
    using is_transparent = void;
    const RowChunks<StoredRow, RecordChunk>* rows;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t a, RowKey b) const;
    bool operator()(RowKey a, uint32_t b) const { return (*this)(b, a); }
  };
  // The position of the row with `key`, or -1.
  int64_t Find(RowKey key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Merges one event into the row at `pos` (core's rule, then the TUI's
  // derived rates and owner facts).
  void Merge(int index, const v1::FlowEvent& event, int64_t now, size_t pos)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::shared_ptr<core::StringPool> pool_;
  RowChunks<StoredRow, RecordChunk> rows_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint32_t, PosHash, PosEq> index_ ABSL_GUARDED_BY(mu_);
  // The DerivedCache of the last snapshot and the version it was taken at.
  mutable std::shared_ptr<DerivedCache> derived_ ABSL_GUARDED_BY(mu_);
  mutable uint64_t derived_version_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  // The first-seen time of the row the last NEW, SNAPSHOT or UPDATE touched
  // (FlowStore::last_first_seen).
  int64_t last_first_seen_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> notes_ ABSL_GUARDED_BY(mu_);
  std::string empty_hint_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_MODEL_H_
