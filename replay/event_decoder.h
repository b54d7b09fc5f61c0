// EventDecoder: decodes serialized FlowEvents (a recording's records) into
// reused messages, about twice as fast as protobuf's generated parser.
//
// A recording holds mostly NEW/UPDATE/ENRICH/COUNTERS/DESTROY events with a
// full Flow tree. protobuf 3.21's generated parser spends its time on
// general machinery (nested-message limits, tag dispatch through two
// switches, unknown-field handling) and its Clear() deletes proto3
// sub-messages, so every record re-allocates its whole tree. This decoder
// reads the wire format of FlowEvent and the messages below it in one pass
// with a switch per message, writes through the generated setters, and
// keeps sub-messages allocated from record to record (a record that lacks
// one gives it to a per-type pool for a later record).
//
// Exactness: the result always equals what ParseFromArray gives, presence
// of sub-messages included. The fast path accepts only records it fully
// understands: every field known to this build with the wire type the
// .proto declares, lengths within bounds, strings valid UTF-8 (as protobuf
// requires of proto3 `string`). Anything else (fields of a newer format,
// which protobuf keeps as unknown fields; a NodeStatus; malformed bytes)
// goes to ParseFromArray, which then decides. Tests compare both on every
// event kind, on messages with every field set, and on mutated bytes.
//
// Not thread-safe: one per reader.
#ifndef FLOWTOP_REPLAY_EVENT_DECODER_H_
#define FLOWTOP_REPLAY_EVENT_DECODER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::replay {

class EventDecoder {
 public:
  // Decodes one serialized FlowEvent into `event`, replacing its contents.
  // Returns false when the bytes are not a valid FlowEvent (then `event`
  // holds whatever ParseFromArray left).
  bool Decode(absl::string_view bytes, v1::FlowEvent* event);

  struct Stats {
    uint64_t fast = 0;      // records decoded by the fast path
    uint64_t fallback = 0;  // records handed to protobuf's parser
  };
  const Stats& stats() const { return stats_; }

  // A free list of one sub-message type. Pooled messages may still hold an
  // earlier record's contents; whoever takes one resets it. It keeps at
  // most kMaxPooled (messages travel between decoders when blocks are
  // decoded on two threads, so one pool may get more than it gives).
  template <typename T>
  class Pool {
   public:
    static constexpr size_t kMaxPooled = 1 << 14;
    T* Take() {
      if (free_.empty()) return new T;
      T* m = free_.back().release();
      free_.pop_back();
      return m;
    }
    void Give(T* m) {
      if (m == nullptr) return;
      if (free_.size() >= kMaxPooled) {
        delete m;
        return;
      }
      free_.emplace_back(m);
    }

   private:
    std::vector<std::unique_ptr<T>> free_;
  };

  // The pools, one per message type below FlowEvent (event_decoder.cc).
  struct Pools {
    Pool<v1::Flow> flows;
    Pool<v1::Tuple> tuples;
    Pool<v1::FlowStatus> statuses;
    Pool<v1::Counters> counters;
    Pool<v1::Rate> rates;
    Pool<v1::Enrichment> enrichments;
    Pool<v1::Endpoint> endpoints;
    Pool<v1::Geo> geos;
    Pool<v1::Process> processes;
    Pool<v1::LostEvents> losts;
  };

 private:
  Pools pools_;
  Stats stats_;
};

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_EVENT_DECODER_H_
