#include "tui/view.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/version.h"
#include "tui/format.h"
#include "tui/keys.h"
#include "tui/table.h"
#include "tui/text.h"

namespace flowtop::tui {
namespace {

struct Col {
  Column column;
  int width;
  Align align;
};

bool IsFlex(Column c, TableView view) {
  return view == TableView::kFlows ? c == Column::kAddress : c == Column::kProcess;
}

int NaturalWidth(Column c) {
  switch (c) {
    case Column::kNode: return 12;
    case Column::kProcess: return 15;
    case Column::kPid: return 7;
    case Column::kUnit: return 19;
    case Column::kProto: return 7;
    case Column::kState: return 11;
    case Column::kAge: return 6;
    case Column::kAddress: return 30;
    case Column::kPort: return 10;
    case Column::kGeo: return 18;
    case Column::kBytes: return 7;
    case Column::kRate: return 10;
    case Column::kFlows: return 6;
    case Column::kTxBytes:
    case Column::kRxBytes: return 7;
    case Column::kTxRate:
    case Column::kRxRate: return 10;
  }
  return 8;
}

Align AlignOf(Column c) {
  switch (c) {
    case Column::kPid:
    case Column::kAge:
    case Column::kBytes:
    case Column::kRate:
    case Column::kFlows:
    case Column::kTxBytes:
    case Column::kRxBytes:
    case Column::kTxRate:
    case Column::kRxRate: return Align::kRight;
    default: return Align::kLeft;
  }
}

// Lays columns out for `width` cells. With fit, narrow screens first shrink
// the wide columns, then drop the least important ones; without fit (the
// user scrolled sideways, or --batch) every column keeps its natural width.
std::vector<Col> Layout(const std::vector<Column>& columns, TableView view, int width,
                        bool fit) {
  std::vector<Col> cols;
  for (Column c : columns) cols.push_back({c, NaturalWidth(c), AlignOf(c)});
  const auto fixed = [&cols, view]() {
    int sum = static_cast<int>(cols.size()) - 1;
    for (const Col& c : cols) sum += IsFlex(c.column, view) ? 0 : c.width;
    return sum;
  };
  const int min_flex = 16;
  if (fit && width > 0) {
    for (Col& c : cols) {
      if (fixed() + min_flex <= width) break;
      if (c.column == Column::kGeo) c.width = 9;
      if (c.column == Column::kProcess && view == TableView::kFlows) c.width = 10;
      if (c.column == Column::kNode) c.width = 8;
    }
    for (Column drop : {Column::kUnit, Column::kGeo, Column::kAge, Column::kPid, Column::kState,
                        Column::kProto, Column::kNode, Column::kPort, Column::kRxRate,
                        Column::kTxRate}) {
      if (fixed() + min_flex <= width) break;
      cols.erase(std::remove_if(cols.begin(), cols.end(),
                                [drop](const Col& c) { return c.column == drop; }),
                 cols.end());
    }
  }
  for (Col& c : cols) {
    if (!IsFlex(c.column, view)) continue;
    c.width = width > 0 ? std::max(min_flex, width - fixed()) : NaturalWidth(c.column);
  }
  return cols;
}

std::string JoinCells(const std::vector<Col>& cols, const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i > 0) line += ' ';
    line += Fit(Sanitize(cells[i]), cols[i].width, cols[i].align);
  }
  return line;
}

bool SortedDescending(Column c) {
  switch (c) {
    case Column::kAge:
    case Column::kBytes:
    case Column::kRate:
    case Column::kFlows:
    case Column::kTxBytes:
    case Column::kRxBytes:
    case Column::kTxRate:
    case Column::kRxRate: return true;
    default: return false;
  }
}

std::string HeadLine(const std::vector<Col>& cols, Column sort, bool reverse) {
  std::vector<std::string> cells;
  for (const Col& c : cols) {
    std::string title = ColumnTitle(c.column);
    // The sort mark: v for largest / last first, ^ for smallest / first.
    if (c.column == sort) title += (SortedDescending(sort) != reverse) ? "v" : "^";
    cells.push_back(title);
  }
  return JoinCells(cols, cells);
}

std::string AddressText(const std::string& ip, const v1::Endpoint& end, bool names) {
  if (names && !end.hostname().empty() && end.hostname() != "-") return end.hostname();
  return FormatIp(ip);
}

std::string GeoText(const v1::Geo& geo) {
  if (geo.country_code().empty()) return "";
  if (geo.city().empty()) return geo.country_code();
  return absl::StrCat(geo.country_code(), " ", geo.city());
}

