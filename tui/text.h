// Text helpers for a terminal cell grid: UTF-8 display width, fitting a
// string into a column, and removing what a terminal would interpret.
//
// Names on screen come from the network (reverse DNS) and from other users'
// processes: they may hold invalid UTF-8 or escape sequences. Everything the
// view prints goes through Sanitize first, so a hostile name cannot move the
// cursor or change colours, and widths stay right for wide (CJK) characters.
#ifndef FLOWTOP_TUI_TEXT_H_
#define FLOWTOP_TUI_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace flowtop::tui {

// Returns `s` with control characters (C0, DEL, C1) replaced by '?' and
// invalid UTF-8 sequences replaced by U+FFFD. Never fails.
std::string Sanitize(absl::string_view s);

// Returns the number of terminal cells that sanitized UTF-8 text occupies:
// combining marks take 0, East Asian wide characters and emoji 2, others 1.
int DisplayWidth(absl::string_view s);

enum class Align { kLeft, kRight };

// Returns `s` cut or padded with spaces to exactly `width` cells. A cut
// string ends in "~" so the reader sees it was cut (when width >= 2).
std::string Fit(absl::string_view s, int width, Align align = Align::kLeft);

// Returns the part of `s` from display cell `skip` on, at most `width` cells
// wide (no padding). A wide character split by either edge becomes a space.
std::string Slice(absl::string_view s, int skip, int width);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_TEXT_H_
