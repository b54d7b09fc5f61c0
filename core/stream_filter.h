// StreamFilter: which events of a stream a client gets, for a FlowMatcher
// (a request's allow and deny lists), keeping later events of the flows it
// kept. Serves GetFlows (service/flowtop_service.cc) and the recorder
// (replay/capture_filter.h), so both decide "is this event part of a kept
// flow" the same way.
//
// A NEW, SNAPSHOT, UPDATE or DESTROY carries the whole flow; an ENRICH or
// COUNTERS carries only part of it (names, counters), so whether it passes
// depends on what came before. Two ways to know, chosen once from the
// matcher:
// - by key (the matcher reads only fields every whole event carries:
//   family, protocol, addresses, ports, state, node): the filter remembers
//   one byte per live flow (did its last whole event match, was it sent) and
//   a partial event passes when its flow's last whole event matched;
// - merged (the matcher reads enrichment (process, pid, unit, container,
//   country, hostname) or the event type): the filter keeps the flows merged
//   (a FlowTable of its own) and matches the merged flow. When a flow first
//   matches on a partial event (a process-name filter met once the process is
//   known), the client gets the whole merged flow as an UPDATE instead.
// Either way a flow the client was given always gets its DESTROY, and events
// without a flow (LOST, STATUS, SNAPSHOT_END, RESYNC_*) always pass.
#ifndef FLOWTOP_CORE_STREAM_FILTER_H_
#define FLOWTOP_CORE_STREAM_FILTER_H_

#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/flow_filter.h"
#include "core/flow_table.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

class StreamFilter {
 public:
  enum class Verdict {
    kDrop,
    kPass,
    kPassMerged,  // send the merged flow (Decide's `merged`) instead
  };

  explicit StreamFilter(FlowMatcher matcher);

  // Returns what to do with `event`; for kPassMerged, `merged` holds the
  // UPDATE to send (same seq, time and node as `event`).
  Verdict Decide(const v1::FlowEvent& event, v1::FlowEvent* merged);

  // Records that the client was sent `event` (a SNAPSHOT of a matching flow)
  // outside Decide, so its later events and its DESTROY follow.
  void Sent(const v1::FlowEvent& event);

  const FlowMatcher& matcher() const { return matcher_; }
  // Returns whether every event passes (no filter).
  bool PassesAll() const { return matcher_.AllowsAll(); }
  // Returns whether the filter keeps merged flows (see above).
  bool merges() const { return merge_; }

 private:
  Verdict DecideByKey(const v1::FlowEvent& event);
  Verdict DecideMerged(const v1::FlowEvent& event, v1::FlowEvent* merged);

  FlowMatcher matcher_;
  bool merge_;
  // By key: per live flow seen whole, kMatching | kSent.
  static constexpr uint8_t kMatching = 1;
  static constexpr uint8_t kSent = 2;
  absl::flat_hash_map<uint64_t, uint8_t> flows_;
  // Merged: the flows as merged from every event, and those sent.
  std::unique_ptr<FlowTable> seen_;
  absl::flat_hash_set<uint64_t> announced_;
};

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_STREAM_FILTER_H_
