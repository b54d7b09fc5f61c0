// Terminal: the narrow interface between the interactive loop and a screen.
// CursesScreen is the real one (the only code that includes <ncurses.h>);
// tests drive the loop with a fake terminal (fake_terminal.h).
#ifndef FLOWTOP_TUI_TERMINAL_H_
#define FLOWTOP_TUI_TERMINAL_H_

#include "absl/time/time.h"
#include "tui/frame.h"

namespace flowtop::tui {

class Terminal {
 public:
  virtual ~Terminal() = default;
  // Returns the screen size in cells.
  virtual int Width() = 0;
  virtual int Height() = 0;
  // Shows `frame` (replacing what was on screen).
  virtual void Draw(const Frame& frame) = 0;
  // Returns the next key (tui::Key or a character), waiting at most
  // `timeout`; kKeyNone when none came. Returns kKeyResize after a resize.
  virtual int ReadKey(absl::Duration timeout) = 0;
  // Makes a pending or the next ReadKey return kKeyNone at once (from any
  // thread, e.g. a signal watcher). Then quit_requested() is true.
  virtual void RequestQuit() = 0;
  virtual bool quit_requested() const = 0;
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_TERMINAL_H_
