// A ReplayControl for unit tests: a recording of fixed length whose
// position moves only by the calls (no thread, no file); it counts steps.
#ifndef FLOWTOP_TUI_FAKE_REPLAY_CONTROL_H_
#define FLOWTOP_TUI_FAKE_REPLAY_CONTROL_H_

#include <algorithm>
#include <cstddef>

#include "tui/replay_control.h"

namespace flowtop::tui {

class FakeReplayControl final : public ReplayControl {
 public:
  explicit FakeReplayControl(absl::Duration length,
                             absl::Time first_event = absl::FromUnixSeconds(1700000000)) {
    status_.length = length;
    status_.first_event = first_event;
  }

  void Pause() override { status_.paused = true; }
  void Resume() override { status_.paused = false; }
  void Step(size_t events) override { steps += events; }
  void SeekBy(absl::Duration delta) override {
    status_.position =
        std::clamp(status_.position + delta, absl::ZeroDuration(), status_.length);
  }
  void SeekToStart() override { status_.position = absl::ZeroDuration(); }
  void SeekTo(absl::Duration position) override {
    status_.position = std::clamp(position, absl::ZeroDuration(), status_.length);
  }
  void SetSpeed(double speed) override { status_.speed = speed; }
  ReplayStatus Status() const override { return status_; }

  size_t steps = 0;  // events stepped so far

 private:
  ReplayStatus status_;
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_FAKE_REPLAY_CONTROL_H_
