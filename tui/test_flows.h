// Test helpers: short builders for v1::Flow and v1::FlowEvent values, so
// tests read as the flows they describe.
#ifndef FLOWTOP_TUI_TEST_FLOWS_H_
#define FLOWTOP_TUI_TEST_FLOWS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::tui::testing {

// Returns the 4- or 16-byte form of a textual address; aborts on bad text
// (tests only pass literals).
std::string Ip(absl::string_view text);

// A TCP flow src:sport -> dst:dport, ESTABLISHED, with the mirrored reply
// tuple and the family taken from the addresses.
v1::Flow TcpFlow(uint32_t id, absl::string_view src, uint32_t sport,
                 absl::string_view dst, uint32_t dport);
v1::Flow UdpFlow(uint32_t id, absl::string_view src, uint32_t sport,
                 absl::string_view dst, uint32_t dport);

// Sets counters (bytes and packets) and rates of both directions.
void SetTraffic(v1::Flow& flow, uint64_t orig_bytes, uint64_t reply_bytes,
                double orig_rate = 0, double reply_rate = 0);
// Sets the local process on the source end.
void SetProcess(v1::Flow& flow, absl::string_view name, uint32_t pid);
// Sets the destination's host name and geo.
void SetDst(v1::Flow& flow, absl::string_view hostname, absl::string_view country,
            absl::string_view city);

v1::FlowEvent Event(v1::EventType type, const v1::Flow& flow, int64_t time_nanos = 0);

}  // namespace flowtop::tui::testing

#endif  // FLOWTOP_TUI_TEST_FLOWS_H_