int64_t StartNanos(const v1::Flow& f) {
  return f.has_start_unix_nanos() ? f.start_unix_nanos() : f.first_seen_unix_nanos();
}

std::string FlowCell(const FlowRow& row, Column c, const ViewState& state, absl::Time now) {
  const v1::Flow& f = row.flow();
  switch (c) {
    case Column::kNode: return row.node;
    case Column::kProcess: {
      const v1::Process* p = FlowProcess(f);
      return p && !p->name().empty() ? p->name() : "-";
    }
    case Column::kPid: {
      const v1::Process* p = FlowProcess(f);
      return p && p->pid() != 0 ? absl::StrCat(p->pid()) : "-";
    }
    case Column::kUnit: {
      const v1::Process* p = FlowProcess(f);
      const std::string unit = p ? OwnerUnit(*p) : "";
      return unit.empty() ? "-" : unit;
    }
    case Column::kProto: {
      // "tcp6" for IPv6 flows; icmp6 already says it.
      const std::string name = ProtocolName(f);
      const bool suffix = f.family() == v1::IPV6 && name.back() != '6';
      return suffix ? absl::StrCat(name, "6") : name;
    }
    case Column::kState: {
      const std::string s = StateName(f);
      return s.empty() ? "-" : s;
    }
    case Column::kAge:
      return StartNanos(f) == 0 ? "-" : FormatAge(now - absl::FromUnixNanos(StartNanos(f)));
    case Column::kAddress:
      return absl::StrCat(IsNat(f) ? "*" : "",
                          AddressText(f.original().dst_ip(), f.enrichment().dst(), state.names));
    case Column::kPort: {
      const std::string port = DestinationPort(f);
      const std::string& service = f.enrichment().service();
      return service.empty() ? port : absl::StrCat(port, "/", service);
    }
    case Column::kGeo: return GeoText(f.enrichment().dst().geo());
    case Column::kBytes:
      return FormatSize(row.hot.original_bytes + row.hot.reply_bytes, state.bits);
    case Column::kRate:
      return FormatRate(row.traffic.original_rate.bytes_per_second() +
                            row.traffic.reply_rate.bytes_per_second(),
                        state.bits);
    default: return "";
  }
}

std::string SourceCell(const FlowRow& row, Column c, const ViewState& state) {
  const v1::Flow& f = row.flow();
  switch (c) {
    case Column::kAddress:
      return absl::StrCat("<- ", AddressText(f.original().src_ip(), f.enrichment().src(),
                                             state.names));
    case Column::kPort: return SourcePort(f);
    case Column::kGeo: return GeoText(f.enrichment().src().geo());
    default: return "";
  }
}

std::string ProcessCell(const ProcessRow& row, Column c, const ViewState& state) {
  switch (c) {
    case Column::kProcess: return row.name.empty() ? "(unknown)" : row.name;
    case Column::kPid: return row.pid == 0 ? "-" : absl::StrCat(row.pid);
    case Column::kUnit: return row.unit.empty() ? "-" : row.unit;
    case Column::kFlows: return absl::StrCat(row.flows);
    case Column::kTxBytes: return FormatSize(row.tx_bytes, state.bits);
    case Column::kRxBytes: return FormatSize(row.rx_bytes, state.bits);
    case Column::kTxRate: return FormatRate(row.tx_rate, state.bits);
    case Column::kRxRate: return FormatRate(row.rx_rate, state.bits);
    default: return "";
  }
}

bool AnyUnit(const std::vector<const FlowRow*>& rows) {
  return std::any_of(rows.begin(), rows.end(), [](const FlowRow* row) {
    const v1::Process* p = FlowProcess(row->flow());
    return p != nullptr && !OwnerUnit(*p).empty();
  });
}

bool AnyUnit(const std::vector<ProcessRow>& rows) {
  return std::any_of(rows.begin(), rows.end(),
                     [](const ProcessRow& row) { return !row.unit.empty(); });
}

std::string ProtocolsText(const ViewState& s) {
  std::vector<std::string> on;
  if (s.protocols.tcp) on.push_back("tcp");
  if (s.protocols.udp) on.push_back("udp");
  if (s.protocols.dccp) on.push_back("dccp");
  if (s.protocols.icmp) on.push_back("icmp");
  if (s.protocols.sctp) on.push_back("sctp");
  if (on.empty()) on.push_back("none");
  std::vector<std::string> fam;
  if (s.families.ipv4) fam.push_back("ipv4");
  if (s.families.ipv6) fam.push_back("ipv6");
  if (fam.empty()) fam.push_back("none");
  return absl::StrCat(absl::StrJoin(on, ","), " ", absl::StrJoin(fam, ","));
}

