// Key handling: a key changes the ViewState and returns what the main loop
// must do next (redraw, take a new snapshot, quit). Handlers never draw and
// never touch curses, so every key can be tested as a pure function.
//
// Every key is a small named action bound in one table (KeyBindings): its
// keys, its name, its help line, where it applies and the function it runs.
// HandleKey dispatches through the table and the help screen is generated
// from it (KeyHelp), so a key cannot exist without its help line, nor can
// the help list a key that does nothing.
#ifndef FLOWTOP_TUI_KEYS_H_
#define FLOWTOP_TUI_KEYS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tui/replay_control.h"
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

// Where a binding applies: one or more of the first three contexts, and
// kInReplay for the time-travel keys (they exist only in replay mode).
enum KeyScope : uint32_t {
  kInTable = 1u << 0,    // the table screen (flows or processes)
  kInOverlay = 1u << 1,  // the help and detail screens
  kInPrompt = 1u << 2,   // a one-line prompt is open ('/' filter, replay 't')
  kInReplay = 1u << 3,   // only with a ReplayControl
  kEverywhere = kInTable | kInOverlay | kInPrompt,
};

// What an action gets: the state it changes, what the last frame showed,
// the key (actions bound to several keys read it: '<' or '>') and the
// replay (never null in a kInReplay action).
struct KeyPress {
  ViewState& state;
  const PageInfo& page;
  int key;
  ReplayControl* replay;
};

using KeyActionFn = uint32_t (*)(KeyPress&);

struct KeyBinding {
  std::vector<int> keys;  // in the order the help names them
  const char* name;       // the action's name ("sort-column")
  // The help screen's text; each '\n' starts an indented continuation line.
  const char* help;
  uint32_t scope;         // KeyScope bits
  KeyActionFn run;
  // Set when the action may leave every setting as it was (Ctrl-L only
  // redraws): says why, for the test that walks the table.
  const char* no_op = nullptr;
};

// The table, in precedence order: the first binding whose scope matches
// and that lists the key runs.
const std::vector<KeyBinding>& KeyBindings();

// Returns the binding `key` runs in context `where` (kInTable, kInOverlay
// or kInPrompt), in replay mode or not; nullptr when none.
const KeyBinding* FindBinding(int key, uint32_t where, bool replay);

// Returns how the help names `key`: "j", "up", "PgDn", "Enter", "space",
// "Ctrl-L".
std::string KeyName(int key);

// One section of the help screen: its title and, per binding listed, the
// names of the keys that reach it there (keys that another binding takes
// first are left out: 'g' in replay mode seeks, so "first row" lists Home).
struct KeyHelpEntry {
  std::vector<std::string> keys;
  const KeyBinding* binding;
};
struct KeyHelpSection {
  std::string title;
  uint32_t where;  // the context its keys are looked up in
  std::vector<KeyHelpEntry> entries;
};
std::vector<KeyHelpSection> KeyHelp(bool replay);

// Returns the help screen's key lines for a screen `width` cells wide:
// each section's title and its entries ("  q              quit"), two to a
// line where both fit.
std::vector<std::string> KeyHelpLines(bool replay, int width);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_KEYS_H_
