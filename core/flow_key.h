// FlowKey: which flow an event is about.
//
// The kernel's conntrack id is a 32-bit hash (of the entry's address and
// tuple) and two live flows share one about once per 100,000 flows (the
// birthday bound: ~n^2 / 2^33 pairs among n flows, ~116 at a million). A
// table keyed by conntrack id alone silently merges such flows. Every stage
// therefore keys flows by v1::Flow::key: the conntrack id in the low 32 bits
// and a stable hash of zone, family, protocol and original tuple (which the
// kernel keeps unique among live flows) in the high 32 bits. Events from
// before the key existed (old recordings) carry 0 and are keyed by their
// conntrack id, as they always were.
#ifndef FLOWTOP_CORE_FLOW_KEY_H_
#define FLOWTOP_CORE_FLOW_KEY_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

// The key of a flow as the kernel reported it: conntrack id and a hash of
// its identity (high 32 bits, never 0). Stable across processes and runs.
uint64_t ComputeFlowKey(const v1::Flow& flow);

// The key to file `flow` under: its `key`, or its conntrack id when it has
// none (events recorded before keys).
inline uint64_t FlowKey(const v1::Flow& flow) {
  return flow.key() != 0 ? flow.key() : flow.conntrack_id();
}

// Names the flow filed under `key` (a FlowKey) on `flow`: conntrack_id and,
// for a real key, key.
inline void SetFlowKey(uint64_t key, v1::Flow& flow) {
  flow.set_conntrack_id(static_cast<uint32_t>(key));
  flow.set_key((key >> 32) != 0 ? key : 0);
}

// The flow's API id: "<node>/<conntrack id>" for flows without a key,
// "<node>/<conntrack id>.<8 hex digits of the key's high half>" otherwise.
std::string FlowIdFor(absl::string_view node, const v1::Flow& flow);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FLOW_KEY_H_