Line Plain(std::string text, Style style, int width) {
  Line line;
  line.segments.push_back({Fit(text, width), style});
  return line;
}

// `processes` is the number of process rows (processes view only).
std::string TitleText(const Snapshot& snap, const ViewState& state, const std::string& title,
                      const Totals& totals, size_t processes) {
  std::string text = absl::StrCat("flowtop ", kVersion, "  ", title);
  if (state.view == TableView::kProcesses) {
    absl::StrAppend(&text, "  processes ", processes);
  }
  absl::StrAppend(&text, "  flows ", totals.flows, "/", snap.flows.size());
  absl::StrAppend(&text, "  total ",
                  FormatSize(totals.original_bytes + totals.reply_bytes, state.bits),
                  "  orig ", FormatRate(totals.original_rate, state.bits), "  reply ",
                  FormatRate(totals.reply_rate, state.bits));
  return text;
}

std::string InfoText(const ViewState& state) {
  const Column sort = SortColumn(state);
  std::string text = absl::StrCat(
      state.view == TableView::kFlows ? "Flows" : "Processes", "  sort ", ColumnTitle(sort),
      (SortedDescending(sort) != state.reverse) ? " desc" : " asc", "  ",
      ProtocolsText(state), "  ", state.bits ? "bits" : "bytes");
  if (state.active_only) text += "  active-only";
  if (!state.names) text += "  numeric";
  if (state.show_own) text += "  +own";
  if (!state.filter_text.empty()) absl::StrAppend(&text, "  filter: ", state.filter_text);
  return text;
}

// The status line while a prompt is open: what is typed, and its error.
Line PromptLine(const ViewState& state) {
  Line line;
  line.segments.push_back(
      {state.editing_filter
           ? absl::StrCat("filter: ", Sanitize(state.filter_input), "_")
           : absl::StrCat("seek to (90s, +5m, -30s, 50%, RFC 3339): ", Sanitize(state.seek_input),
                          "_"),
       Style::kStatus});
  if (!state.message.empty()) {
    line.segments.push_back({absl::StrCat("  ", state.message), Style::kError});
  }
  return line;
}

// The sources' part of the status line: connections, endpoints lost,
// loading, stretched rates, lost events, the last note.
void AppendSourceStatus(const Snapshot& snap, Line& line) {
  const int sources = static_cast<int>(snap.sources.size());
  const int disconnected = snap.Disconnected();
  line.segments.push_back(
      {sources > 1 || disconnected > 0
           ? absl::StrCat(sources - disconnected, "/", sources, " connected")
           : "",
       Style::kStatus});
  for (const SourceState& s : snap.sources) {
    if (s.connected) continue;
    line.segments.push_back({absl::StrCat("  ", s.label, s.ended ? " ended" : " disconnected",
                                          s.error.empty() ? "" : absl::StrCat(": ", s.error)),
                             Style::kWarning});
  }
  if (std::string loading = snap.LoadingText(); !loading.empty()) {
    line.segments.push_back({absl::StrCat("  ", loading), Style::kWarning});
  }
  absl::Duration rates;
  for (const SourceState& s : snap.sources) rates = std::max(rates, s.stretched_rate_period);
  if (rates > absl::ZeroDuration()) {
    line.segments.push_back(
        {absl::StrCat("  rates every ", absl::FormatDuration(absl::Trunc(rates, absl::Seconds(1))),
                      " (CPU budget)"),
         Style::kStatus});
  }
  const uint64_t lost = snap.LostEvents();
  const uint64_t gaps = snap.LossGaps();
  if (lost > 0 || gaps > 0) {
    line.segments.push_back(
        {absl::StrCat("  lost ", lost, gaps > 0 ? "+" : "", " events"), Style::kWarning});
  }
  if (!snap.notes.empty()) {
    line.segments.push_back({absl::StrCat("  ", snap.notes.back()), Style::kWarning});
  }
}

// The status line of the table and detail screens: the sources, the
// replay, PAUSED, the message, the key hint.
Line SourcesLine(const Snapshot& snap, const ViewState& state) {
  Line line;
  AppendSourceStatus(snap, line);
  if (state.replay.has_value()) {
    line.segments.push_back({absl::StrCat("  ", ReplayStatusText(*state.replay)),
                             state.replay->paused ? Style::kWarning : Style::kStatus});
  }
  if (state.paused) line.segments.push_back({"  PAUSED", Style::kWarning});
  if (!state.message.empty()) {
    line.segments.push_back({absl::StrCat("  ", state.message), Style::kError});
  }
  line.segments.push_back({"  ? help  q quit", Style::kStatus});
  // Drop the leading separator when nothing came before it.
  if (line.segments[0].text.empty()) {
    line.segments.erase(line.segments.begin());
    line.segments[0].text = line.segments[0].text.substr(2);
  }
  return line;
}

