// CursesScreen: the Terminal on a real tty, and the only code in flowtop
// that includes <ncurses.h>.
//
// Opening it puts the terminal in raw mode on the alternate screen; the
// destructor always restores it (also when the program leaves through an
// error). Keys are read with ppoll on stdin and a wake-up pipe, so another
// thread (a signal watcher) can end the wait, and SIGWINCH interrupts it to
// report a resize at once.
#ifndef FLOWTOP_TUI_CURSES_SCREEN_H_
#define FLOWTOP_TUI_CURSES_SCREEN_H_

#include <signal.h>

#include <atomic>
#include <memory>

#include "absl/status/statusor.h"
#include "tui/terminal.h"

namespace flowtop::tui {

class CursesScreen final : public Terminal {
 public:
  // Opens the screen on stdin/stdout. `color` false (NO_COLOR set, or the
  // user asked) keeps to bold/reverse. `wait_mask` is the signal mask used
  // while waiting for keys (it must leave SIGWINCH unblocked).
  // Errors: FAILED_PRECONDITION when stdin or stdout is not a terminal or
  // the terminal type is unknown.
  static absl::StatusOr<std::unique_ptr<CursesScreen>> Open(bool color,
                                                            const sigset_t& wait_mask);
  ~CursesScreen() override;

  int Width() override;
  int Height() override;
  void Draw(const Frame& frame) override;
  int ReadKey(absl::Duration timeout) override;
  void RequestQuit() override;
  bool quit_requested() const override { return quit_.load(); }

 private:
  CursesScreen(bool color, const sigset_t& wait_mask, int wake_read, int wake_write);
  int Attr(int style) const;

  bool color_;
  bool utf8_;  // the locale's codeset is UTF-8: otherwise print ASCII only
  sigset_t wait_mask_;
  int wake_read_;
  int wake_write_;
  std::atomic<bool> quit_{false};
  void* screen_ = nullptr;  // SCREEN*, kept opaque so callers need no curses
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_CURSES_SCREEN_H_
