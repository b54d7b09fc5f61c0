// FlowStore: where a Pipeline keeps the flows it applies events to.
//
// A Pipeline (core/pipeline.h) keeps its flows in a FlowTable of its own,
// unless one of its sinks keeps every flow itself and is their only reader:
// the TUI's model in local mode. Holding both kept every flow twice (at a
// million flows ~240 MB in each; docs/memory.md), so such a sink offers its
// store (EventSink::flow_store) and the pipeline applies its events there
// instead: one table in the process.
//
// The pipeline reads the store for what it needs of the flows: whether an
// ENRICH is for an earlier flow (stale), a DESTROYed flow's last state, the
// first-seen time it hands to its sinks (the enricher), and the count.
//
// Every call comes from the pipeline under its own lock, between BeginRun
// and EndRun, in runs of at most kRun events: a store with a lock of its
// own takes it once a run, and a reader of the store waits for one run at
// most.
#ifndef FLOWTOP_CORE_FLOW_STORE_H_
#define FLOWTOP_CORE_FLOW_STORE_H_

#include <cstddef>
#include <cstdint>

#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

class FlowStore {
 public:
  static constexpr size_t kRun = 128;

  virtual ~FlowStore() = default;

  virtual void BeginRun() {}
  virtual void EndRun() {}

  // Applies one event the pipeline stamped (sequence, time, node, id), of
  // any kind: flow events, and SNAPSHOT_END, LOST, STATUS for a store that
  // keeps its source's state. Returns false when a new flow was refused
  // because the store is full.
  virtual bool Apply(const v1::FlowEvent& event) = 0;

  // True for an ENRICH event made for an earlier flow that had the same key
  // (see FlowTable::IsStaleEnrich); the pipeline drops it.
  virtual bool IsStaleEnrich(const v1::FlowEvent& event) const = 0;

  // Builds the flow filed under `key` (core/flow_key.h) into `out`; false
  // when there is none.
  virtual bool Find(uint64_t key, v1::Flow& out) const = 0;

  // The first-seen time of the flow the last NEW, SNAPSHOT or UPDATE that
  // Apply took concerned (0 after any other event or a refused flow).
  virtual int64_t last_first_seen() const = 0;

  virtual size_t size() const = 0;
  // New flows refused because the store was full.
  virtual uint64_t dropped() const = 0;
};

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FLOW_STORE_H_