// Cuts `line` to `width` cells and pads it to exactly that.
Line FitLine(const Line& line, int width) {
  int used = 0;
  Line out;
  for (const Segment& s : line.segments) {
    const std::string text = Sanitize(s.text);
    const int w = DisplayWidth(text);
    if (used + w > width) {
      out.segments.push_back({Fit(text, width - used), s.style});
      used = width;
      break;
    }
    out.segments.push_back({text, s.style});
    used += w;
  }
  if (used < width) out.segments.push_back({std::string(width - used, ' '), Style::kStatus});
  return out;
}

Line StatusLine(const Snapshot& snap, const ViewState& state, int width) {
  return FitLine(state.editing_filter || state.editing_seek ? PromptLine(state)
                                                            : SourcesLine(snap, state),
                 width);
}

void Clamp(PageInfo& page, size_t cursor, size_t top) {
  const size_t total = page.rows_total;
  const size_t rows = std::max<size_t>(1, page.page_rows);
  page.cursor = total == 0 ? 0 : std::min(cursor, total - 1);
  page.top = std::min(top, total > rows ? total - rows : 0);
  if (page.cursor < page.top) page.top = page.cursor;
  if (page.cursor >= page.top + rows) page.top = page.cursor - rows + 1;
}

std::string Tuple(const v1::Tuple& t, const v1::Flow& f) {
  if (f.protocol() == v1::ICMP || f.protocol() == v1::ICMPV6) {
    return absl::StrCat(FormatIp(t.src_ip()), " -> ", FormatIp(t.dst_ip()), "  type ",
                        t.icmp_type(), " code ", t.icmp_code(), " id ", t.icmp_id());
  }
  const bool v6 = t.src_ip().size() == 16;
  const auto ep = [v6](const std::string& ip, uint32_t port) {
    return v6 ? absl::StrCat("[", FormatIp(ip), "]:", port)
              : absl::StrCat(FormatIp(ip), ":", port);
  };
  return absl::StrCat(ep(t.src_ip(), t.src_port()), " -> ", ep(t.dst_ip(), t.dst_port()));
}

std::string Time(int64_t nanos) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixNanos(nanos),
                          absl::UTCTimeZone());
}

std::string EndpointText(const v1::Endpoint& e) {
  std::vector<std::string> parts;
  parts.push_back(e.hostname().empty() ? "name -" : absl::StrCat("name ", e.hostname()));
  const v1::Geo& g = e.geo();
  if (!g.country_code().empty()) {
    std::string geo = absl::StrCat("geo ", g.country_code());
    if (!g.country().empty()) absl::StrAppend(&geo, " ", g.country());
    if (!g.city().empty()) absl::StrAppend(&geo, ", ", g.city());
    if (g.as_number() != 0) absl::StrAppend(&geo, "  AS", g.as_number(), " ", g.as_organization());
    parts.push_back(geo);
  }
  if (e.has_process() && (e.process().pid() != 0 || !e.process().name().empty())) {
    const v1::Process& p = e.process();
    std::string proc = absl::StrCat("process ", p.name().empty() ? "?" : p.name(), " (pid ",
                                    p.pid());
    if (!p.user().empty()) absl::StrAppend(&proc, ", user ", p.user());
    else absl::StrAppend(&proc, ", uid ", p.uid());
    proc += ")";
    if (!p.exe().empty()) absl::StrAppend(&proc, " ", p.exe());
    if (!p.attributed_by().empty()) absl::StrAppend(&proc, " (by ", p.attributed_by(), ")");
    parts.push_back(proc);
  }
  return absl::StrJoin(parts, "  ");
}

// Where the end's process runs: "unit nginx.service  cgroup /system.slice/..."
// or "container docker ID  cgroup ..."; empty when nothing is known.
std::string OwnerText(const v1::Endpoint& e) {
  const v1::Process& p = e.process();
  std::vector<std::string> parts;
  if (!p.unit().empty()) parts.push_back(absl::StrCat("unit ", p.unit()));
  if (!p.container_id().empty()) {
    parts.push_back(absl::StrCat("container ", p.container_runtime(), " ", p.container_id()));
  }
  if (!p.cgroup().empty()) parts.push_back(absl::StrCat("cgroup ", p.cgroup()));
  return absl::StrJoin(parts, "  ");
}

