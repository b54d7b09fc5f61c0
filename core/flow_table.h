// FlowTable: the current set of flows of one node, kept up to date by
// applying FlowEvents in sequence order.
//
// NEW and SNAPSHOT insert (or replace), UPDATE merges the kernel's view,
// ENRICH merges enrichment (appended in wire format: no re-serialisation of
// the flow), COUNTERS merges counters and rates, DESTROY
// removes. The table is bounded: a NEW beyond `max_flows` is counted as
// dropped, never allowed to grow memory without limit.
//
// Memory: a v1::Flow object graph costs ~500 bytes per flow (one heap block
// per sub-message and address); the table keeps each flow in protobuf wire
// format instead (~130-250 bytes with the hash slot) and builds v1::Flow on
// demand. Every field, including fields added to the API later, survives.
//
// Not thread-safe: the owner serialises access (one writer thread, readers
// take snapshots under the owner's lock).
#ifndef FLOWTOP_COLLECTOR_FLOW_TABLE_H_
#define FLOWTOP_COLLECTOR_FLOW_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector {

class FlowTable {
 public:
  static constexpr size_t kDefaultMaxFlows = 1 << 20;

  explicit FlowTable(size_t max_flows = kDefaultMaxFlows)
      : max_flows_(max_flows) {}

  // Applies one event. Returns false when a new flow was refused because the
  // table is full (counted in dropped()); true otherwise, including for
  // events that do not concern a flow (LOST, STATUS, ...).
  bool Apply(const v1::FlowEvent& event);

  // Returns the flow with this conntrack id, or nullptr. The flow is built
  // on demand into storage owned by the table: the pointer stays valid until
  // the next Find or Apply (copy it to keep it).
  const v1::Flow* Find(uint32_t conntrack_id) const;

  // True for an ENRICH event meant for an earlier flow that had the same
  // conntrack id: the event names its flow's first-seen time, and the
  // flow the table holds under that id was first seen at another time.
  // (ENRICH events without a first-seen time, as older recordings hold,
  // are never stale.) Callers drop such events instead of applying them.
  bool IsStaleEnrich(const v1::FlowEvent& event) const;

  // The first-seen time of the flow the last NEW, SNAPSHOT or UPDATE that
  // Apply took concerned (0 after any other event or a refused flow).
  int64_t last_first_seen() const { return last_first_seen_; }

  size_t size() const { return flows_.size(); }
  size_t max_flows() const { return max_flows_; }
  uint64_t dropped() const { return dropped_; }
  // Sequence number of the last event applied (0 before any).
  uint64_t last_seq() const { return last_seq_; }

  // Calls fn(const v1::Flow&) for every flow, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    v1::Flow flow;
    for (const auto& [id, bytes] : flows_) {
      flow.ParseFromString(bytes);
      fn(static_cast<const v1::Flow&>(flow));
    }
  }

  // Returns a copy of every flow (for snapshots taken under the owner's lock).
  std::vector<v1::Flow> Snapshot() const;

  void Clear() { flows_.clear(); }

 private:
  size_t max_flows_;
  uint64_t dropped_ = 0;
  uint64_t last_seq_ = 0;
  // Serialized v1::Flow per conntrack id.
  absl::flat_hash_map<uint32_t, std::string> flows_;
  mutable v1::Flow found_;  // Find's result
  v1::Flow work_;           // reused by Apply
  int64_t last_first_seen_ = 0;
};

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_FLOW_TABLE_H_
