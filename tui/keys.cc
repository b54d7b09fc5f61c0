#include "tui/keys.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tui/table.h"

namespace flowtop::tui {
namespace {

// Editing keys of a one-line prompt: returns true when `key` changed
// `text` (printable ASCII, Backspace removing one UTF-8 character, Ctrl-U
// clearing the line).
bool EditLine(std::string& text, int key) {
  switch (key) {
    case kKeyBackspace:
    case 8:
      if (!text.empty()) {
        size_t n = text.size() - 1;
        while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
        text.resize(n);
      }
      return true;
    case kKeyCtrlU:
      text.clear();
      return true;
    default:
      if (key >= 0x20 && key < 0x7F) {
        text.push_back(static_cast<char>(key));
        return true;
      }
      return false;
  }
}

uint32_t HandleFilterKey(ViewState& state, int key) {
  switch (key) {
    case kKeyEscape:
      state.editing_filter = false;
      state.message.clear();
      return kRedraw;
    case kKeyEnter:
    case '\r': {
      auto parsed = FilterExpr::Parse(state.filter_input);
      if (!parsed.ok()) {
        state.message = std::string(parsed.status().message());
        return kRedraw;
      }
      state.editing_filter = false;
      state.message.clear();
      state.filter_text = state.filter_input;
      state.filter = (*parsed)->kind() == FilterExpr::Kind::kTrue ? nullptr : *parsed;
      if (state.filter == nullptr) state.filter_text.clear();
      state.cursor = state.top = 0;
      return kRedraw;
    }
    default:
      if (!EditLine(state.filter_input, key)) return kNothing;
      state.message.clear();
      return kRedraw;
  }
}

uint32_t HandleSeekKey(ViewState& state, int key, ReplayControl& replay) {
  switch (key) {
    case kKeyEscape:
      state.editing_seek = false;
      state.message.clear();
      return kRedraw;
    case kKeyEnter:
    case '\r': {
      absl::StatusOr<absl::Duration> to = ParseSeekTarget(state.seek_input, replay.Status());
      if (!to.ok()) {
        state.message = std::string(to.status().message());
        return kRedraw;
      }
      state.editing_seek = false;
      state.message.clear();
      replay.SeekTo(*to);
      state.replay = replay.Status();
      return kRedraw | kRefetch;
    }
    default:
      if (!EditLine(state.seek_input, key)) return kNothing;
      state.message.clear();
      return kRedraw;
  }
}

void MoveSort(ViewState& state, const PageInfo& page, int delta) {
  const std::vector<Column> cols = VisibleColumns(state, page.multi_node);
  Column& sort = state.view == TableView::kFlows ? state.flow_sort : state.process_sort;
  auto it = std::find(cols.begin(), cols.end(), sort);
  int i = it == cols.end() ? 0 : static_cast<int>(it - cols.begin());
  const int n = static_cast<int>(cols.size());
  i = ((i + delta) % n + n) % n;
  sort = cols[static_cast<size_t>(i)];
  state.reverse = false;
}

void Move(ViewState& state, const PageInfo& page, long delta) {
  const long total = static_cast<long>(page.rows_total);
  long c = static_cast<long>(page.cursor) + delta;
  c = std::max(0L, std::min(c, total - 1));
  state.cursor = static_cast<size_t>(std::max(0L, c));
  state.top = page.top;
}

constexpr double kMaxSpeed = 1024;
constexpr double kMinSpeed = 1.0 / 64;

// The time-travel keys of replay mode. Returns the KeyAction, or nullopt
// when `key` is not one of them.
std::optional<uint32_t> HandleReplayKey(ViewState& state, int key, ReplayControl& replay) {
  const ReplayStatus st = replay.Status();
  switch (key) {
    case ' ':
      if (st.paused) {
        replay.Resume();
      } else {
        replay.Pause();
      }
      break;
    case '.':
      if (st.paused) {
        replay.Step(1);
      } else {
        replay.Pause();
      }
      break;
    case '[':
      replay.SeekBy(absl::Seconds(-10));
      break;
    case ']':
      replay.SeekBy(absl::Seconds(10));
      break;
    case '{':
      replay.SeekBy(absl::Seconds(-60));
      break;
    case '}':
      replay.SeekBy(absl::Seconds(60));
      break;
    case 'g':
      replay.SeekToStart();
      break;
    case '+':
      if (st.speed > 0) replay.SetSpeed(std::min(kMaxSpeed, st.speed * 2));
      break;
    case '-':
      replay.SetSpeed(st.speed > 0 ? std::max(kMinSpeed, st.speed / 2) : kMaxSpeed);
      break;
    case 'm':
      replay.SetSpeed(0);
      break;
    case 't':
      state.editing_seek = true;
      state.seek_input.clear();
      state.message.clear();
      return kRedraw;
    default:
      return std::nullopt;
  }
  state.replay = replay.Status();
  return kRedraw | kRefetch;
}

}  // namespace

absl::StatusOr<absl::Duration> ParseSeekTarget(absl::string_view text,
                                               const ReplayStatus& status) {
  text = absl::StripAsciiWhitespace(text);
  const auto usage = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "seek to \"", text, "\": ", why,
        "; type 90s or +5m (into the recording), -30s (back), 50% or an RFC 3339 time"));
  };
  if (text.empty()) return usage("nothing typed");
  if (absl::ConsumeSuffix(&text, "%")) {
    double percent = 0;
    if (!absl::SimpleAtod(text, &percent) || percent < 0 || percent > 100) {
      return usage("a percentage is 0 to 100");
    }
    return std::clamp(status.length * (percent / 100), absl::ZeroDuration(), status.length);
  }
  const bool back = absl::ConsumePrefix(&text, "-");
  const bool forward = !back && absl::ConsumePrefix(&text, "+");
  absl::Duration d;
  if (absl::ParseDuration(text, &d) && d >= absl::ZeroDuration()) {
    const absl::Duration to = back ? status.position - d : d;
    return std::clamp(to, absl::ZeroDuration(), status.length);
  }
  absl::Time t;
  std::string error;
  if (!back && !forward && absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    const absl::Duration to = t - status.first_event;
    if (to < absl::ZeroDuration() || to > status.length) {
      return usage(absl::StrCat(
          "outside the recording (",
          absl::FormatTime(absl::RFC3339_sec, status.first_event, absl::UTCTimeZone()), " .. ",
          absl::FormatTime(absl::RFC3339_sec, status.first_event + status.length,
                           absl::UTCTimeZone()),
          ")"));
    }
    return to;
  }
  return usage("not a duration or a time");
}

