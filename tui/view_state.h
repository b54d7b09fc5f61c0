// ViewState: everything the user chose about what the screen shows (view,
// sort, filter, units, toggles, scroll position), kept apart from the data.
//
// Key handlers change a ViewState and return flags; Render reads it. Both
// are pure, so tests drive them without a terminal.
#ifndef FLOWTOP_TUI_VIEW_STATE_H_
#define FLOWTOP_TUI_VIEW_STATE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "tui/filter_expr.h"
#include "tui/model.h"
#include "tui/replay_control.h"

namespace flowtop::tui {

// Table columns of both views. Which ones show depends on the view.
enum class Column {
  kNode,
  kProcess,
  kPid,
  kUnit,  // systemd unit or container of the process
  kProto,
  kState,
  kAge,
  kAddress,
  kPort,
  kGeo,
  kBytes,
  kRate,
  // Processes view.
  kFlows,
  kTxBytes,
  kRxBytes,
  kTxRate,
  kRxRate,
};

enum class TableView { kFlows, kProcesses };
enum class Screen { kTable, kHelp, kDetail };

// Protocol classes the T/U/D/I/S keys and -T/-U/-D/-I/-S flags toggle.
struct ProtocolSet {
  bool tcp = true;
  bool udp = false;   // UDP and UDP-lite
  bool dccp = false;
  bool icmp = false;  // ICMP and ICMPv6
  bool sctp = false;
  // GRE and unnamed protocols are shown when all five classes are on.
  bool All() const { return tcp && udp && dccp && icmp && sctp; }
};

struct FamilySet {
  bool ipv4 = true;
  bool ipv6 = true;
};

struct ViewState {
  TableView view = TableView::kFlows;
  Screen screen = Screen::kTable;
  Column flow_sort = Column::kRate;
  Column process_sort = Column::kBytes;
  bool reverse = false;    // flip the column's natural order

  bool bits = false;        // -b: sizes and rates in bits
  bool active_only = false; // a: only flows with traffic in the last interval
  bool show_src = false;    // -s: a second row with the source end
  bool names = true;        // n: host names instead of addresses (-n: off)
  bool geo = true;          // -G: no geo column
  bool paused = false;      // space: the screen keeps its snapshot
  bool show_own = false;    // o: also flowtop's own DNS traffic
  bool color = true;        // off with NO_COLOR or a terminal without colours
  ProtocolSet protocols;
  FamilySet families;

  std::string filter_text;                   // the active filter
  std::shared_ptr<const FilterExpr> filter;  // null: no filter
  bool editing_filter = false;               // the '/' prompt is open
  std::string filter_input;                  // text typed at the prompt
  bool editing_seek = false;                 // replay: the 't' prompt is open
  std::string seek_input;                    // text typed at it
  std::string message;                       // one-line note or error

  // Cursor (index into the sorted, filtered rows) and first row shown.
  size_t cursor = 0;
  size_t top = 0;
  int hscroll = 0;                  // columns scrolled to the left
  RowKey detail_key = 0;            // FlowRow::Key() of the detail view
  RowPtr detail_last;               // last copy seen, shown once it closes

  // Replay mode only: where the recording stands (the app fills it in
  // before each frame); also makes the help list the time-travel keys.
  std::optional<ReplayStatus> replay;
};

// The column the current view is sorted by.
inline Column& SortColumn(ViewState& state) {
  return state.view == TableView::kFlows ? state.flow_sort : state.process_sort;
}
inline Column SortColumn(const ViewState& state) {
  return state.view == TableView::kFlows ? state.flow_sort : state.process_sort;
}

// Makes `text` the active filter (the '/' prompt, a process drill-down,
// --filter). An expression that matches everything clears the filter.
// Returns the parse error (with its column), changing nothing.
inline absl::Status SetFilter(ViewState& state, const std::string& text) {
  absl::StatusOr<std::shared_ptr<const FilterExpr>> parsed = FilterExpr::Parse(text);
  if (!parsed.ok()) return parsed.status();
  const bool everything = (*parsed)->kind() == FilterExpr::Kind::kTrue;
  state.filter = everything ? nullptr : *parsed;
  state.filter_text = everything ? "" : text;
  return absl::OkStatus();
}

// What the frame showed, for the key handlers (paging, Enter).
struct PageInfo {
  size_t rows_total = 0;  // rows in the current table after filtering
  size_t page_rows = 1;   // table rows that fit on the screen
  size_t cursor = 0;      // clamped cursor
  size_t top = 0;         // clamped first row shown
  bool multi_node = false;
  RowPtr cursor_flow;     // the flow under the cursor (flows view)
  std::string cursor_process;  // process under the cursor (processes view)
  uint32_t cursor_pid = 0;
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_VIEW_STATE_H_
