// EventRecycler: parses FlowEvents into messages that are reused from block
// to block without reallocating their sub-messages.
//
// protobuf 3.21's generated Clear() (and so ParseFromArray) deletes every
// proto3 singular sub-message, so parsing into a reused FlowEvent still
// allocates and frees its whole Flow tree (Flow, Tuples, Counters, Rates,
// Enrichment, Endpoints, ...): about 40% of the instructions of reading a
// recording. The recycler detaches those sub-messages before clearing and
// re-attaches exactly the ones the record holds (it reads the record's field
// tags first), so presence is what a fresh parse gives and the result equals
// ParseFromArray's. Detached sub-messages the record does not hold wait in a
// per-type pool for a later record. Messages a sink moved from are simply
// empty, and grow again from the pool.
//
// Not thread-safe: one per reader.
#ifndef FLOWTOP_REPLAY_EVENT_RECYCLER_H_
#define FLOWTOP_REPLAY_EVENT_RECYCLER_H_

#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::replay {

class EventRecycler {
 public:
  // Parses one serialized FlowEvent into `event`, replacing its contents.
  // Returns false when the bytes are not a valid FlowEvent (then `event`
  // holds whatever ParseFromArray left).
  bool Parse(absl::string_view bytes, v1::FlowEvent* event);

  // A free list of one sub-message type.
  template <typename T>
  class Pool {
   public:
    // Returns a message (with its old sub-messages, to be reset) or a new one.
    T* Take() {
      if (free_.empty()) return new T;
      T* m = free_.back().release();
      free_.pop_back();
      return m;
    }
    void Give(T* m) { free_.emplace_back(m); }

   private:
    std::vector<std::unique_ptr<T>> free_;
  };

 private:
  void ResetFlow(v1::Flow& flow, absl::string_view wire);
  void ResetEnrichment(v1::Enrichment& enrichment, absl::string_view wire);
  void ResetEndpoint(v1::Endpoint& endpoint, absl::string_view wire);

  Pool<v1::Flow> flows_;
  Pool<v1::Tuple> tuples_;
  Pool<v1::FlowStatus> statuses_;
  Pool<v1::Counters> counters_;
  Pool<v1::Rate> rates_;
  Pool<v1::Enrichment> enrichments_;
  Pool<v1::Endpoint> endpoints_;
  Pool<v1::Geo> geos_;
  Pool<v1::Process> processes_;
};

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_EVENT_RECYCLER_H_
