// ConntrackParser: turns the bytes of one ctnetlink message (nlmsghdr,
// nfgenmsg, attributes; NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW/DELETE)
// into a v1::FlowEvent.
//
// It is a pure function over a byte buffer: the kernel source feeds it what
// the socket returns, tests and benchmarks feed it recorded bytes, the fuzzer
// feeds it anything. Every attribute's type and length is validated while
// libmnl's iterator walks each nested group, against a per-group rule table
// indexed by attribute type, filling a table of attributes by type;
// attribute types newer than our headers are skipped. Byte order is
// converted once, here. Malformed input yields an error status with a
// one-line reason, never a crash and never a half-trusted event.
//
// Event type: the kernel sets NLM_F_CREATE|NLM_F_EXCL on events for new
// flows (NEW), sends other IPCTNL_MSG_CT_NEW events as updates (UPDATE),
// IPCTNL_MSG_CT_DELETE as DESTROY, and marks dump replies NLM_F_MULTI
// (SNAPSHOT).
#ifndef FLOWTOP_COLLECTOR_CONNTRACK_PARSER_H_
#define FLOWTOP_COLLECTOR_CONNTRACK_PARSER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector {

// Parses the ctnetlink message at data[0, len) (exactly one nlmsghdr whose
// nlmsg_len must not exceed len) into `event`. Every field of `event` is
// written, from the message or back to its default, so the result equals a
// parse into a fresh object while a reused one keeps its sub-messages and
// string capacity (the fast path: reuse one event for every message).
// Returns OK and a filled event, or:
//  - INVALID_ARGUMENT: truncated header, nlmsg_len out of range, an attribute
//    of the wrong length, a nested group that overruns its parent, missing
//    mandatory attributes (original tuple, protocol number);
//  - UNIMPLEMENTED: a well-formed netlink message that is not a conntrack
//    NEW/DELETE message (expectations, stats, other subsystems, control
//    messages such as NLMSG_DONE): callers skip these.
// On error `event` holds no meaningful data.
absl::Status ParseConntrackMessage(const void* data, size_t len,
                                   v1::FlowEvent& event);

// Returns true when the nlmsghdr at `data` (len bytes) is a ctnetlink
// conntrack message that ParseConntrackMessage would accept by type; cheap,
// no attribute parsing. Returns false for short buffers.
bool IsConntrackMessage(const void* data, size_t len);

// Conntrack's numeric states mapped into the API enums (kernel value + 1;
// out-of-range values map to UNSPECIFIED).
v1::TcpState TcpStateFromKernel(uint8_t state);
v1::SctpState SctpStateFromKernel(uint8_t state);
v1::DccpState DccpStateFromKernel(uint8_t state);

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_CONNTRACK_PARSER_H_