uint32_t HandleKey(ViewState& state, int key, const PageInfo& page, ReplayControl* replay) {
  if (key == kKeyInterrupt) return kQuit;
  if (key == kKeyResize || key == kKeyCtrlL) return kRedraw;
  if (state.editing_filter) return HandleFilterKey(state, key);
  if (state.editing_seek && replay != nullptr) return HandleSeekKey(state, key, *replay);
  if (replay != nullptr) {
    if (std::optional<uint32_t> action = HandleReplayKey(state, key, *replay)) return *action;
  }

  if (state.screen != Screen::kTable) {
    switch (key) {
      case 'q':
      case kKeyEscape:
      case kKeyEnter:
      case '\r':
        state.screen = Screen::kTable;
        return kRedraw;
      case '?':
        state.screen = state.screen == Screen::kHelp ? Screen::kTable : Screen::kHelp;
        return kRedraw;
      case ' ':
        state.paused = !state.paused;
        return kRedraw | (state.paused ? 0u : static_cast<uint32_t>(kRefetch));
      case 'b':
        state.bits = !state.bits;
        return kRedraw;
      case 'n':
        state.names = !state.names;
        return kRedraw;
      default:
        return kNothing;
    }
  }

  const long page_rows = static_cast<long>(std::max<size_t>(1, page.page_rows));
  switch (key) {
    case 'q':
      return kQuit;
    case kKeyUp:
    case 'k':
      Move(state, page, -1);
      return kRedraw;
    case kKeyDown:
    case 'j':
      Move(state, page, 1);
      return kRedraw;
    case kKeyPageUp:
    case 'u':
      Move(state, page, -page_rows);
      state.top = static_cast<size_t>(std::max(0L, static_cast<long>(page.top) - page_rows));
      return kRedraw;
    case kKeyPageDown:
    case 'd':
      Move(state, page, page_rows);
      state.top = page.top + static_cast<size_t>(page_rows);
      return kRedraw;
    case kKeyHome:
    case 'g':
      state.cursor = state.top = 0;
      return kRedraw;
    case kKeyEnd:
    case 'G':
      state.cursor = page.rows_total == 0 ? 0 : page.rows_total - 1;
      state.top = state.cursor;
      return kRedraw;
    case kKeyLeft:
    case 'h':
      state.hscroll = std::max(0, state.hscroll - 8);
      return kRedraw;
    case kKeyRight:
    case 'l':
      state.hscroll = std::min(400, state.hscroll + 8);
      return kRedraw;
    case kKeyTab:
      state.view = state.view == TableView::kFlows ? TableView::kProcesses : TableView::kFlows;
      state.cursor = state.top = 0;
      return kRedraw;
    case '?':
      state.screen = Screen::kHelp;
      return kRedraw;
    case kKeyEnter:
    case '\r':
      if (state.view == TableView::kFlows) {
        if (page.cursor_flow == nullptr) return kNothing;
        state.screen = Screen::kDetail;
        state.detail_key = page.cursor_flow->Key();
        state.detail_last = page.cursor_flow;
        return kRedraw;
      }
      if (page.rows_total == 0) return kNothing;
      // A process row opens the flows view filtered to that process.
      state.view = TableView::kFlows;
      state.filter_text = page.cursor_pid != 0
                              ? absl::StrCat("pid ", page.cursor_pid)
                              : (page.cursor_process.empty()
                                     ? ""
                                     : absl::StrCat("process \"", page.cursor_process, "\""));
      {
        auto parsed = FilterExpr::Parse(state.filter_text);
        state.filter = parsed.ok() && (*parsed)->kind() != FilterExpr::Kind::kTrue ? *parsed
                                                                                   : nullptr;
        if (state.filter == nullptr) state.filter_text.clear();
      }
      state.cursor = state.top = 0;
      return kRedraw;
    case ' ':
      state.paused = !state.paused;
      return kRedraw | (state.paused ? 0u : static_cast<uint32_t>(kRefetch));
    case '/':
      state.editing_filter = true;
      state.filter_input = state.filter_text;
      state.message.clear();
      return kRedraw;
    case '<':
    case ',':
      MoveSort(state, page, -1);
      return kRedraw;
    case '>':
    case '.':
      MoveSort(state, page, 1);
      return kRedraw;
    case 'r':
      state.reverse = !state.reverse;
      return kRedraw;
    case 'b':
      state.bits = !state.bits;
      return kRedraw;
    case 'a':
      state.active_only = !state.active_only;
      state.cursor = state.top = 0;
      return kRedraw;
    case 's':
      state.show_src = !state.show_src;
      return kRedraw;
    case 'n':
      state.names = !state.names;
      return kRedraw;
    case 'o':
      state.show_own = !state.show_own;
      return kRedraw;
    case 'T':
      state.protocols.tcp = !state.protocols.tcp;
      return kRedraw;
    case 'U':
      state.protocols.udp = !state.protocols.udp;
      return kRedraw;
    case 'D':
      state.protocols.dccp = !state.protocols.dccp;
      return kRedraw;
    case 'I':
      state.protocols.icmp = !state.protocols.icmp;
      return kRedraw;
    case 'S':
      state.protocols.sctp = !state.protocols.sctp;
      return kRedraw;
    case kKeyEscape:
      if (!state.message.empty()) {
        state.message.clear();
        return kRedraw;
      }
      return kNothing;
    default:
      return kNothing;
  }
}

}  // namespace flowtop::tui
