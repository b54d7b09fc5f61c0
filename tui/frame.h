// Frame: one screen's worth of text with styles, produced by the view
// off-screen and painted by the curses module (or printed by --batch).
//
// Styles are semantic (header, selected row, warning); the curses module
// maps them to colours or, with NO_COLOR, to bold/reverse only. Tests
// compare Frame::Text() with expected text.
#ifndef FLOWTOP_TUI_FRAME_H_
#define FLOWTOP_TUI_FRAME_H_

#include <string>
#include <vector>

namespace flowtop::tui {

enum class Style {
  kNormal,
  kTitle,        // top line
  kColumnHead,   // table column titles
  kSortHead,     // the column the table is sorted by
  kSelected,     // the cursor row
  kDim,          // source rows, idle flows
  kStatus,       // bottom line
  kWarning,      // disconnected endpoints, lost events, paused
  kError,        // filter errors
};

struct Segment {
  std::string text;  // sanitized UTF-8
  Style style = Style::kNormal;
};

struct Line {
  std::vector<Segment> segments;
  // Returns the concatenated text of the segments.
  std::string Text() const {
    std::string out;
    for (const Segment& s : segments) out += s.text;
    return out;
  }
};

struct Frame {
  int width = 0;
  int height = 0;
  std::vector<Line> lines;  // at most `height`, each at most `width` cells

  // Returns the lines joined by '\n' with trailing spaces removed (what a
  // person reading a screenshot would compare).
  std::string Text() const {
    std::string out;
    for (const Line& l : lines) {
      std::string t = l.Text();
      while (!t.empty() && t.back() == ' ') t.pop_back();
      out += t;
      out += '\n';
    }
    return out;
  }
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_FRAME_H_
