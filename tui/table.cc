#include "tui/table.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "tui/format.h"

namespace flowtop::tui {

std::vector<Column> VisibleColumns(const ViewState& state, bool multi_node) {
  std::vector<Column> cols;
  if (state.view == TableView::kProcesses) {
    return {Column::kProcess, Column::kPid,    Column::kFlows, Column::kTxBytes,
            Column::kRxBytes, Column::kTxRate, Column::kRxRate};
  }
  if (multi_node) cols.push_back(Column::kNode);
  for (Column c : {Column::kProcess, Column::kPid, Column::kProto, Column::kState,
                   Column::kAge, Column::kAddress, Column::kPort}) {
    cols.push_back(c);
  }
  if (state.geo) cols.push_back(Column::kGeo);
  cols.push_back(Column::kBytes);
  cols.push_back(Column::kRate);
  return cols;
}

const char* ColumnTitle(Column column) {
  switch (column) {
    case Column::kNode: return "NODE";
    case Column::kProcess: return "PROCESS";
    case Column::kPid: return "PID";
    case Column::kProto: return "PROTO";
    case Column::kState: return "STATE";
    case Column::kAge: return "AGE";
    case Column::kAddress: return "ADDRESS";
    case Column::kPort: return "PORT";
    case Column::kGeo: return "GEO";
    case Column::kBytes: return "BYTES";
    case Column::kRate: return "RATE";
    case Column::kFlows: return "FLOWS";
    case Column::kTxBytes: return "TX";
    case Column::kRxBytes: return "RX";
    case Column::kTxRate: return "TX/s";
    case Column::kRxRate: return "RX/s";
  }
  return "?";
}

namespace {

bool ProtocolShown(const v1::Flow& flow, const ProtocolSet& p) {
  switch (flow.protocol()) {
    case v1::TCP: return p.tcp;
    case v1::UDP:
    case v1::UDPLITE: return p.udp;
    case v1::DCCP: return p.dccp;
    case v1::ICMP:
    case v1::ICMPV6: return p.icmp;
    case v1::SCTP: return p.sctp;
    default: return p.All();
  }
}

bool FamilyShown(const v1::Flow& flow, const FamilySet& f) {
  switch (flow.family()) {
    case v1::IPV4: return f.ipv4;
    case v1::IPV6: return f.ipv6;
    default: return f.ipv4 && f.ipv6;
  }
}

bool Active(const v1::Flow& flow) {
  return flow.original_rate().bytes_per_second() > 0 ||
         flow.reply_rate().bytes_per_second() > 0 ||
         flow.original_rate().packets_per_second() > 0 ||
         flow.reply_rate().packets_per_second() > 0;
}

uint64_t TotalBytes(const v1::Flow& f) {
  return f.original_counters().bytes() + f.reply_counters().bytes();
}

double TotalRate(const v1::Flow& f) {
  return f.original_rate().bytes_per_second() + f.reply_rate().bytes_per_second();
}

int64_t StartNanos(const v1::Flow& f) {
  return f.has_start_unix_nanos() ? f.start_unix_nanos() : f.first_seen_unix_nanos();
}

// -1, 0, 1 like strcmp.
template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareProcess(const v1::Flow& a, const v1::Flow& b) {
  const v1::Process* pa = FlowProcess(a);
  const v1::Process* pb = FlowProcess(b);
  // Flows without a process sort after those with one.
  if ((pa == nullptr) != (pb == nullptr)) return pa == nullptr ? 1 : -1;
  if (pa == nullptr) return 0;
  if (int c = Cmp(pa->name(), pb->name())) return c;
  return Cmp(pa->pid(), pb->pid());
}

// Compares in the column's natural order (already descending for numbers).
int CompareNatural(const FlowRow& ra, const FlowRow& rb, Column column) {
  const v1::Flow& a = ra.flow;
  const v1::Flow& b = rb.flow;
  switch (column) {
    case Column::kNode: return Cmp(ra.node, rb.node);
    case Column::kProcess: return CompareProcess(a, b);
    case Column::kPid: {
      const v1::Process* pa = FlowProcess(a);
      const v1::Process* pb = FlowProcess(b);
      return Cmp(pa ? pa->pid() : UINT32_MAX, pb ? pb->pid() : UINT32_MAX);
    }
    case Column::kProto: return Cmp(ProtocolName(a), ProtocolName(b));
    case Column::kState: return Cmp(StateName(a), StateName(b));
    case Column::kAge: return Cmp(StartNanos(a), StartNanos(b));  // oldest first
    case Column::kAddress: {
      const std::string& x = a.original().dst_ip();
      const std::string& y = b.original().dst_ip();
      if (int c = Cmp(x.size(), y.size())) return c;
      return Cmp(x, y);
    }
    case Column::kPort:
      return Cmp(a.original().dst_port(), b.original().dst_port());
    case Column::kGeo: {
      const v1::Geo& x = a.enrichment().dst().geo();
      const v1::Geo& y = b.enrichment().dst().geo();
      if ((x.country_code().empty()) != (y.country_code().empty())) {
        return x.country_code().empty() ? 1 : -1;
      }
      if (int c = Cmp(x.country_code(), y.country_code())) return c;
      return Cmp(x.city(), y.city());
    }
    case Column::kBytes:
    case Column::kFlows:
    case Column::kTxBytes:
    case Column::kRxBytes:
      return Cmp(TotalBytes(b), TotalBytes(a));
    case Column::kRate:
    case Column::kTxRate:
    case Column::kRxRate: {
      if (int c = Cmp(TotalRate(b), TotalRate(a))) return c;
      return Cmp(TotalBytes(b), TotalBytes(a));
    }
  }
  return 0;
}

void AddTotals(const v1::Flow& f, Totals& t) {
  ++t.flows;
  t.original_bytes += f.original_counters().bytes();
  t.reply_bytes += f.reply_counters().bytes();
  t.original_rate += f.original_rate().bytes_per_second();
  t.reply_rate += f.reply_rate().bytes_per_second();
}

// Orders [first, first + count) of `items` by `before` touching as little
// as possible of the rest; shrinks `items` to that window.
template <typename T, typename Less>
void Window(std::vector<T>& items, size_t first, size_t count, Less before) {
  if (first >= items.size()) {
    items.clear();
    return;
  }
  const size_t end = std::min(items.size(), first + count);
  if (first > 0) {
    std::nth_element(items.begin(), items.begin() + first, items.end(), before);
  }
  std::partial_sort(items.begin() + first, items.begin() + end, items.end(), before);
  items.erase(items.begin() + end, items.end());
  items.erase(items.begin(), items.begin() + first);
}

}  // namespace

const v1::Process* FlowProcess(const v1::Flow& flow, bool* outbound) {
  const v1::Enrichment& e = flow.enrichment();
  if (e.src().has_process() && (e.src().process().pid() != 0 ||
                                !e.src().process().name().empty())) {
    if (outbound) *outbound = true;
    return &e.src().process();
  }
  if (e.dst().has_process() && (e.dst().process().pid() != 0 ||
                                !e.dst().process().name().empty())) {
    if (outbound) *outbound = false;
    return &e.dst().process();
  }
  if (outbound) *outbound = true;
  return nullptr;
}

bool Passes(const FlowRow& row, const ViewState& state) {
  const v1::Flow& f = row.flow;
  if (!ProtocolShown(f, state.protocols) || !FamilyShown(f, state.families)) return false;
  if (state.active_only && !Active(f)) return false;
  if (state.filter && !state.filter->Matches(f, row.node)) return false;
  return true;
}

bool FlowBefore(const FlowRow& a, const FlowRow& b, Column column, bool reverse) {
  int c = CompareNatural(a, b, column);
  if (c == 0) {
    c = Cmp(a.node, b.node);
    if (c == 0) c = Cmp(a.source, b.source);
    if (c == 0) c = Cmp(a.flow.conntrack_id(), b.flow.conntrack_id());
  }
  return reverse ? c > 0 : c < 0;
}

FlowSelection SelectFlows(const Snapshot& snapshot, const ViewState& state,
                          size_t first, size_t count) {
  FlowSelection out;
  std::vector<const RowPtr*> rows;
  rows.reserve(snapshot.flows.size());
  for (const RowPtr& row : snapshot.flows) {
    if (!Passes(*row, state)) continue;
    rows.push_back(&row);
    AddTotals(row->flow, out.totals);
  }
  out.total = rows.size();
  const Column column = state.flow_sort;
  const bool reverse = state.reverse;
  Window(rows, first, count, [column, reverse](const RowPtr* a, const RowPtr* b) {
    return FlowBefore(**a, **b, column, reverse);
  });
  out.rows.reserve(rows.size());
  for (const RowPtr* r : rows) out.rows.push_back(*r);
  return out;
}

ProcessSelection SelectProcesses(const Snapshot& snapshot, const ViewState& state,
                                 size_t first, size_t count) {
  ProcessSelection out;
  absl::flat_hash_map<std::pair<std::string, uint32_t>, ProcessRow> groups;
  for (const RowPtr& row : snapshot.flows) {
    if (!Passes(*row, state)) continue;
    const v1::Flow& f = row->flow;
    AddTotals(f, out.totals);
    bool outbound = true;
    const v1::Process* p = FlowProcess(f, &outbound);
    std::pair<std::string, uint32_t> key(p ? p->name() : "", p ? p->pid() : 0);
    ProcessRow& g = groups[key];
    if (g.flows == 0) {
      g.name = key.first;
      g.pid = key.second;
    }
    ++g.flows;
    const v1::Counters& tx = outbound ? f.original_counters() : f.reply_counters();
    const v1::Counters& rx = outbound ? f.reply_counters() : f.original_counters();
    const v1::Rate& txr = outbound ? f.original_rate() : f.reply_rate();
    const v1::Rate& rxr = outbound ? f.reply_rate() : f.original_rate();
    g.tx_bytes += tx.bytes();
    g.rx_bytes += rx.bytes();
    g.tx_rate += txr.bytes_per_second();
    g.rx_rate += rxr.bytes_per_second();
  }
  std::vector<ProcessRow> rows;
  rows.reserve(groups.size());
  for (auto& [key, g] : groups) rows.push_back(std::move(g));
  out.total = rows.size();
  const Column column = state.process_sort;
  const bool reverse = state.reverse;
  auto before = [column, reverse](const ProcessRow& a, const ProcessRow& b) {
    int c = 0;
    switch (column) {
      case Column::kPid: c = Cmp(a.pid, b.pid); break;
      case Column::kFlows: c = Cmp(b.flows, a.flows); break;
      case Column::kTxBytes: c = Cmp(b.tx_bytes, a.tx_bytes); break;
      case Column::kRxBytes: c = Cmp(b.rx_bytes, a.rx_bytes); break;
      case Column::kTxRate: c = Cmp(b.tx_rate, a.tx_rate); break;
      case Column::kRxRate: c = Cmp(b.rx_rate, a.rx_rate); break;
      case Column::kRate:
        c = Cmp(b.tx_rate + b.rx_rate, a.tx_rate + a.rx_rate);
        break;
      case Column::kProcess:
        if (a.name.empty() != b.name.empty()) c = a.name.empty() ? 1 : -1;
        else c = Cmp(a.name, b.name);
        break;
      default:  // kBytes and anything else: total bytes
        c = Cmp(b.tx_bytes + b.rx_bytes, a.tx_bytes + a.rx_bytes);
        break;
    }
    if (c == 0) c = Cmp(std::tie(a.name, a.pid), std::tie(b.name, b.pid));
    return reverse ? c > 0 : c < 0;
  };
  Window(rows, first, count, before);
  out.rows = std::move(rows);
  return out;
}

}  // namespace flowtop::tui
