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
  uint16_t protocol = 0;     // IANA number
  uint8_t family = 0;        // v1::AddressFamily
  uint8_t state_case = 0;    // v1::Flow::StateCase (0: stateless)
  int32_t state = 0;         // the enum value of that case
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  bool has_ports = false;    // TCP, UDP, UDP-lite, SCTP, DCCP
  bool active = false;       // any rate above zero
  bool has_process = false;
  bool outbound = true;      // the process owns the source end
  uint32_t pid = 0;          // the local process (either end), 0: none
  uint32_t other_pid = 0;    // the other end's process when both are local
  uint64_t original_bytes = 0;
  uint64_t reply_bytes = 0;
  float original_rate = 0;   // bytes per second
  float reply_rate = 0;
  int64_t start_nanos = 0;   // kernel start time, else first seen
  char src_country[2] = {0, 0};  // upper-case ISO code, or zeros
  char dst_country[2] = {0, 0};
};

static_assert(sizeof(FlowHot) == 64, "FlowHot should fill one cache line");

// Returns the hot fields of `flow`.
FlowHot ComputeHot(const v1::Flow& flow);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_FLOW_HOT_H_
