// Model: the TUI's current view of the flows of one or several nodes.
//
// Sources (an in-process collector Pipeline, one RemoteSource per flowtopd
// endpoint, a ReplaySource) publish FlowEvents into the model through a
// per-source EventSink; the UI thread takes a Snapshot whenever it wants to
// draw. Rows are immutable and shared (copy on write), so a snapshot is a
// copy of pointers taken under the lock in O(flows) pointer copies, and all
// sorting, filtering and drawing happens on the snapshot with the lock free:
// ingest never waits for the screen.
//
// Flows are keyed by (source, conntrack id), so flows of several nodes never
// collide even when the nodes share a name.
#ifndef FLOWTOP_TUI_MODEL_H_
#define FLOWTOP_TUI_MODEL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "core/flow_key.h"
#include "flowtop/v1/flowtop.pb.h"
#include "tui/flow_hot.h"
#include "tui/row_chunks.h"

namespace flowtop::tui {

// One flow as the view sees it. Immutable once published in the model.
// Which row a flow is: its source's index (high 64 bits) and its FlowKey
// (conntrack ids alone collide; see core/flow_key.h).
using RowKey = absl::uint128;
inline RowKey MakeRowKey(uint32_t source, const v1::Flow& flow) {
  return absl::MakeUint128(source, core::FlowKey(flow));
}

struct FlowRow {
  FlowHot hot;                // ComputeHot(flow(), traffic); first: one cache line
  uint32_t source = 0;        // index of the source it came from
  std::string node;           // node label shown in the node column
  // Everything but counters and rates (those fields are cleared here and
  // live in `traffic`); shared between the versions of a row, so a COUNTERS
  // event does not copy it.
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

// Rows replaced or removed while a snapshot may still read them. Each
// snapshot holds the bin that was current when it was taken; every bin holds
// the next one, so a snapshot keeps alive exactly the rows retired after it
// was taken, and they are freed when the last snapshot that saw them goes.
struct RetireBin {
  std::vector<std::unique_ptr<const FlowRow>> rows;
  std::shared_ptr<RetireBin> next;
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
  // Unordered; valid while the snapshot lives. Shared in chunks with the
  // model (tui/row_chunks.h): taking a snapshot copies no rows.
  FrozenRows<const FlowRow*> flows;
  // hot[i] == flows[i]->hot, packed: a frame scans this array sequentially
  // and touches a row only when it needs more than the hot fields.
  FrozenRows<FlowHot> hot;
  // Shared by every snapshot of one model version (rows unchanged).
  std::shared_ptr<DerivedCache> derived;
  std::shared_ptr<const RetireBin> keepalive;
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
  };

  void ApplyChunk(int index, absl::Span<v1::FlowEvent> events);
  // Takes the flow out of NEW, SNAPSHOT and UPDATE events (sinks may).
  void Upsert(int index, v1::FlowEvent& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Remove(RowKey key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetConnectedLocked(int index, bool connected, std::string error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SweepStale(int index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const core::Clock& clock_;
  mutable absl::Mutex mu_;
  // Snapshots waiting for mu_; sources hold back while it is non-zero.
  mutable std::atomic<int> snapshot_waiters_{0};
  std::vector<std::unique_ptr<Sink>> sinks_ ABSL_GUARDED_BY(mu_);
  std::vector<SourceData> sources_ ABSL_GUARDED_BY(mu_);
  // Retires a row no longer in the table: freed at once when no snapshot
  // can see it, else kept in the current bin.
  void Retire(std::unique_ptr<const FlowRow> row) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Dense rows plus key -> index; `view_` mirrors rows_ as raw pointers in
  // chunks that snapshots share (no per-row reference counting or copy).
  std::vector<std::unique_ptr<const FlowRow>> rows_ ABSL_GUARDED_BY(mu_);
  RowChunks<const FlowRow*> view_ ABSL_GUARDED_BY(mu_);
  RowChunks<FlowHot> hot_ ABSL_GUARDED_BY(mu_);  // view_[i]->hot, packed
  // The DerivedCache of the last snapshot and the version it was taken at.
  mutable std::shared_ptr<DerivedCache> derived_ ABSL_GUARDED_BY(mu_);
  mutable uint64_t derived_version_ ABSL_GUARDED_BY(mu_) = 0;
  mutable std::shared_ptr<RetireBin> bin_ ABSL_GUARDED_BY(mu_);  // TakeSnapshot starts a new one
  std::vector<uint32_t> row_generation_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<RowKey, size_t> index_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> notes_ ABSL_GUARDED_BY(mu_);
  std::string empty_hint_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_MODEL_H_
