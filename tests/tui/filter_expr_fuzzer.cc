// libFuzzer target: the filter language of the TUI's `/` prompt and of
// --filter (tui/filter_expr.h). Any text must parse or give one error,
// within the documented bounds (length, nesting), without a crash, a stack
// overflow or a hang. A parsed filter is then matched against a few flows
// by all four Matches paths, which must agree (the hot-field fast path
// and the callback path must mean what the full flow means).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"
#include "replay/sample_events.h"
#include "tui/filter_expr.h"
#include "tui/flow_hot.h"

namespace {

std::vector<flowtop::v1::Flow> Flows() {
  std::vector<flowtop::v1::Flow> flows = {
      flowtop::replay::SampleFlow(7), flowtop::replay::SampleFlow(8, true)};
  flowtop::v1::Flow udp = flowtop::replay::SampleFlow(9);
  udp.set_protocol(flowtop::v1::UDP);
  udp.clear_enrichment();
  flows.push_back(udp);
  flowtop::v1::Flow bare;
  bare.set_conntrack_id(10);
  flows.push_back(bare);
  return flows;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<flowtop::v1::Flow> flows = Flows();
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = flowtop::tui::FilterExpr::Parse(text);
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) std::abort();  // errors say what
    return 0;
  }
  const flowtop::tui::FilterExpr& filter = **parsed;
  (void)filter.DebugString();
  for (const flowtop::v1::Flow& flow : flows) {
    const flowtop::tui::FlowHot hot =
        flowtop::tui::ComputeHot(flow, flowtop::tui::TrafficOf(flow));
    const bool full = filter.Matches(flow, "n1");
    const bool fast = filter.Matches(flow, hot, "n1");
    const bool lazy = filter.Matches(
        hot, [&]() -> const flowtop::v1::Flow& { return flow; },
        []() -> absl::string_view { return "n1"; });
    // The table's path: conditions beyond the hot fields answered by a
    // callback (per pooled process in tui/table).
    const bool by_text = filter.Matches(hot, [&](const flowtop::tui::Match& m) {
      return flowtop::core::FieldHolds(
          m, hot, [&]() -> const flowtop::v1::Flow& { return flow; },
          []() -> absl::string_view { return "n1"; });
    });
    if (full != fast || fast != lazy || lazy != by_text) std::abort();
  }
  return 0;
}
