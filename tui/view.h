// View: Render(snapshot, state, width, height) -> Frame, a pure function.
//
// The table (flows or processes), the header with totals, the status line
// (connections, disconnected endpoints, lost events, paused), the help
// screen, the detail view of one flow and the filter prompt are all drawn
// here as text, so every screen can be tested off-screen with fixed input.
#ifndef FLOWTOP_TUI_VIEW_H_
#define FLOWTOP_TUI_VIEW_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "tui/frame.h"
#include "tui/model.h"
#include "tui/view_state.h"

namespace flowtop::tui {

// The smallest screen the table is drawn on; smaller gets a notice.
inline constexpr int kMinWidth = 40;
inline constexpr int kMinHeight = 6;

struct RenderResult {
  Frame frame;
  PageInfo page;
};

// Returns the frame for `state` over `snapshot` on a width x height screen.
// `title` names the data source ("local", "2 endpoints", "replay: f.ftr").
// Never fails: tiny screens get a one-line notice.
// Returns the replay part of the status line, e.g.
// "replay 00:01:23 / 00:05:00  x4  PAUSED" ("max" for speed 0, "END" once
// every event was delivered).
std::string ReplayStatusText(const ReplayStatus& status);

RenderResult Render(const Snapshot& snapshot, const ViewState& state, int width,
                    int height, const std::string& title = "local");

// Returns the table (all rows passing the filters, sorted) as text lines
// without cursor, for --batch: a header with totals, the column titles, one
// line per flow (two with show_src). `width` <= 0 means unlimited.
std::string RenderBatch(const Snapshot& snapshot, const ViewState& state, int width,
                        const std::string& title);

// Writes what RenderBatch returns through `write`, in pieces of about 64
// KiB: each row is built, formatted and written, so the text of all rows is
// never held at once (--batch at a million flows held ~800 B a flow).
// Returns the first error `write` returned; nothing is written after it.
using BatchWrite = std::function<absl::Status(absl::string_view)>;
absl::Status WriteBatch(const Snapshot& snapshot, const ViewState& state, int width,
                        const std::string& title, const BatchWrite& write);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_VIEW_H_