std::vector<std::string> DetailLines(const FlowRow& row, bool closed, const ViewState& state,
                                     absl::Time now) {
  const v1::Flow& f = row.flow();
  std::vector<std::string> l;
  l.push_back(absl::StrCat("Flow ", f.id().empty() ? absl::StrCat(row.node, "/", f.conntrack_id())
                                                   : f.id(),
                           "  node ", row.node, closed ? "  [closed]" : ""));
  std::string proto = absl::StrCat("Protocol     ", ProtocolName(f), " IPv", FamilyName(f));
  const std::string state_name = StateName(f);
  if (!state_name.empty()) absl::StrAppend(&proto, "  state ", state_name);
  absl::StrAppend(&proto, "  timeout ", f.timeout_seconds(), "s  mark ", f.mark(), "  zone ",
                  f.zone());
  l.push_back(proto);
  l.push_back(absl::StrCat("Original     ", Tuple(f.original(), f)));
  l.push_back(absl::StrCat("Reply        ", Tuple(f.reply(), f), IsNat(f) ? "  (NAT)" : ""));
  std::vector<std::string> flags;
  const v1::FlowStatus& st = f.status();
  if (st.assured()) flags.push_back("assured");
  if (st.seen_reply()) flags.push_back("seen-reply");
  if (st.confirmed()) flags.push_back("confirmed");
  if (st.src_nat()) flags.push_back("src-nat");
  if (st.dst_nat()) flags.push_back("dst-nat");
  if (st.expected()) flags.push_back("expected");
  if (st.dying()) flags.push_back("dying");
  if (st.offload()) flags.push_back("offload");
  l.push_back(absl::StrCat("Status       ", flags.empty() ? "-" : absl::StrJoin(flags, " ")));
  const auto counters = [&state](const v1::Counters& c, const v1::Rate& r) {
    return absl::StrCat(c.packets(), " packets ", FormatSize(c.bytes(), state.bits), "  ",
                        FormatRate(r.bytes_per_second(), state.bits));
  };
  const Traffic& t = row.traffic;
  l.push_back(absl::StrCat("Counters     orig  ", counters(t.original_counters, t.original_rate)));
  l.push_back(absl::StrCat("             reply ", counters(t.reply_counters, t.reply_rate)));
  if (f.has_start_unix_nanos()) {
    l.push_back(absl::StrCat("Started      ", Time(f.start_unix_nanos()), "  age ",
                             FormatAge(now - absl::FromUnixNanos(f.start_unix_nanos()))));
  }
  if (f.has_stop_unix_nanos()) l.push_back(absl::StrCat("Stopped      ", Time(f.stop_unix_nanos())));
  if (f.first_seen_unix_nanos() != 0) {
    l.push_back(absl::StrCat("First seen   ", Time(f.first_seen_unix_nanos()), "  age ",
                             FormatAge(now - absl::FromUnixNanos(f.first_seen_unix_nanos()))));
  }
  l.push_back(absl::StrCat("Source       ", EndpointText(f.enrichment().src())));
  if (std::string o = OwnerText(f.enrichment().src()); !o.empty()) {
    l.push_back(absl::StrCat("             ", o));
  }
  l.push_back(absl::StrCat("Destination  ", EndpointText(f.enrichment().dst())));
  if (std::string o = OwnerText(f.enrichment().dst()); !o.empty()) {
    l.push_back(absl::StrCat("             ", o));
  }
  if (!f.enrichment().service().empty()) {
    l.push_back(absl::StrCat("Service      ", f.enrichment().service()));
  }
  return l;
}

// ---- Full-screen pages (help, detail) ----

// Fills `frame` as a page: `title` on the first line, `body` as far as it
// fits, blank lines, `footer` on the last line.
void FillPage(Frame& frame, Line title, const std::vector<std::string>& body, Line footer,
              int width, int height) {
  frame.lines.push_back(std::move(title));
  for (const std::string& l : body) {
    if (static_cast<int>(frame.lines.size()) >= height - 1) break;
    frame.lines.push_back(Plain(Sanitize(l), Style::kNormal, width));
  }
  while (static_cast<int>(frame.lines.size()) < height - 1) {
    frame.lines.push_back(Plain("", Style::kNormal, width));
  }
  frame.lines.push_back(std::move(footer));
}

