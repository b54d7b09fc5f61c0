// EventSource and EventSink: the seam between where flow events come from
// (the kernel over netlink, a recording, a remote flowtopd) and what consumes
// them (the flow table, the event ring, a recorder, the TUI model).
//
// A source runs on its own thread and hands events to one sink in batches.
// Sinks must return quickly: the kernel source's reader thread is the caller,
// and a slow sink loses kernel events.
#ifndef FLOWTOP_COLLECTOR_EVENT_SOURCE_H_
#define FLOWTOP_COLLECTOR_EVENT_SOURCE_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

class FlowStore;  // core/flow_store.h

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Receives a batch of events in sequence order. The sink may move from
  // the elements; the caller reuses the storage after Publish returns.
  virtual void Publish(absl::Span<v1::FlowEvent> events) = 0;
  // Publishes the batch only if that needs no waiting for another publisher
  // (the Pipeline: its lock is free now) and returns true; otherwise returns
  // false and leaves the events alone. Lets low-priority publishers (the
  // enrichment workers) give way to the event path. Sinks that never wait
  // just publish.
  virtual bool TryPublish(absl::Span<v1::FlowEvent> events) {
    Publish(events);
    return true;
  }
  // True when a Publish now would wait for another publisher (a hint: the
  // answer may change at once). Sinks that never wait: false.
  virtual bool Busy() { return false; }
  // A sink that keeps every flow of its source itself (the TUI's model)
  // returns the store it keeps them in, so that a Pipeline whose only
  // reader it is applies events there and keeps no table of its own
  // (Pipeline::KeepFlowsIn, core/flow_store.h). Others: null.
  virtual FlowStore* flow_store() { return nullptr; }
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Delivers events to `sink` until Stop() is called or the source ends.
  // Returns OK when stopped or at the natural end (a recording's last event);
  // otherwise the error that ended it (e.g. PERMISSION_DENIED for netlink
  // without CAP_NET_ADMIN, DATA_LOSS for a damaged recording).
  virtual absl::Status Run(EventSink& sink) = 0;
  // Makes Run return soon. Thread-safe; may be called before Run.
  virtual void Stop() = 0;
};

}  // namespace flowtop::core

#endif  // FLOWTOP_COLLECTOR_EVENT_SOURCE_H_
