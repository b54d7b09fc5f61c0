// GoldenFrames: the TUI's screens over a recording, as text, for golden
// files: the flowtop view (tui::Render, 120x24, default view state) at the
// same checkpoints as GoldenReport, reached by a replay paced with a hand-
// moved clock, the model reading the recording's own time.
#ifndef FLOWTOP_TESTS_REPLAY_GOLDEN_FRAMES_H_
#define FLOWTOP_TESTS_REPLAY_GOLDEN_FRAMES_H_

#include <string>

#include "absl/status/statusor.h"

namespace flowtop::replay {

// Returns the frames, each preceded by "== frame at <time>". Errors: the
// recording's.
absl::StatusOr<std::string> GoldenFrames(const std::string& path);

}  // namespace flowtop::replay

#endif  // FLOWTOP_TESTS_REPLAY_GOLDEN_FRAMES_H_
