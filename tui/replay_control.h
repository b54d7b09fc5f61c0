// ReplayControl: what the TUI may do to a recording it is showing (pause,
// step, seek, speed), apart from the ReplaySource that does it, so the
// time-travel keys are tested against a fake and the app holds no replay
// types. Only replay mode has one; live and remote modes pass none.
#ifndef FLOWTOP_TUI_REPLAY_CONTROL_H_
#define FLOWTOP_TUI_REPLAY_CONTROL_H_

#include <cstddef>

#include "absl/time/time.h"

namespace flowtop::tui {

// Where a replay stands, for the status line.
struct ReplayStatus {
  absl::Time first_event;   // recorded time of the first event
  absl::Duration position;  // recorded time since the first event
  absl::Duration length;    // recorded time from the first to the last event
  double speed = 1.0;       // 0: as fast as possible
  bool paused = false;
  bool at_end = false;
};

class ReplayControl {
 public:
  virtual ~ReplayControl() = default;
  virtual void Pause() = 0;
  virtual void Resume() = 0;
  // While paused: delivers the next `events` events.
  virtual void Step(size_t events) = 0;
  // Moves by `delta` of recorded time (negative: back), clamped to the
  // recording.
  virtual void SeekBy(absl::Duration delta) = 0;
  // Goes back to the first event.
  virtual void SeekToStart() = 0;
  // Goes to `position` (recorded time since the first event), clamped to
  // the recording.
  virtual void SeekTo(absl::Duration position) = 0;
  // 1 = recorded pace, 0 = as fast as possible.
  virtual void SetSpeed(double speed) = 0;
  // Returns the current position, speed and state.
  virtual ReplayStatus Status() const = 0;
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_REPLAY_CONTROL_H_