const char* const kColumnsNote[] = {
    "Columns: a '*' before the address marks a translated (NAT) flow; rates",
    "are both directions per second; AGE is since the kernel (or flowtop)",
    "first saw the flow.",
};

// The help screen: the keys of this mode (generated from the key table,
// tui/keys.h) and what the columns mean.
void RenderHelp(const ViewState& state, int width, int height, Frame& frame) {
  std::vector<std::string> body = KeyHelpLines(state.replay.has_value(), width);
  body.push_back("");
  body.insert(body.end(), std::begin(kColumnsNote), std::end(kColumnsNote));
  FillPage(frame, Plain(absl::StrCat("flowtop ", kVersion, "  help"), Style::kTitle, width), body,
           Plain("press q, Esc or ? to return", Style::kStatus, width), width, height);
}

// The flow the detail view shows: its current row, or the last copy seen
// once it closed (`closed`); nullptr when there is neither.
const FlowRow* DetailRow(const Snapshot& snapshot, const ViewState& state, bool* closed) {
  *closed = false;
  const int64_t at = snapshot.flows.Find(state.detail_key);
  if (at >= 0) return snapshot.flows[static_cast<size_t>(at)];
  *closed = true;
  return state.detail_last.get();
}

void RenderDetail(const Snapshot& snapshot, const ViewState& state, int width, int height,
                  const std::string& title, Frame& frame) {
  bool closed = false;
  const FlowRow* row = DetailRow(snapshot, state, &closed);
  const std::vector<std::string> body =
      row != nullptr ? DetailLines(*row, closed, state, snapshot.NowFor(row->source))
                     : std::vector<std::string>{"no flow selected"};
  std::string status = StatusLine(snapshot, state, width).Text();
  while (!status.empty() && status.back() == ' ') status.pop_back();
  FillPage(frame,
           Plain(absl::StrCat("flowtop ", kVersion, "  ", title, "  flow detail"), Style::kTitle,
                 width),
           body, Plain(absl::StrCat("q/Esc back  ", status), Style::kStatus, width), width,
           height);
}

// ---- The table ----

// One flow's line (and its source line with show_src), as text.
std::vector<std::string> FlowLines(const FlowRow& row, const std::vector<Col>& cols,
                                   const ViewState& state, absl::Time now) {
  std::vector<std::string> cells;
  for (const Col& c : cols) cells.push_back(FlowCell(row, c.column, state, now));
  std::vector<std::string> lines = {JoinCells(cols, cells)};
  if (state.show_src) {
    cells.clear();
    for (const Col& c : cols) cells.push_back(SourceCell(row, c.column, state));
    lines.push_back(JoinCells(cols, cells));
  }
  return lines;
}

std::string ProcessLine(const ProcessRow& row, const std::vector<Col>& cols,
                        const ViewState& state) {
  std::vector<std::string> cells;
  for (const Col& c : cols) cells.push_back(ProcessCell(row, c.column, state));
  return JoinCells(cols, cells);
}

// The rows of the table on screen, with what the title and column heads
// need.
struct TableWindow {
  std::vector<Line> lines;
  std::vector<Col> cols;
  Totals totals;
  size_t shown = 0;
};

std::vector<Col> TableLayout(const ViewState& state, const PageInfo& page, bool units,
                             int width) {
  return Layout(VisibleColumns(state, page.multi_node, units), state.view, width,
                state.hscroll == 0);
}

// The flows view's window: count first (for clamping), then select it.
TableWindow FlowWindow(const Snapshot& snapshot, const ViewState& state, int width,
                       PageInfo& page) {
  FlowSelection sel = SelectFlows(snapshot, state, state.top, page.page_rows);
  page.rows_total = sel.total;
  Clamp(page, state.cursor, state.top);
  if (page.top != state.top) sel = SelectFlows(snapshot, state, page.top, page.page_rows);
  TableWindow w;
  w.cols = TableLayout(state, page, AnyUnit(sel.rows), width);
  w.totals = sel.totals;
  w.shown = sel.total;
  for (size_t i = 0; i < sel.rows.size(); ++i) {
    const FlowRow& row = *sel.rows[i];
    const bool selected = page.top + i == page.cursor;
    if (selected) page.cursor_flow = std::make_shared<const FlowRow>(row);
    const std::vector<std::string> text =
        FlowLines(row, w.cols, state, snapshot.NowFor(row.source));
    for (size_t j = 0; j < text.size(); ++j) {
      const Style style = j > 0 ? Style::kDim : selected ? Style::kSelected : Style::kNormal;
      w.lines.push_back(Plain(Slice(text[j], state.hscroll, width), style, width));
    }
  }
  return w;
}

