// Table selection: from a Snapshot and a ViewState to the rows the screen
// shows, the totals in the header, and the process aggregation (TAB view).
//
// Designed for a million flows: the filter pass (per chunk of rows) and
// the head of the ordered list (the rows before a boundary rank, per chunk)
// are carried from one snapshot of a model to the next (Snapshot::carried)
// and redone only for the rows that changed, so a refresh costs what the
// events changed; a new filter or order is one pass with a bounded heap.
// Windows deep in the middle select over all filtered rows.
#ifndef FLOWTOP_TUI_TABLE_H_
#define FLOWTOP_TUI_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tui/model.h"
#include "tui/view_state.h"

namespace flowtop::tui {

// Returns the columns the current view shows, left to right.
// `units`: with the UNIT column (systemd unit or container), shown when
// some row on the page has one.
std::vector<Column> VisibleColumns(const ViewState& state, bool multi_node,
                                   bool units = false);

// Returns the column's header text ("PROCESS", "RATE", ...).
const char* ColumnTitle(Column column);

// Returns whether a flow passes the protocol and family toggles, the
// active-only switch and the filter expression.
bool Passes(const FlowRow& row, const ViewState& state);

// Returns true when `a` sorts before `b` for `column` (natural order: sizes,
// rates, counts and ages descending, text ascending), flipped by `reverse`.
// Ties are broken by source and conntrack id, so the order is total.
bool FlowBefore(const FlowRow& a, const FlowRow& b, Column column, bool reverse);

// The local process of a flow: the source end's, else the destination's.
// Returns nullptr when neither end has one. `outbound` is set to true when
// the process owns the source end (so the original direction is its TX).
const v1::Process* FlowProcess(const v1::Flow& flow, bool* outbound = nullptr);

struct Totals {
  size_t flows = 0;
  uint64_t original_bytes = 0;
  uint64_t reply_bytes = 0;
  double original_rate = 0;  // bytes per second
  double reply_rate = 0;
};

struct FlowSelection {
  size_t total = 0;                   // flows passing the filters
  std::vector<uint32_t> indices;      // snapshot indices of the rows below
  std::vector<const FlowRow*> rows;   // sorted rows [first, first + count)
  Totals totals;
  std::shared_ptr<const void> keepalive;  // the rows live as long as this
};

// Returns the sorted rows [first, first + count) of the flows passing the
// filters, plus the totals over all of them. The rows are built (as
// FlowRows, kept with the snapshot) for a screen's worth of rows.
FlowSelection SelectFlows(const Snapshot& snapshot, const ViewState& state,
                          size_t first, size_t count);
// As SelectFlows, with `indices` only (`rows` empty): for passes over every
// row, which build each with snapshot.flows.Build(i) and drop it.
FlowSelection SelectFlowIndices(const Snapshot& snapshot, const ViewState& state,
                                size_t first, size_t count);

// Whether the process of any of these rows (snapshot indices) has a unit or
// container (the UNIT column is shown then).
bool AnyFlowHasUnit(const Snapshot& snapshot, const std::vector<uint32_t>& indices);

struct ProcessRow {
  std::string name;  // "" for flows without a known process
  uint32_t pid = 0;
  std::string unit;  // OwnerUnit of the process ("" when none)
  size_t flows = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_bytes = 0;
  double tx_rate = 0;
  double rx_rate = 0;
};

struct ProcessSelection {
  size_t total = 0;  // processes
  std::vector<ProcessRow> rows;
  Totals totals;
};

// Returns the processes (grouped by name and pid) of the flows passing the
// filters, sorted by state.process_sort, rows [first, first + count).
ProcessSelection SelectProcesses(const Snapshot& snapshot, const ViewState& state,
                                 size_t first, size_t count);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_TABLE_H_
