// Key handling: a key changes the ViewState and returns what the main loop
// must do next (redraw, take a new snapshot, quit). Handlers never draw and
// never touch curses, so every key can be tested as a pure function.
#ifndef FLOWTOP_TUI_KEYS_H_
#define FLOWTOP_TUI_KEYS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tui/replay_control.h"
#include "tui/view.h"
#include "tui/view_state.h"

namespace flowtop::tui {

// Keys that are not plain characters; the curses module maps its KEY_*
// codes to these. Printable ASCII keys are their own code.
enum Key : int {
  kKeyNone = -1,
  kKeyTab = '\t',
  kKeyEnter = '\n',
  kKeyEscape = 27,
  kKeyBackspace = 127,
  kKeyUp = 0x1000,
  kKeyDown,
  kKeyLeft,
  kKeyRight,
  kKeyPageUp,
  kKeyPageDown,
  kKeyHome,
  kKeyEnd,
  kKeyResize,
  kKeyCtrlU,
  kKeyCtrlL,
  kKeyInterrupt,  // Ctrl-C: quits from any screen
};

// Flags returned by HandleKey.
enum KeyAction : uint32_t {
  kNothing = 0,
  kRedraw = 1u << 0,   // the frame changed: render again
  kRefetch = 1u << 1,  // take a new snapshot first (e.g. after unpausing)
  kQuit = 1u << 2,
};

// Applies `key` to `state`, given what the last frame showed (`page`).
// With `replay` (replay mode) the time-travel keys also work and go to it:
// space pauses the replay, '.' steps one event while paused (pauses first
// while playing), '[' ']' seek 10 s of recorded time back / forward, '{' '}'
// 60 s, 'g' goes to the start, '+' '-' double / halve the speed, 'm' plays
// as fast as possible. Without it those keys do what they do live (nothing,
// or 'g': first row; '.': next sort column; space: pause the display).
// Returns a KeyAction bit set. Unknown keys return kNothing.
// The replay prompt ('t'): where `text` asks to go, as recorded time since
// the first event, clamped to the recording. "90s", "+5m", "1h30m": that
// far into the recording; "-30s": back from the current position; "50%":
// that share of its length; an RFC 3339 time ("2026-11-30T08:15:00Z"):
// then (an error outside the recording). INVALID_ARGUMENT: one line saying
// what to type.
absl::StatusOr<absl::Duration> ParseSeekTarget(absl::string_view text,
                                               const ReplayStatus& status);

uint32_t HandleKey(ViewState& state, int key, const PageInfo& page,
                   ReplayControl* replay = nullptr);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_KEYS_H_