TableWindow ProcessWindow(const Snapshot& snapshot, const ViewState& state, int width,
                          PageInfo& page) {
  ProcessSelection sel = SelectProcesses(snapshot, state, state.top, page.page_rows);
  page.rows_total = sel.total;
  Clamp(page, state.cursor, state.top);
  if (page.top != state.top) sel = SelectProcesses(snapshot, state, page.top, page.page_rows);
  TableWindow w;
  w.cols = TableLayout(state, page, AnyUnit(sel.rows), width);
  w.totals = sel.totals;
  w.shown = sel.total;
  for (size_t i = 0; i < sel.rows.size(); ++i) {
    const bool selected = page.top + i == page.cursor;
    if (selected) {
      page.cursor_process = sel.rows[i].name;
      page.cursor_pid = sel.rows[i].pid;
    }
    w.lines.push_back(Plain(Slice(ProcessLine(sel.rows[i], w.cols, state), state.hscroll, width),
                            selected ? Style::kSelected : Style::kNormal, width));
  }
  return w;
}

// The line under the column heads when no row shows: why.
Line EmptyTableNote(const Snapshot& snapshot, int width) {
  const bool none = snapshot.sources.empty() || snapshot.flows.empty();
  std::string text = "  no flows match (TAB, T/U/D/I/S, a, / change what is shown)";
  if (none) {
    text = snapshot.empty_hint.empty() ? std::string("  no flows yet")
                                       : Sanitize("  no flows yet: " + snapshot.empty_hint);
  }
  return Plain(text, Style::kDim, width);
}

// The table screens: title with totals, settings, column heads, the rows,
// the status line.
void RenderTable(const Snapshot& snapshot, const ViewState& state, int width, int height,
                 const std::string& title, RenderResult& result) {
  Frame& frame = result.frame;
  PageInfo& page = result.page;
  const int lines_per_row = (state.view == TableView::kFlows && state.show_src) ? 2 : 1;
  page.page_rows = static_cast<size_t>(std::max(1, (height - 4) / lines_per_row));
  TableWindow w = state.view == TableView::kFlows ? FlowWindow(snapshot, state, width, page)
                                                  : ProcessWindow(snapshot, state, width, page);
  frame.lines.push_back(Plain(Sanitize(TitleText(snapshot, state, title, w.totals, w.shown)),
                              Style::kTitle, width));
  frame.lines.push_back(Plain(Sanitize(InfoText(state)), Style::kNormal, width));
  frame.lines.push_back(
      Plain(Slice(HeadLine(w.cols, SortColumn(state), state.reverse), state.hscroll, width),
            Style::kColumnHead, width));
  for (Line& l : w.lines) frame.lines.push_back(std::move(l));
  if (page.rows_total == 0) frame.lines.push_back(EmptyTableNote(snapshot, width));
  while (static_cast<int>(frame.lines.size()) < height - 1) {
    frame.lines.push_back(Plain("", Style::kNormal, width));
  }
  frame.lines.push_back(StatusLine(snapshot, state, width));
}

}  // namespace

