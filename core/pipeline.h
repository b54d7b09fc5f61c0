// Pipeline: the single path every event takes inside a node.
//
// Sources (kernel, recording, remote) and the enrichment workers publish into
// the pipeline; it stamps the node name and a per-node sequence number,
// applies the event to the FlowTable and fans the batch out to its sinks
// (event ring, recorder, enricher), all under one lock so that every sink
// sees the same order. Where one sink keeps every flow itself and is their
// only reader (the TUI's model in local mode), the pipeline applies events
// to that sink's FlowStore instead of a table of its own (KeepFlowsIn), so
// the process holds each flow once. Sinks must be fast (the ring's writer never waits).
// A DESTROY leaves the pipeline carrying the flow's last known state (from
// the table) merged with what the kernel sent, so sinks see final counters
// and tuples even for DESTROYs that only name an id (after a resync).
#ifndef FLOWTOP_COLLECTOR_PIPELINE_H_
#define FLOWTOP_COLLECTOR_PIPELINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "core/flow_store.h"
#include "core/flow_table.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

struct PipelineOptions {
  std::string node = "local";
  size_t max_flows = FlowTable::kDefaultMaxFlows;
  // Keep the sequence numbers and times the source set (replay of a
  // recording); otherwise the pipeline numbers events itself.
  bool keep_source_seq = false;
  // Stamp `node` on every event and flow (and rebuild flow ids) even where
  // the source set another node: a recording served under a new name.
  bool stamp_node = false;
};

struct PipelineStats {
  uint64_t events = 0;
  uint64_t flows = 0;
  uint64_t dropped_flows = 0;  // NEWs refused by a full table
  uint64_t lost_kernel = 0;    // summed from LOST events by source
  uint64_t lost_ring = 0;
  uint64_t lost_client = 0;
  uint64_t lost_recording = 0;
  uint64_t last_seq = 0;
  uint64_t stale_enrich = 0;  // ENRICH events for an earlier flow, dropped
  // An initial snapshot (SNAPSHOT events) began and its SNAPSHOT_END has
  // not come yet: the table is incomplete. `loaded`: its flows so far.
  bool loading = false;
  uint64_t loaded = 0;
};

class Pipeline final : public EventSink {
 public:
  Pipeline(PipelineOptions options, const Clock& clock);
  ~Pipeline() override;

  // Adds a sink; call before any event is published. Not owned.
  void AddSink(EventSink* sink);

  // Applies events to `store` (not owned; it outlives the pipeline) instead
  // of the pipeline's own table: for a sink that keeps every flow itself
  // and is the only reader of them (core/flow_store.h), so that the process
  // holds each flow once. The store is then not a sink: it sees each event
  // as it is applied, before the sinks see the batch. Call before any event
  // is published; View() and WithTable() then see an empty table.
  void KeepFlowsIn(FlowStore& store);

  // Stamps, applies and forwards a batch. Thread-safe: sources and
  // enrichment workers may publish concurrently.
  void Publish(absl::Span<v1::FlowEvent> events) override;
  // Publish, if the lock is free right now (see EventSink::TryPublish).
  bool TryPublish(absl::Span<v1::FlowEvent> events) override;
  // Whether another thread holds the pipeline right now.
  bool Busy() override;

  // Runs fn(const FlowTable&) under the pipeline's lock and returns its
  // result; keep fn short (it blocks publishing): walks belong on a View().
  template <typename Fn>
  auto WithTable(Fn&& fn) const {
    absl::MutexLock lock(&mu_);
    return fn(static_cast<const FlowTable&>(table_));
  }

  // A consistent picture of the table as of its last_seq(), to walk on any
  // thread without holding the pipeline (see FlowTableView): taken in
  // O(shards) under the lock, so readers never stop the event path.
  FlowTableView View() const {
    absl::MutexLock lock(&mu_);
    return table_.View();
  }

  // The table as of the batch a sink's Publish is given (every event of it
  // applied): for a sink that would otherwise keep a copy of every flow (the
  // recorder's keyframes). Read it only inside that sink's Publish, which
  // runs under the pipeline's lock; never from another thread.
  const FlowTable& PublishedTable() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return table_;
  }

  PipelineStats stats() const;
  // Waits until no initial snapshot is loading (see PipelineStats::loading)
  // or `timeout` passes; returns whether it is complete.
  bool WaitLoaded(absl::Duration timeout) const;
  const std::string& node() const { return options_.node; }

 private:
  class TableStore;

  void PublishLocked(absl::Span<v1::FlowEvent> events, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // New flows the store refused since the last report, as one LOST TABLE
  // event for the sinks: a table that lacks flows says so.
  void ReportDroppedLocked(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stamps and applies one event; false when it is dropped (stale ENRICH).
  bool ApplyLocked(v1::FlowEvent& event, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PipelineOptions options_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  FlowTable table_ ABSL_GUARDED_BY(mu_);
  // Where events are applied: table_ (through own_store_), or a sink's.
  std::unique_ptr<FlowStore> own_store_;
  FlowStore* store_ ABSL_GUARDED_BY(mu_);
  std::vector<EventSink*> sinks_ ABSL_GUARDED_BY(mu_);
  PipelineStats stats_ ABSL_GUARDED_BY(mu_);
  bool snapshot_ended_ ABSL_GUARDED_BY(mu_) = false;
  // dropped_flows already announced by a LOST TABLE event.
  uint64_t dropped_reported_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace flowtop::core

#endif  // FLOWTOP_COLLECTOR_PIPELINE_H_
