#include "tui/keys.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "tui/table.h"

namespace flowtop::tui {
namespace {

// ---- The prompts ('/' filter, replay 't' seek) ----

// Removes the last UTF-8 character of `text`.
void DeleteLastCharacter(std::string& text) {
  if (text.empty()) return;
  size_t n = text.size() - 1;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  text.resize(n);
}

// The text the open prompt edits.
std::string& PromptText(ViewState& state) {
  return state.editing_filter ? state.filter_input : state.seek_input;
}

uint32_t PromptCancel(KeyPress& p) {
  p.state.editing_filter = false;
  p.state.editing_seek = false;
  p.state.message.clear();
  return kRedraw;
}

uint32_t ApplyFilterPrompt(KeyPress& p) {
  if (absl::Status s = SetFilter(p.state, p.state.filter_input); !s.ok()) {
    p.state.message = std::string(s.message());
    return kRedraw;
  }
  PromptCancel(p);
  p.state.cursor = p.state.top = 0;
  return kRedraw;
}

uint32_t ApplySeekPrompt(KeyPress& p) {
  absl::StatusOr<absl::Duration> to = ParseSeekTarget(p.state.seek_input, p.replay->Status());
  if (!to.ok()) {
    p.state.message = std::string(to.status().message());
    return kRedraw;
  }
  PromptCancel(p);
  p.replay->SeekTo(*to);
  p.state.replay = p.replay->Status();
  return kRedraw | kRefetch;
}

uint32_t PromptApply(KeyPress& p) {
  return p.state.editing_filter ? ApplyFilterPrompt(p) : ApplySeekPrompt(p);
}

uint32_t PromptDeleteCharacter(KeyPress& p) {
  DeleteLastCharacter(PromptText(p.state));
  p.state.message.clear();
  return kRedraw;
}

uint32_t PromptClearLine(KeyPress& p) {
  PromptText(p.state).clear();
  p.state.message.clear();
  return kRedraw;
}

// Any other key at a prompt: printable ASCII is text ('q' too).
uint32_t PromptType(ViewState& state, int key) {
  if (key < 0x20 || key >= 0x7F) return kNothing;
  PromptText(state).push_back(static_cast<char>(key));
  state.message.clear();
  return kRedraw;
}

// ---- Moving through the table ----

void Move(ViewState& state, const PageInfo& page, long delta) {
  const long total = static_cast<long>(page.rows_total);
  long c = static_cast<long>(page.cursor) + delta;
  c = std::max(0L, std::min(c, total - 1));
  state.cursor = static_cast<size_t>(std::max(0L, c));
  state.top = page.top;
}

uint32_t MoveCursor(KeyPress& p) {
  Move(p.state, p.page, p.key == kKeyUp || p.key == 'k' ? -1 : 1);
  return kRedraw;
}

uint32_t MovePage(KeyPress& p) {
  const long rows = static_cast<long>(std::max<size_t>(1, p.page.page_rows));
  if (p.key == kKeyPageUp || p.key == 'u') {
    Move(p.state, p.page, -rows);
    p.state.top = static_cast<size_t>(std::max(0L, static_cast<long>(p.page.top) - rows));
  } else {
    Move(p.state, p.page, rows);
    p.state.top = p.page.top + static_cast<size_t>(rows);
  }
  return kRedraw;
}

uint32_t JumpToFirstOrLast(KeyPress& p) {
  if (p.key == kKeyHome || p.key == 'g') {
    p.state.cursor = p.state.top = 0;
  } else {
    p.state.cursor = p.page.rows_total == 0 ? 0 : p.page.rows_total - 1;
    p.state.top = p.state.cursor;
  }
  return kRedraw;
}

uint32_t ScrollSideways(KeyPress& p) {
  const bool left = p.key == kKeyLeft || p.key == 'h';
  p.state.hscroll = left ? std::max(0, p.state.hscroll - 8) : std::min(400, p.state.hscroll + 8);
  return kRedraw;
}

// ---- What the table shows ----

uint32_t SwitchView(KeyPress& p) {
  p.state.view = p.state.view == TableView::kFlows ? TableView::kProcesses : TableView::kFlows;
  p.state.cursor = p.state.top = 0;
  return kRedraw;
}

uint32_t MoveSortColumn(KeyPress& p) {
  const int delta = p.key == '<' || p.key == ',' ? -1 : 1;
  const std::vector<Column> cols = VisibleColumns(p.state, p.page.multi_node);
  Column& sort = SortColumn(p.state);
  auto it = std::find(cols.begin(), cols.end(), sort);
  int i = it == cols.end() ? 0 : static_cast<int>(it - cols.begin());
  const int n = static_cast<int>(cols.size());
  i = ((i + delta) % n + n) % n;
  sort = cols[static_cast<size_t>(i)];
  p.state.reverse = false;
  return kRedraw;
}

uint32_t ReverseOrder(KeyPress& p) {
  p.state.reverse = !p.state.reverse;
  return kRedraw;
}

uint32_t OpenFilterPrompt(KeyPress& p) {
  p.state.editing_filter = true;
  p.state.filter_input = p.state.filter_text;
  p.state.message.clear();
  return kRedraw;
}

// A process row opens the flows view filtered to that process.
uint32_t ShowProcessFlows(KeyPress& p) {
  if (p.page.rows_total == 0) return kNothing;
  p.state.view = TableView::kFlows;
  const std::string filter =
      p.page.cursor_pid != 0 ? absl::StrCat("pid ", p.page.cursor_pid)
      : p.page.cursor_process.empty() ? ""
                                      : absl::StrCat("process \"", p.page.cursor_process, "\"");
  if (!SetFilter(p.state, filter).ok()) SetFilter(p.state, "").IgnoreError();
  p.state.cursor = p.state.top = 0;
  return kRedraw;
}

uint32_t OpenSelected(KeyPress& p) {
  if (p.state.view == TableView::kProcesses) return ShowProcessFlows(p);
  if (p.page.cursor_flow == nullptr) return kNothing;
  p.state.screen = Screen::kDetail;
  p.state.detail_key = p.page.cursor_flow->Key();
  p.state.detail_last = p.page.cursor_flow;
  return kRedraw;
}

uint32_t ClearMessage(KeyPress& p) {
  if (p.state.message.empty()) return kNothing;
  p.state.message.clear();
  return kRedraw;
}

uint32_t TogglePause(KeyPress& p) {
  p.state.paused = !p.state.paused;
  return kRedraw | (p.state.paused ? 0u : static_cast<uint32_t>(kRefetch));
}

uint32_t Toggle(bool& flag) {
  flag = !flag;
  return kRedraw;
}
uint32_t ToggleBits(KeyPress& p) { return Toggle(p.state.bits); }
uint32_t ToggleSourceRow(KeyPress& p) { return Toggle(p.state.show_src); }
uint32_t ToggleNames(KeyPress& p) { return Toggle(p.state.names); }
uint32_t ToggleOwnTraffic(KeyPress& p) { return Toggle(p.state.show_own); }

uint32_t ToggleActiveOnly(KeyPress& p) {
  p.state.active_only = !p.state.active_only;
  p.state.cursor = p.state.top = 0;
  return kRedraw;
}

uint32_t ToggleProtocol(KeyPress& p) {
  ProtocolSet& on = p.state.protocols;
  switch (p.key) {
    case 'T': return Toggle(on.tcp);
    case 'U': return Toggle(on.udp);
    case 'D': return Toggle(on.dccp);
    case 'I': return Toggle(on.icmp);
    default: return Toggle(on.sctp);
  }
}

// ---- Screens ----

uint32_t Quit(KeyPress&) { return kQuit; }
uint32_t Redraw(KeyPress&) { return kRedraw; }

uint32_t ToggleHelp(KeyPress& p) {
  p.state.screen = p.state.screen == Screen::kHelp ? Screen::kTable : Screen::kHelp;
  return kRedraw;
}

uint32_t BackToTable(KeyPress& p) {
  p.state.screen = Screen::kTable;
  return kRedraw;
}

// ---- Time travel (replay mode) ----

constexpr double kMaxSpeed = 1024;
constexpr double kMinSpeed = 1.0 / 64;

// After a replay command: the status line shows where it went.
uint32_t Replayed(KeyPress& p) {
  p.state.replay = p.replay->Status();
  return kRedraw | kRefetch;
}

uint32_t ReplayPauseResume(KeyPress& p) {
  if (p.replay->Status().paused) {
    p.replay->Resume();
  } else {
    p.replay->Pause();
  }
  return Replayed(p);
}

uint32_t ReplayStep(KeyPress& p) {
  if (p.replay->Status().paused) {
    p.replay->Step(1);
  } else {
    p.replay->Pause();
  }
  return Replayed(p);
}

uint32_t ReplaySeek10s(KeyPress& p) {
  p.replay->SeekBy(absl::Seconds(p.key == '[' ? -10 : 10));
  return Replayed(p);
}

uint32_t ReplaySeek60s(KeyPress& p) {
  p.replay->SeekBy(absl::Seconds(p.key == '{' ? -60 : 60));
  return Replayed(p);
}

uint32_t ReplayToStart(KeyPress& p) {
  p.replay->SeekToStart();
  return Replayed(p);
}

uint32_t ReplaySpeed(KeyPress& p) {
  const double speed = p.replay->Status().speed;
  if (p.key == '+') {
    if (speed > 0) p.replay->SetSpeed(std::min(kMaxSpeed, speed * 2));
  } else {
    p.replay->SetSpeed(speed > 0 ? std::max(kMinSpeed, speed / 2) : kMaxSpeed);
  }
  return Replayed(p);
}

uint32_t ReplayMaxSpeed(KeyPress& p) {
  p.replay->SetSpeed(0);
  return Replayed(p);
}

uint32_t OpenSeekPrompt(KeyPress& p) {
  p.state.editing_seek = true;
  p.state.seek_input.clear();
  p.state.message.clear();
  return kRedraw;
}

constexpr uint32_t kInScreens = kInTable | kInOverlay;
constexpr uint32_t kReplayKeys = kInScreens | kInReplay;

// The precedence: a replay key comes before the live key it replaces
// (space, '.', 'g'); scopes keep the rest apart.
std::vector<KeyBinding> MakeBindings() {
  return {
      {{' '}, "replay-pause", "pause / resume the replay", kReplayKeys, ReplayPauseResume},
      {{'.'}, "replay-step", "step one event (pauses first)", kReplayKeys, ReplayStep},
      {{'[', ']'}, "replay-seek-10s", "seek 10 s back / forward", kReplayKeys, ReplaySeek10s},
      {{'{', '}'}, "replay-seek-60s", "seek 60 s back / forward", kReplayKeys, ReplaySeek60s},
      {{'g'}, "replay-start", "back to the start (Home: first row)", kReplayKeys,
       ReplayToStart},
      {{'t'}, "replay-seek-to",
       "seek to: 90s, +5m (into it), -30s (back), 50%, or an RFC 3339 time", kReplayKeys,
       OpenSeekPrompt},
      {{'+', '-'}, "replay-speed", "double / halve the speed", kReplayKeys, ReplaySpeed},
      {{'m'}, "replay-max-speed", "as fast as possible", kReplayKeys, ReplayMaxSpeed},

      {{'q'}, "quit", "quit", kInTable, Quit},
      {{kKeyInterrupt}, "quit-anywhere", "quit, from any screen", kEverywhere, Quit},
      {{kKeyUp, kKeyDown, 'k', 'j'}, "cursor", "move the cursor", kInTable, MoveCursor},
      {{kKeyPageUp, kKeyPageDown, 'u', 'd'}, "page", "page up / down", kInTable, MovePage},
      {{kKeyHome, kKeyEnd, 'g', 'G'}, "first-last", "first / last row", kInTable,
       JumpToFirstOrLast},
      {{kKeyLeft, kKeyRight, 'h', 'l'}, "scroll", "scroll sideways", kInTable, ScrollSideways},
      {{kKeyTab}, "view", "flows / processes view", kInTable, SwitchView},
      {{'r'}, "reverse", "reverse the order", kInTable, ReverseOrder},
      {{'<', ',', '>', '.'}, "sort-column", "sort by the previous / next column", kInTable,
       MoveSortColumn},
      {{'/'}, "filter",
       "filter, e.g.  dport 443 and country != DE\n"
       "proto udp or proto icmp   src 10.0.0.0/8   process curl\n"
       "not state TIME_WAIT  (Enter applies, Esc cancels, empty clears)",
       kInTable, OpenFilterPrompt},
      {{kKeyEnter, '\r'}, "open", "details of the flow under the cursor (processes: its flows)",
       kInTable, OpenSelected},
      {{' '}, "pause", "pause the display (data keeps flowing)", kInScreens, TogglePause},
      {{kKeyEscape}, "clear-message", "clear the message", kInTable, ClearMessage},
      {{'b'}, "bits", "bits / bytes", kInScreens, ToggleBits},
      {{'a'}, "active", "active flows only", kInTable, ToggleActiveOnly},
      {{'s'}, "source-row", "source row", kInTable, ToggleSourceRow},
      {{'n'}, "names", "host names / numeric addresses", kInScreens, ToggleNames},
      {{'o'}, "own-traffic", "also flowtop's own DNS queries (hidden by default)", kInTable,
       ToggleOwnTraffic},
      {{'T', 'U', 'D', 'I', 'S'}, "protocol", "toggle TCP, UDP(-lite), DCCP, ICMP(v6), SCTP",
       kInTable, ToggleProtocol},
      {{kKeyCtrlL}, "redraw", "redraw the screen", kEverywhere, Redraw,
       "only redraws; changes no setting"},
      {{'?'}, "help", "this help", kInScreens, ToggleHelp},

      {{'q', kKeyEscape, kKeyEnter, '\r'}, "back", "back to the table", kInOverlay, BackToTable},

      {{kKeyEnter, '\r'}, "prompt-apply", "apply", kInPrompt, PromptApply},
      {{kKeyEscape}, "prompt-cancel", "cancel", kInPrompt, PromptCancel},
      {{kKeyBackspace, 8}, "prompt-delete", "delete", kInPrompt,
       PromptDeleteCharacter},
      {{kKeyCtrlU}, "prompt-clear", "clear", kInPrompt, PromptClearLine},
  };
}

bool Lists(const KeyBinding& b, int key) {
  return std::find(b.keys.begin(), b.keys.end(), key) != b.keys.end();
}

// The context a key is looked up in.
uint32_t Where(const ViewState& state, bool replay) {
  if (state.editing_filter || (state.editing_seek && replay)) return kInPrompt;
  return state.screen == Screen::kTable ? kInTable : kInOverlay;
}

// The help screen's sections, in order: which bindings each lists.
struct SectionSpec {
  const char* title;
  uint32_t where;
  bool (*lists)(const KeyBinding&);
};

bool IsLiveScreenKey(const KeyBinding& b) {
  return (b.scope & kInReplay) == 0 && (b.scope & kInTable) != 0;
}
bool IsOverlayOnlyKey(const KeyBinding& b) {
  return (b.scope & (kInReplay | kInTable)) == 0 && (b.scope & kInOverlay) != 0;
}
bool IsPromptOnlyKey(const KeyBinding& b) { return b.scope == kInPrompt; }
bool IsReplayKey(const KeyBinding& b) { return (b.scope & kInReplay) != 0; }

// Returns `text` padded with spaces to `width` characters (ASCII).
std::string Pad(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

// The help lines of one entry: "  KEYS  help", continuation lines indented.
constexpr size_t kKeysColumn = 14;
std::vector<std::string> EntryLines(const KeyHelpEntry& e) {
  std::vector<std::string> lines;
  const std::string keys = absl::StrJoin(e.keys, " ");
  for (absl::string_view part : absl::StrSplit(e.binding->help, '\n')) {
    const std::string lead = lines.empty() ? keys : "";
    lines.push_back(
        absl::StrCat("  ", Pad(lead, kKeysColumn), lead.size() >= kKeysColumn ? " " : "", part));
  }
  return lines;
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
  // Not a key the user pressed: the terminal changed its size.
  if (key == kKeyResize) return kRedraw;
  const uint32_t where = Where(state, replay != nullptr);
  const KeyBinding* binding = FindBinding(key, where, replay != nullptr);
  if (binding == nullptr) return where == kInPrompt ? PromptType(state, key) : kNothing;
  KeyPress press{state, page, key, replay};
  return binding->run(press);
}

const std::vector<KeyBinding>& KeyBindings() {
  static const std::vector<KeyBinding>* const bindings =
      new std::vector<KeyBinding>(MakeBindings());
  return *bindings;
}

const KeyBinding* FindBinding(int key, uint32_t where, bool replay) {
  for (const KeyBinding& b : KeyBindings()) {
    if ((b.scope & where) == 0 || ((b.scope & kInReplay) != 0 && !replay)) continue;
    if (Lists(b, key)) return &b;
  }
  return nullptr;
}

std::string KeyName(int key) {
  switch (key) {
    case kKeyTab: return "TAB";
    case kKeyEnter:
    case '\r': return "Enter";
    case kKeyEscape: return "Esc";
    case kKeyBackspace:
    case 8: return "Backspace";
    case kKeyUp: return "up";
    case kKeyDown: return "down";
    case kKeyLeft: return "left";
    case kKeyRight: return "right";
    case kKeyPageUp: return "PgUp";
    case kKeyPageDown: return "PgDn";
    case kKeyHome: return "Home";
    case kKeyEnd: return "End";
    case kKeyCtrlU: return "Ctrl-U";
    case kKeyCtrlL: return "Ctrl-L";
    case kKeyInterrupt: return "Ctrl-C";
    case ' ': return "space";
    default:
      if (key > 0x20 && key < 0x7F) return std::string(1, static_cast<char>(key));
      return absl::StrCat("key ", key);
  }
}

std::vector<KeyHelpSection> KeyHelp(bool replay) {
  std::vector<SectionSpec> specs = {{"Keys", kInTable, IsLiveScreenKey}};
  if (replay) specs.push_back({"Replay (recorded time)", kInTable, IsReplayKey});
  specs.push_back({"In help and detail", kInOverlay, IsOverlayOnlyKey});
  specs.push_back(
      {replay ? "At the / and t prompts" : "At the / prompt", kInPrompt, IsPromptOnlyKey});
  std::vector<KeyHelpSection> sections;
  for (const SectionSpec& spec : specs) {
    KeyHelpSection section{spec.title, spec.where, {}};
    for (const KeyBinding& b : KeyBindings()) {
      if (!spec.lists(b)) continue;
      KeyHelpEntry entry{{}, &b};
      for (int key : b.keys) {
        const std::string name = KeyName(key);
        if (FindBinding(key, spec.where, replay) != &b) continue;  // taken first elsewhere
        if (std::find(entry.keys.begin(), entry.keys.end(), name) == entry.keys.end()) {
          entry.keys.push_back(name);
        }
      }
      if (!entry.keys.empty()) section.entries.push_back(std::move(entry));
    }
    sections.push_back(std::move(section));
  }
  return sections;
}

namespace {

// A section as one line, "Title:  KEYS help  KEYS help", when it fits.
std::string OneLine(const KeyHelpSection& section) {
  std::string line = absl::StrCat(section.title, ":");
  for (const KeyHelpEntry& e : section.entries) {
    absl::StrAppend(&line, "  ", absl::StrJoin(e.keys, " "), " ", e.binding->help);
  }
  return line;
}

// Appends a section's entries, two to a line where both fit: the second
// starts at the middle of the screen (or just after a longer first).
void AppendEntries(const KeyHelpSection& section, size_t width, std::vector<std::string>& lines) {
  const size_t half = width / 2;
  for (size_t i = 0; i < section.entries.size(); ++i) {
    const std::vector<std::string> entry = EntryLines(section.entries[i]);
    if (entry.size() == 1 && i + 1 < section.entries.size()) {
      const KeyHelpEntry& next = section.entries[i + 1];
      const std::string second =
          absl::StrCat(absl::StrJoin(next.keys, " "), "  ", next.binding->help);
      const size_t at = std::max(half, entry[0].size() + 2);
      if (absl::StrContains(next.binding->help, '\n') == false && at + second.size() <= width) {
        lines.push_back(Pad(entry[0], at) + second);
        ++i;
        continue;
      }
    }
    lines.insert(lines.end(), entry.begin(), entry.end());
  }
}

}  // namespace

std::vector<std::string> KeyHelpLines(bool replay, int width) {
  const size_t w = static_cast<size_t>(std::max(0, width));
  std::vector<std::string> lines;
  for (const KeyHelpSection& section : KeyHelp(replay)) {
    if (section.entries.empty()) continue;
    // The short sections (help and detail, prompts) take one line each.
    if (section.where != kInTable && OneLine(section).size() <= w) {
      lines.push_back(OneLine(section));
      continue;
    }
    if (!lines.empty() && section.where == kInTable) lines.push_back("");
    lines.push_back(section.title);
    AppendEntries(section, w, lines);
  }
  return lines;
}

}  // namespace flowtop::tui
