// The flowtop main loops over a Model: the interactive loop (keys, refresh
// timer, drawing through a Terminal) and the batch loops (--batch text
// frames, --json lines) that need no terminal at all.
//
// Drawing never holds the model's lock: each frame works on a Snapshot.
// A key is answered right after it arrives (render + draw of the current
// snapshot); new data is fetched on the refresh interval, or at once when a
// key asks for it.
#ifndef FLOWTOP_TUI_APP_H_
#define FLOWTOP_TUI_APP_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "tui/model.h"
#include "tui/replay_control.h"
#include "tui/terminal.h"
#include "tui/view_state.h"

namespace flowtop::tui {

struct LoopOptions {
  absl::Duration interval = absl::Seconds(1);
  std::string title = "local";
  uint64_t count = 0;  // batch: snapshots to print (0: until the sources end)
  int width = 0;       // batch: line width (0: unlimited)
};

// Runs the interactive loop until the user quits or the terminal asks to.
// Returns OK (there are no run-time errors here: source errors show in the
// status line).
// `clock` paces the refresh interval (key waits are real time). `replay`
// (replay mode only, may be null) takes the time-travel keys and feeds the
// replay position into the status line.
absl::Status RunInteractive(Model& model, ViewState state, const LoopOptions& options,
                            const core::Clock& clock, Terminal& terminal,
                            ReplayControl* replay = nullptr);

// Prints text frames (like top -b) to `out`: the first once every source
// has sent its whole initial snapshot (or ended, or is disconnected), however
// long that takes (a million flows: seconds), then one per
// interval, until `count` frames or until every source has ended. Returns
// DATA_LOSS-free OK, or UNAVAILABLE when writing to `out` fails.
absl::Status RunBatch(Model& model, const ViewState& state, const LoopOptions& options,
                      std::FILE* out);

// As RunBatch, but prints one JSON object per flow (the v1::Flow in proto
// JSON form) per snapshot, in the view's sort order and filter.
absl::Status RunJson(Model& model, const ViewState& state, const LoopOptions& options,
                     std::FILE* out);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_APP_H_