std::string ReplayStatusText(const ReplayStatus& status) {
  auto clock = [](absl::Duration d) {
    const int64_t s = absl::ToInt64Seconds(std::max(d, absl::ZeroDuration()));
    return absl::StrFormat("%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  };
  std::string text = absl::StrCat("replay ", clock(status.position), " / ", clock(status.length),
                                  "  ");
  if (status.speed <= 0) {
    absl::StrAppend(&text, "max");
  } else {
    absl::StrAppend(&text, absl::StrFormat("x%g", status.speed));
  }
  if (status.paused) {
    absl::StrAppend(&text, "  PAUSED");
  } else if (status.at_end) {
    absl::StrAppend(&text, "  END");
  }
  return text;
}

RenderResult Render(const Snapshot& snapshot, const ViewState& state, int width, int height,
                    const std::string& title) {
  RenderResult result;
  result.frame.width = width;
  result.frame.height = height;
  result.page.multi_node = snapshot.sources.size() > 1;
  result.page.cursor = state.cursor;
  result.page.top = state.top;
  if (width < kMinWidth || height < kMinHeight) {
    if (width > 0 && height > 0) {
      result.frame.lines.push_back(Plain(absl::StrCat("too small ", width, "x", height, ", need ",
                                                      kMinWidth, "x", kMinHeight),
                                         Style::kWarning, width));
    }
    return result;
  }
  switch (state.screen) {
    case Screen::kHelp: RenderHelp(state, width, height, result.frame); break;
    case Screen::kDetail: RenderDetail(snapshot, state, width, height, title, result.frame); break;
    case Screen::kTable: RenderTable(snapshot, state, width, height, title, result); break;
  }
  return result;
}

namespace {

// The lines of --batch, each cut to the width and stripped of trailing
// blanks, written through `write` in pieces of about 64 KiB. After a
// failed write nothing more is written.
class BatchLines {
 public:
  BatchLines(int width, const BatchWrite& write) : width_(width), write_(write) {}

  void Add(const std::string& text) {
    if (!status_.ok()) return;
    const size_t start = buf_.size();
    buf_ += width_ > 0 ? Slice(text, 0, width_) : text;
    while (buf_.size() > start && buf_.back() == ' ') buf_.pop_back();
    buf_ += '\n';
    if (buf_.size() >= kPiece) Flush();
  }
  bool ok() const { return status_.ok(); }
  absl::Status Finish() {
    Flush();
    return status_;
  }

 private:
  static constexpr size_t kPiece = 64 * 1024;
  void Flush() {
    if (status_.ok() && !buf_.empty()) status_ = write_(buf_);
    buf_.clear();
  }
  const int width_;
  const BatchWrite& write_;
  std::string buf_;
  absl::Status status_;
};

// The lines above the rows: title with totals, settings, sources that are
// down, losses, notes, the empty hint, the column heads.
void AddBatchHeader(const Snapshot& snapshot, const ViewState& state, const std::string& title,
                    const std::vector<Col>& cols, const Totals& totals, size_t shown,
                    BatchLines& out) {
  out.Add(Sanitize(absl::StrCat(TitleText(snapshot, state, title, totals, shown), "  ",
                                absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", snapshot.now,
                                                 absl::UTCTimeZone()))));
  out.Add(Sanitize(InfoText(state)));
  for (const SourceState& s : snapshot.sources) {
    if (!s.connected) {
      out.Add(Sanitize(absl::StrCat(s.label, s.ended ? " ended" : " disconnected",
                                    s.error.empty() ? "" : absl::StrCat(": ", s.error))));
    }
  }
  if (snapshot.LostEvents() > 0 || snapshot.LossGaps() > 0) {
    out.Add(absl::StrCat("lost ", snapshot.LostEvents(), snapshot.LossGaps() > 0 ? "+" : "",
                         " events"));
  }
  for (const std::string& note : snapshot.notes) out.Add(Sanitize(note));
  if (snapshot.flows.empty() && !snapshot.empty_hint.empty()) {
    out.Add(Sanitize("no flows yet: " + snapshot.empty_hint));
  }
  out.Add(HeadLine(cols, SortColumn(state), state.reverse));
}

}  // namespace

absl::Status WriteBatch(const Snapshot& snapshot, const ViewState& state, int width,
                        const std::string& title, const BatchWrite& write) {
  const bool multi = snapshot.sources.size() > 1;
  const auto layout = [&](bool units) {
    return Layout(VisibleColumns(state, multi, units), state.view, width, width > 0);
  };
  BatchLines out(width, write);
  if (state.view == TableView::kFlows) {
    // Every row: each is built, written and dropped (never all at once).
    const FlowSelection sel = SelectFlowIndices(snapshot, state, 0, snapshot.flows.size());
    const std::vector<Col> cols = layout(AnyFlowHasUnit(snapshot, sel.indices));
    AddBatchHeader(snapshot, state, title, cols, sel.totals, sel.total, out);
    for (uint32_t i : sel.indices) {
      if (!out.ok()) break;
      const FlowRow built = snapshot.flows.Build(i);
      for (const std::string& l : FlowLines(built, cols, state, snapshot.NowFor(built.source))) {
        out.Add(l);
      }
    }
  } else {
    const ProcessSelection sel = SelectProcesses(snapshot, state, 0, snapshot.flows.size());
    const std::vector<Col> cols = layout(AnyUnit(sel.rows));
    AddBatchHeader(snapshot, state, title, cols, sel.totals, sel.total, out);
    for (const ProcessRow& row : sel.rows) out.Add(ProcessLine(row, cols, state));
  }
  return out.Finish();
}

std::string RenderBatch(const Snapshot& snapshot, const ViewState& state, int width,
                        const std::string& title) {
  std::string text;
  WriteBatch(snapshot, state, width, title, [&text](absl::string_view piece) {
    text.append(piece.data(), piece.size());
    return absl::OkStatus();
  }).IgnoreError();  // appending cannot fail
  return text;
}

}  // namespace flowtop::tui
