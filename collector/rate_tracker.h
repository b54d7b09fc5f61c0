// RateTracker: per-flow rates from successive counter samples.
//
// The kernel source dumps the table once per interval (never one request per
// flow) and feeds every flow's counters here. Rates are the counter deltas
// over the time between two samples of the same flow; a counter that went
// backwards (zeroed by `conntrack -Z`, or a reused id) counts from zero;
// flows missing from a whole dump are forgotten (EndSample), and EndSample
// names them: a flow gone from a whole dump is gone from the kernel, which
// is how KernelSource learns that a flow the kernel sends no events for has
// ended. Pure logic, no I/O: the caller passes the sample time.
#ifndef FLOWTOP_COLLECTOR_RATE_TRACKER_H_
#define FLOWTOP_COLLECTOR_RATE_TRACKER_H_

#include <cstdint>
#include <functional>

#include "absl/time/time.h"
#include "collector/dense_flow_map.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector {

class RateTracker {
 public:
  // Starts a sample (one dump) taken at `now`.
  void BeginSample(absl::Time now);
  // Records `flow`'s counters and, when the flow was seen in an earlier
  // sample, sets its original_rate/reply_rate. Returns true when the caller
  // should publish a COUNTERS event: counters changed, or a rate fell to
  // zero. Flows without counters (accounting was off when they began) are
  // only noted as present: never published, forgotten like the others.
  bool Observe(v1::Flow& flow);
  // Records `flow`'s counters in the current sample as already published:
  // the initial dump announced them. A later sample publishes the flow
  // only once its counters move, so a million idle flows cost no COUNTERS.
  void Remember(const v1::Flow& flow);
  // Ends the sample: forgets flows that were not observed in it, calling
  // forgotten(FlowKey) for each when given. Returns how many were forgotten.
  size_t EndSample(const std::function<void(uint64_t key)>& forgotten = nullptr);
  size_t size() const { return last_.size(); }
  // Bytes the per-flow state holds (bench/collector:flow_table_memory).
  size_t MemoryBytes() const { return last_.MemoryBytes(); }

 private:
  // 40 bytes (48 with its key): every flow of the table has one. Its
  // sample time is previous_: EndSample forgets flows the sample did not
  // observe.
  struct Last {
    uint64_t orig_packets, orig_bytes, reply_packets, reply_bytes;
    uint32_t generation;
    bool moving;  // the last published rate was non-zero
  };
  DenseFlowMap<Last> last_;  // by FlowKey
  absl::Time now_ = absl::InfinitePast();
  absl::Time previous_ = absl::InfinitePast();  // the sample before now_
  uint32_t generation_ = 0;
};

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_RATE_TRACKER_H_
