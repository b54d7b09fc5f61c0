// FakeTerminal: a Terminal for tests of the interactive loop. It plays a
// script of keys, records every frame drawn, and asks the loop to quit when
// the script is over.
#ifndef FLOWTOP_TUI_FAKE_TERMINAL_H_
#define FLOWTOP_TUI_FAKE_TERMINAL_H_

#include <deque>
#include <vector>

#include "tui/keys.h"
#include "tui/terminal.h"

namespace flowtop::tui {

class FakeTerminal : public Terminal {
 public:
  FakeTerminal(int width, int height, std::deque<int> keys)
      : width_(width), height_(height), keys_(std::move(keys)) {}

  int Width() override { return width_; }
  int Height() override { return height_; }
  void Draw(const Frame& frame) override { frames_.push_back(frame); }
  int ReadKey(absl::Duration) override {
    if (keys_.empty()) {
      quit_ = true;
      return kKeyNone;
    }
    const int k = keys_.front();
    keys_.pop_front();
    if (k == kKeyResize) {
      width_ = resize_width_;
      height_ = resize_height_;
    }
    return k;
  }
  void RequestQuit() override { quit_ = true; }
  bool quit_requested() const override { return quit_; }

  // The size a kKeyResize in the script switches to.
  void SetResizeTo(int width, int height) {
    resize_width_ = width;
    resize_height_ = height;
  }
  const std::vector<Frame>& frames() const { return frames_; }

 private:
  int width_, height_;
  int resize_width_ = 80, resize_height_ = 24;
  std::deque<int> keys_;
  std::vector<Frame> frames_;
  bool quit_ = false;
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_FAKE_TERMINAL_H_
