// FlowHot: the fields of a flow that filtering, sorting and totals read on
// every frame, flattened next to the flow so that a pass over 100,000 flows
// touches one cache line per flow instead of chasing nested protobuf
// sub-messages. Computed once when a row changes (ingest side).
#ifndef FLOWTOP_TUI_FLOW_HOT_H_
#define FLOWTOP_TUI_FLOW_HOT_H_

#include <cstdint>

#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::tui {

struct alignas(64) FlowHot {
  FlowHot()
      : has_ports(false), active(false), has_process(false), outbound(true),
        own_traffic(false) {}
  uint16_t protocol = 0;     // IANA number
  uint8_t family = 0;        // v1::AddressFamily
  uint8_t state_case = 0;    // v1::Flow::StateCase (0: stateless)
  int16_t state = 0;         // the enum value of that case
  uint16_t source = 0;       // FlowRow::source (set by the model)
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  bool has_ports : 1;        // TCP, UDP, UDP-lite, SCTP, DCCP
  bool active : 1;           // any rate above zero
  bool has_process : 1;
  bool outbound : 1;         // the process owns the source end
  bool own_traffic : 1;      // flowtop's own DNS queries (Enrichment.own_traffic)
  uint32_t pid = 0;          // the local process (either end), 0: none
  uint32_t other_pid = 0;    // the other end's process when both are local
  uint64_t original_bytes = 0;
  uint64_t reply_bytes = 0;
  float original_rate = 0;   // bytes per second
  float reply_rate = 0;
  int64_t start_nanos = 0;   // kernel start time, else first seen
  char src_country[2] = {0, 0};  // upper-case ISO code, or zeros
  char dst_country[2] = {0, 0};
  uint32_t conntrack_id = 0;
  // (source, conntrack id): orders rows cheaply; conntrack ids can collide,
  // so equal values fall back to FlowRow::Key().
  uint64_t Key() const { return (uint64_t{source} << 32) | conntrack_id; }
};

static_assert(sizeof(FlowHot) == 64, "FlowHot should fill one cache line");

// The counters and rates of a flow, kept apart from the rest of it so that
// a COUNTERS event (most of the stream) does not copy the whole flow.
struct Traffic {
  v1::Counters original_counters;
  v1::Counters reply_counters;
  v1::Rate original_rate;
  v1::Rate reply_rate;
};

// Returns the counters and rates stored in `flow`.
Traffic TrafficOf(const v1::Flow& flow);

// Returns the hot fields of `flow` with `traffic`.
FlowHot ComputeHot(const v1::Flow& flow, const Traffic& traffic);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_FLOW_HOT_H_
