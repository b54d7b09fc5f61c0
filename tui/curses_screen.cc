#include "tui/curses_screen.h"

#include <fcntl.h>
#include <ncurses.h>
#include <poll.h>
#include <unistd.h>

#include <langinfo.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "tui/keys.h"
#include "tui/text.h"

namespace flowtop::tui {
namespace {

enum Pair : short {
  kPairTitle = 1,
  kPairHead,
  kPairSort,
  kPairSelected,
  kPairDim,
  kPairStatus,
  kPairWarning,
  kPairError,
};

}  // namespace

absl::StatusOr<std::unique_ptr<CursesScreen>> CursesScreen::Open(bool color,
                                                                 const sigset_t& wait_mask) {
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
    return absl::FailedPreconditionError(
        "the interactive view needs a terminal; use --batch or --json for scripts");
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError("cannot create a pipe");
  }
  SCREEN* screen = newterm(nullptr, stdout, stdin);
  if (screen == nullptr) {
    close(fds[0]);
    close(fds[1]);
    const char* term = getenv("TERM");
    return absl::FailedPreconditionError(
        std::string("cannot use the terminal type '") + (term ? term : "") +
        "' (set TERM, e.g. TERM=xterm-256color), or use --batch");
  }
  std::unique_ptr<CursesScreen> s(new CursesScreen(color, wait_mask, fds[0], fds[1]));
  s->screen_ = screen;
  set_term(screen);
  raw();  // Ctrl-C arrives as a key: we quit cleanly and restore the terminal
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  if (s->color_ && has_colors()) {
    start_color();
    use_default_colors();
    init_pair(kPairTitle, COLOR_BLACK, COLOR_CYAN);
    init_pair(kPairHead, COLOR_BLACK, COLOR_GREEN);
    init_pair(kPairSort, COLOR_BLACK, COLOR_YELLOW);
    init_pair(kPairSelected, COLOR_BLACK, COLOR_WHITE);
    init_pair(kPairDim, COLOR_BLUE, -1);
    init_pair(kPairStatus, COLOR_CYAN, -1);
    init_pair(kPairWarning, COLOR_YELLOW, -1);
    init_pair(kPairError, COLOR_RED, -1);
  } else {
    s->color_ = false;
  }
  return s;
}

CursesScreen::CursesScreen(bool color, const sigset_t& wait_mask, int wake_read,
                           int wake_write)
    : color_(color),
      utf8_(std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0),
      wait_mask_(wait_mask),
      wake_read_(wake_read),
      wake_write_(wake_write) {}

namespace {

// Replaces every non-ASCII character by '?' per cell it occupies, for
// terminals whose locale cannot show UTF-8.
std::string AsciiOnly(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    size_t len = 1;
    while (i + len < text.size() &&
           (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80) {
      ++len;
    }
    out.append(static_cast<size_t>(DisplayWidth(text.substr(i, len))), '?');
    i += len;
  }
  return out;
}

}  // namespace

CursesScreen::~CursesScreen() {
  endwin();
  delscreen(static_cast<SCREEN*>(screen_));
  // The write end stays open on purpose: a signal watcher may still hold
  // it; it is closed at exit.
  close(wake_read_);
}

int CursesScreen::Width() { return COLS; }
int CursesScreen::Height() { return LINES; }

int CursesScreen::Attr(int style) const {
  switch (static_cast<Style>(style)) {
    case Style::kTitle: return color_ ? COLOR_PAIR(kPairTitle) | A_BOLD : A_REVERSE | A_BOLD;
    case Style::kColumnHead: return color_ ? COLOR_PAIR(kPairHead) : A_REVERSE;
    case Style::kSortHead: return color_ ? COLOR_PAIR(kPairSort) : A_REVERSE | A_BOLD;
    case Style::kSelected: return color_ ? COLOR_PAIR(kPairSelected) | A_BOLD : A_REVERSE;
    case Style::kDim: return color_ ? COLOR_PAIR(kPairDim) : A_DIM;
    case Style::kStatus: return color_ ? COLOR_PAIR(kPairStatus) : A_NORMAL;
    case Style::kWarning: return color_ ? COLOR_PAIR(kPairWarning) | A_BOLD : A_BOLD;
    case Style::kError: return color_ ? COLOR_PAIR(kPairError) | A_BOLD : A_BOLD | A_UNDERLINE;
    default: return A_NORMAL;
  }
}

void CursesScreen::Draw(const Frame& frame) {
  erase();
  int y = 0;
  for (const Line& line : frame.lines) {
    if (y >= LINES) break;
    move(y, 0);
    for (const Segment& seg : line.segments) {
      const int attr = Attr(static_cast<int>(seg.style));
      attron(attr);
      // Writing the bottom-right cell returns ERR after drawing it: ignore.
      const std::string text = utf8_ ? seg.text : AsciiOnly(seg.text);
      addnstr(text.c_str(), static_cast<int>(text.size()));
      attroff(attr);
    }
    ++y;
  }
  refresh();
}

int CursesScreen::ReadKey(absl::Duration timeout) {
  if (quit_.load()) return kKeyNone;
  // Keys already buffered by curses come first.
  int ch = getch();
  if (ch == ERR) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    const timespec ts = absl::ToTimespec(timeout);
    const int n = ppoll(fds, 2, &ts, &wait_mask_);
    if (n < 0 && errno == EINTR) {
      ch = getch();  // a SIGWINCH makes curses report KEY_RESIZE
      if (ch == ERR) return kKeyNone;
    } else if (n <= 0 || (fds[1].revents & POLLIN) || quit_.load()) {
      return kKeyNone;
    } else {
      ch = getch();
      if (ch == ERR) {
        // stdin hung up (the terminal went away): stop.
        if (fds[0].revents & (POLLHUP | POLLERR)) quit_.store(true);
        return kKeyNone;
      }
    }
  }
  switch (ch) {
    case KEY_UP: return kKeyUp;
    case KEY_DOWN: return kKeyDown;
    case KEY_LEFT: return kKeyLeft;
    case KEY_RIGHT: return kKeyRight;
    case KEY_PPAGE: return kKeyPageUp;
    case KEY_NPAGE: return kKeyPageDown;
    case KEY_HOME: return kKeyHome;
    case KEY_END: return kKeyEnd;
    case KEY_RESIZE: return kKeyResize;
    case KEY_ENTER:
    case '\r':
    case '\n': return kKeyEnter;
    case KEY_BACKSPACE:
    case 127:
    case 8: return kKeyBackspace;
    case 3: return kKeyInterrupt;  // raw mode: Ctrl-C is a key, not SIGINT
    case 12: return kKeyCtrlL;
    case 21: return kKeyCtrlU;
    case 27: return kKeyEscape;
    case '\t': return kKeyTab;
    default: break;
  }
  if (ch >= 0x20 && ch < 0x7F) return ch;
  return kKeyNone;
}

void CursesScreen::RequestQuit() {
  quit_.store(true);
  const char byte = 'q';
  // Best effort: a full pipe already wakes the reader.
  if (write(wake_write_, &byte, 1) < 0) return;
}

}  // namespace flowtop::tui
