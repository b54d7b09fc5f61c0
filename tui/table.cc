#include "tui/table.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/numeric/bits.h"
#include "tui/format.h"

namespace flowtop::tui {

std::vector<Column> VisibleColumns(const ViewState& state, bool multi_node, bool units) {
  std::vector<Column> cols;
  if (state.view == TableView::kProcesses) {
    cols = {Column::kProcess, Column::kPid};
    if (units) cols.push_back(Column::kUnit);
    for (Column c : {Column::kFlows, Column::kTxBytes, Column::kRxBytes, Column::kTxRate,
                     Column::kRxRate}) {
      cols.push_back(c);
    }
    return cols;
  }
  if (multi_node) cols.push_back(Column::kNode);
  cols.push_back(Column::kProcess);
  cols.push_back(Column::kPid);
  if (units) cols.push_back(Column::kUnit);
  for (Column c : {Column::kProto, Column::kState, Column::kAge, Column::kAddress,
                   Column::kPort}) {
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
    case Column::kUnit: return "UNIT";
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

bool ProtocolShown(uint32_t protocol, const ProtocolSet& p) {
  switch (protocol) {
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

bool FamilyShown(uint32_t family, const FamilySet& f) {
  switch (family) {
    case v1::IPV4: return f.ipv4;
    case v1::IPV6: return f.ipv6;
    default: return f.ipv4 && f.ipv6;
  }
}

uint64_t TotalBytes(const FlowHot& h) { return h.original_bytes + h.reply_bytes; }

// From the hot floats, so that the packed sort key and this agree.
double TotalRate(const FlowHot& h) { return static_cast<double>(h.original_rate + h.reply_rate); }

// -1, 0, 1 like strcmp.
template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// What the comparison reads of a row the view built (FlowRow) ...
struct BuiltFacts {
  const FlowRow& row;
  const FlowHot& hot() const { return row.hot; }
  const v1::Process* Process() const { return FlowProcess(row.flow()); }
  absl::string_view Node() const { return row.node; }
  absl::string_view DstIp() const { return row.flow().original().dst_ip(); }
  const v1::Geo& DstGeo() const { return row.flow().enrichment().dst().geo(); }
};

// ... and of a stored row, through a pass's RowText.
struct StoredFacts {
  const StoredRow& row;
  const FlowHot& h;
  RowText& text;
  const FlowHot& hot() const { return h; }
  const v1::Process* Process() const { return text.Process(row); }
  absl::string_view Node() const { return text.Node(row); }
  absl::string_view DstIp() const { return text.DstIp(row); }
  const v1::Geo& DstGeo() const { return text.DstGeo(row); }
};

template <typename Facts>
int CompareProcess(const Facts& a, const Facts& b) {
  const v1::Process* pa = a.Process();
  const v1::Process* pb = b.Process();
  // Flows without a process sort after those with one.
  if ((pa == nullptr) != (pb == nullptr)) return pa == nullptr ? 1 : -1;
  if (pa == nullptr) return 0;
  if (int c = Cmp(pa->name(), pb->name())) return c;
  return Cmp(pa->pid(), pb->pid());
}

template <typename Facts>
int CompareUnit(const Facts& a, const Facts& b) {
  const v1::Process* pa = a.Process();
  const std::string ua = pa ? OwnerUnit(*pa) : "";
  const v1::Process* pb = b.Process();
  const std::string ub = pb ? OwnerUnit(*pb) : "";
  if (ua.empty() != ub.empty()) return ua.empty() ? 1 : -1;  // none last
  return Cmp(ua, ub);
}

template <typename Facts>
int CompareGeo(const Facts& a, const Facts& b) {
  const v1::Geo& x = a.DstGeo();
  const v1::Geo& y = b.DstGeo();
  if ((x.country_code().empty()) != (y.country_code().empty())) {
    return x.country_code().empty() ? 1 : -1;
  }
  if (int c = Cmp(x.country_code(), y.country_code())) return c;
  return Cmp(x.city(), y.city());
}

// Compares in the column's natural order (already descending for numbers).
template <typename Facts>
int CompareNatural(const Facts& a, const Facts& b, Column column) {
  const FlowHot& ha = a.hot();
  const FlowHot& hb = b.hot();
  switch (column) {
    case Column::kNode: return Cmp(a.Node(), b.Node());
    case Column::kProcess: return CompareProcess(a, b);
    case Column::kPid:
      return Cmp(ha.has_process ? ha.pid : UINT32_MAX, hb.has_process ? hb.pid : UINT32_MAX);
    case Column::kUnit: return CompareUnit(a, b);
    case Column::kProto: return Cmp(ProtocolNameOf(ha.protocol), ProtocolNameOf(hb.protocol));
    case Column::kState:
      return Cmp(StateNameOf(ha.state_case, ha.state), StateNameOf(hb.state_case, hb.state));
    case Column::kAge: return Cmp(ha.start_nanos, hb.start_nanos);  // oldest first
    case Column::kAddress: {
      const std::string x(a.DstIp());  // DstIp of a stored row is valid until the next call
      const absl::string_view y = b.DstIp();
      if (int c = Cmp(x.size(), y.size())) return c;
      return Cmp(absl::string_view(x), y);
    }
    case Column::kPort: return Cmp(ha.dst_port, hb.dst_port);
    case Column::kGeo: return CompareGeo(a, b);
    case Column::kBytes:
    case Column::kFlows:
    case Column::kTxBytes:
    case Column::kRxBytes:
      return Cmp(TotalBytes(hb), TotalBytes(ha));
    case Column::kRate:
    case Column::kTxRate:
    case Column::kRxRate: {
      if (int c = Cmp(TotalRate(hb), TotalRate(ha))) return c;
      return Cmp(TotalBytes(hb), TotalBytes(ha));
    }
  }
  return 0;
}

RowKey KeyOf(const StoredRow& row) {
  return absl::MakeUint128(row.source, RecordKey(row.record));
}

void AddTotals(const FlowHot& h, Totals& t) {
  ++t.flows;
  t.original_bytes += h.original_bytes;
  t.reply_bytes += h.reply_bytes;
  t.original_rate += h.original_rate;
  t.reply_rate += h.reply_rate;
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
  if (end == items.size()) {
    // The whole rest (--json, --batch): introsort, not partial_sort's
    // heapsort, which is 3-4x slower over a million rows.
    std::sort(items.begin() + first, items.end(), before);
  } else {
    std::partial_sort(items.begin() + first, items.begin() + end, items.end(), before);
  }
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

namespace {

// Whether a row with hot fields `h` passes the toggles and the filter;
// `flow` and `node` are asked only when the filter needs more than `h`.
bool PassesToggles(const FlowHot& h, const ViewState& state) {
  if (!ProtocolShown(h.protocol, state.protocols) || !FamilyShown(h.family, state.families)) {
    return false;
  }
  if (state.active_only && !h.active) return false;
  return !h.own_traffic || state.show_own;
}

bool PassesHot(const FlowHot& h, const ViewState& state,
               absl::FunctionRef<const v1::Flow&()> flow,
               absl::FunctionRef<absl::string_view()> node) {
  if (!PassesToggles(h, state)) return false;
  return !state.filter || state.filter->Matches(h, flow, node);
}

// Verdicts of the process, unit and container conditions for one pass
// over one snapshot's rows, per condition and pair of pooled processes: a
// filter on process names reads each process once per pass, not per row.
class ProcessVerdicts {
 public:
  bool Holds(const Match& m, const FlowHot& h, const StoredRow& row, RowText& text) {
    using core::FlowRecord;
    const FlowRecord& r = row.record;
    constexpr uint32_t kBits = FlowRecord::kHasSrc | FlowRecord::kHasDst |
                               FlowRecord::kSrcProcess | FlowRecord::kDstProcess;
    const Key key{&m, r.has(FlowRecord::kSrcProcess) ? r.src.process : 0,
                  r.has(FlowRecord::kDstProcess) ? r.dst.process : 0, r.flags & kBits};
    auto [it, inserted] = memo_.try_emplace(key, false);
    if (inserted) {
      it->second = core::FieldHolds(
          m, h, [&]() -> const v1::Flow& { return text.FilterFlow(row); },
          [&]() { return text.Node(row); });
    }
    return it->second;
  }

 private:
  using Key = std::tuple<const Match*, core::StringPool::Id, core::StringPool::Id, uint32_t>;
  absl::flat_hash_map<Key, bool> memo_;
};

// `verdicts`, when given, answers the filter's conditions when they read
// nothing but processes (FilterExpr::ReadsOnlyProcesses).
bool PassesStored(const FlowHot& h, const StoredRow& row, RowText& text,
                  const ViewState& state, ProcessVerdicts* verdicts = nullptr) {
  if (verdicts == nullptr || state.filter == nullptr || !state.filter->ReadsOnlyProcesses()) {
    return PassesHot(
        h, state, [&]() -> const v1::Flow& { return text.FilterFlow(row); },
        [&]() { return text.Node(row); });
  }
  if (!PassesToggles(h, state)) return false;
  return state.filter->Matches(
      h, [&](const Match& m) { return verdicts->Holds(m, h, row, text); });
}

}  // namespace

bool Passes(const FlowRow& row, const ViewState& state) {
  return PassesHot(
      row.hot, state, [&]() -> const v1::Flow& { return row.flow(); },
      [&]() { return absl::string_view(row.node); });
}

bool FlowBefore(const FlowRow& a, const FlowRow& b, Column column, bool reverse) {
  int c = CompareNatural(BuiltFacts{a}, BuiltFacts{b}, column);
  if (c == 0) c = Cmp(a.Key(), b.Key());
  return reverse ? c > 0 : c < 0;
}

namespace {

// A row with its sort key precomputed, so ordering 100,000 rows compares
// packed integers instead of chasing pointers into protos. When `exact` is
// false for either side and the keys tie, the full comparison decides.
struct SortItem {
  uint64_t k[3];
  uint64_t tie;  // FlowHot::Key(), then the row's RowKey when equal
  bool exact;
  uint32_t index;  // in the snapshot
  const StoredRow* row;
};

// Big-endian first 8 bytes of `s`, so integer order is byte order.
uint64_t Prefix(absl::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    v = (v << 8) | (i < s.size() ? static_cast<unsigned char>(s[i]) : 0);
  }
  return v;
}

uint64_t Desc(uint64_t v) { return ~v; }

// Order-preserving bits of a non-negative double (rates).
uint64_t DoubleKey(double d) {
  if (!(d > 0)) return 0;
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  return bits;
}

// The first 16 bytes of `s` in two slots: zero-padded byte order is the
// strings' order when neither holds a NUL byte, so the key is exact for
// texts of up to 16 bytes (state and protocol names, most process names).
void TextKey(absl::string_view s, SortItem& item, size_t slot) {
  item.k[slot] = Prefix(s);
  item.k[slot + 1] = s.size() > 8 ? Prefix(s.substr(8)) : 0;
  if (s.size() > 16 || s.find('\0') != absl::string_view::npos) item.exact = false;
}

// The sort keys of state and protocol names (a protobuf enum name lookup
// each), once per thread and value.
const SortItem& CachedNameKey(uint64_t value, std::string (*name)(uint64_t)) {
  thread_local absl::flat_hash_map<uint64_t, SortItem> keys;
  auto it = keys.find(value);
  if (it == keys.end()) {
    SortItem item{{0, 0, 0}, 0, true, 0, nullptr};
    TextKey(name(value), item, 0);
    it = keys.emplace(value, item).first;
  }
  return it->second;
}

void NameKey(uint64_t value, std::string (*name)(uint64_t), SortItem& item) {
  const SortItem& cached = CachedNameKey(value, name);
  item.k[0] = cached.k[0];
  item.k[1] = cached.k[1];
  item.exact = cached.exact;
}

// Names a (state case, state) pair packed into 64 bits.
std::string PackedStateName(uint64_t v) {
  return StateNameOf(static_cast<int>(v >> 32), static_cast<int32_t>(v & 0xFFFFFFFFu));
}

std::string ProtocolName(uint64_t v) { return ProtocolNameOf(static_cast<uint32_t>(v)); }

// Numeric columns read only `h`; text columns fetch the row's text.
SortItem MakeItem(const FlowHot& h, const StoredRow* ptr, Column column, RowText& text) {
  SortItem item{{0, 0, 0}, h.Key(), true, 0, ptr};
  switch (column) {
    case Column::kNode: TextKey(text.Node(*ptr), item, 0); break;
    case Column::kProcess: {
      const v1::Process* p = h.has_process ? text.Process(*ptr) : nullptr;
      if (p == nullptr) {
        item.k[0] = UINT64_MAX;
        item.k[1] = UINT64_MAX;
        item.k[2] = UINT64_MAX;
      } else {
        TextKey(p->name(), item, 0);
        item.k[2] = p->pid();
      }
      break;
    }
    case Column::kPid:
      item.k[0] = h.has_process ? h.pid : UINT32_MAX;
      break;
    case Column::kUnit: {
      const v1::Process* p = h.has_process ? text.Process(*ptr) : nullptr;
      const std::string unit = p ? OwnerUnit(*p) : "";
      if (unit.empty()) {
        item.k[0] = item.k[1] = item.k[2] = UINT64_MAX;
      } else {
        TextKey(unit, item, 0);
      }
      break;
    }
    case Column::kProto: NameKey(h.protocol, ProtocolName, item); break;
    case Column::kState:
      NameKey((uint64_t{h.state_case} << 32) | static_cast<uint32_t>(int32_t{h.state}),
              PackedStateName, item);
      break;
    case Column::kAge:
      item.k[0] = static_cast<uint64_t>(h.start_nanos) ^ (uint64_t{1} << 63);
      break;
    case Column::kAddress: {
      const absl::string_view ip = text.DstIp(*ptr);
      item.k[0] = ip.size();
      item.k[1] = Prefix(ip);
      item.k[2] = ip.size() > 8 ? Prefix(ip.substr(8)) : 0;
      if (ip.size() > 16) item.exact = false;
      break;
    }
    case Column::kPort: item.k[0] = h.dst_port; break;
    case Column::kGeo: {
      const v1::Geo& g = text.DstGeo(*ptr);
      item.k[0] = g.country_code().empty() ? UINT64_MAX : Prefix(g.country_code());
      if (g.country_code().size() > 8) item.exact = false;
      TextKey(g.city(), item, 1);
      break;
    }
    case Column::kBytes:
    case Column::kFlows:
    case Column::kTxBytes:
    case Column::kRxBytes:
      item.k[0] = Desc(h.original_bytes + h.reply_bytes);
      break;
    case Column::kRate:
    case Column::kTxRate:
    case Column::kRxRate:
      item.k[0] = Desc(DoubleKey(static_cast<double>(h.original_rate + h.reply_rate)));
      item.k[1] = Desc(h.original_bytes + h.reply_bytes);
      break;
  }
  return item;
}

}  // namespace

namespace {

// What decides which rows pass: the ViewState without sort and paging. The
// filter is compared by identity (a new text is parsed into a new object).
struct FilterKey {
  ProtocolSet protocols;
  FamilySet families;
  bool active_only = false;
  bool show_own = false;
  std::shared_ptr<const FilterExpr> filter;

  static FilterKey Of(const ViewState& s) {
    return {s.protocols, s.families, s.active_only, s.show_own, s.filter};
  }
  bool operator==(const FilterKey& o) const {
    const ProtocolSet& p = protocols;
    const ProtocolSet& q = o.protocols;
    return std::tie(p.tcp, p.udp, p.dccp, p.icmp, p.sctp, families.ipv4, families.ipv6,
                    active_only, show_own, filter) ==
           std::tie(q.tcp, q.udp, q.dccp, q.icmp, q.sctp, o.families.ipv4, o.families.ipv6,
                    o.active_only, o.show_own, o.filter);
  }
};

struct FilteredRows;  // below

// Ranks [first, first + rows.size()) of the filtered rows in one order.
struct OrderedWindow {
  FilterKey key;
  Column column;
  bool reverse;
  size_t first;
  std::vector<uint32_t> rows;  // snapshot indices
};

struct ProcessWindow {
  FilterKey key;
  Column column;
  bool reverse;
  size_t first;
  size_t count;
  ProcessSelection selection;
};

// What SelectFlows and SelectProcesses keep with a snapshot (its
// DerivedCache): redrawing the same rows with the same filters reuses the
// filter pass, and the same window (a cursor move, a refresh of an idle
// table) reuses the order.
struct SelectionMemo {
  static constexpr size_t kMaxWindows = 4;
  std::shared_ptr<const FilteredRows> filtered;
  std::vector<OrderedWindow> windows;  // most recent last
  std::optional<ProcessWindow> processes;
};

// Calls fn(T&) with the T that `cache` holds, under its lock (made on first
// use; a scratch T when there is no cache).
template <typename T, typename Fn>
auto WithCache(const std::shared_ptr<DerivedCache>& cache, Fn fn) {
  if (cache == nullptr) {
    T scratch;
    return fn(scratch);
  }
  absl::MutexLock lock(&cache->mu);
  if (cache->value == nullptr) cache->value = std::make_shared<T>();
  return fn(*static_cast<T*>(cache->value.get()));
}

// Calls fn(SelectionMemo&) with the snapshot's memo (a scratch one for a
// snapshot without a DerivedCache).
template <typename Fn>
auto WithMemo(const Snapshot& snapshot, Fn fn) {
  return WithCache<SelectionMemo>(snapshot.derived, std::move(fn));
}

// The rows of one chunk passing the filters: a bit per row, their count
// and totals, and which chunk (with how many rows) they describe.
struct ChunkPass {
  const RecordChunk* chunk = nullptr;
  uint32_t len = 0;
  uint32_t count = 0;
  std::array<uint64_t, kRowChunk / 64> bits{};
  Totals totals;
  // Against the same chunk of the pass this one was carried from: whether
  // it was evaluated afresh, else which rows differ (bytes, or present in
  // one version only). Empty when the chunk is the same.
  bool fresh = true;
  std::vector<uint16_t> changed;

  bool Has(size_t j) const { return (bits[j / 64] >> (j % 64)) & 1; }
  void Set(size_t j) { bits[j / 64] |= uint64_t{1} << (j % 64); }
  // Calls fn(j) for each passing row j of the chunk, in order.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (size_t w = 0; w < bits.size(); ++w) {
      for (uint64_t b = bits[w]; b != 0; b &= b - 1) fn(w * 64 + absl::countr_zero(b));
    }
  }
};

// The rows of a snapshot passing the filters, chunk by chunk, and their
// totals. Immutable once built; `rows` keeps every chunk it describes
// alive, so a chunk of a later snapshot at the same address is the same
// chunk with the same rows (the model clones a chunk before writing it
// while anyone holds it: tui/row_chunks.h).
struct FilteredRows {
  FilterKey key;
  uint64_t serial = 0;  // unique per pass
  uint64_t from = 0;    // the serial of the pass it was carried from (0: none)
  StoredRows rows;
  std::vector<ChunkPass> chunks;
  size_t count = 0;
  Totals totals;

  // Calls fn(snapshot index) for each passing row, in snapshot order.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (size_t c = 0; c < chunks.size(); ++c) {
      const uint32_t base = static_cast<uint32_t>(c * kRowChunk);
      chunks[c].ForEach([&](size_t j) { fn(base + static_cast<uint32_t>(j)); });
    }
  }
};

// Whether `chunk` of `rows` is the chunk `pass` describes.
bool SameChunk(const ChunkPass& pass, const StoredRows& rows, size_t c) {
  const size_t len = std::min(kRowChunk, rows.size() - c * kRowChunk);
  return pass.chunk == rows.chunks()[c].get() && pass.len == len;
}

void AddTotals(const Totals& from, Totals& to) {
  to.flows += from.flows;
  to.original_bytes += from.original_bytes;
  to.reply_bytes += from.reply_bytes;
  to.original_rate += from.original_rate;
  to.reply_rate += from.reply_rate;
}

void SubtractTotals(const FlowHot& h, Totals& t) {
  --t.flows;
  t.original_bytes -= h.original_bytes;
  t.reply_bytes -= h.reply_bytes;
  t.original_rate -= h.original_rate;
  t.reply_rate -= h.reply_rate;
}

// The filter pass over chunk `c`, every row evaluated.
ChunkPass FilterChunk(const StoredRows& rows, size_t c, RowText& text, const ViewState& state,
                      ProcessVerdicts& verdicts) {
  ChunkPass out;
  out.chunk = rows.chunks()[c].get();
  out.len = static_cast<uint32_t>(std::min(kRowChunk, rows.size() - c * kRowChunk));
  const StoredRow* r = out.chunk->items.data();
  for (size_t j = 0; j < out.len; ++j) {
    const FlowHot h = HotOf(r[j]);
    if (!PassesStored(h, r[j], text, state, &verdicts)) continue;
    out.Set(j);
    ++out.count;
    AddTotals(h, out.totals);
  }
  return out;
}

// The filter pass over chunk `c` from `before`, the pass over an earlier
// version of it: only rows whose bytes differ are evaluated (a name filter
// reads the few rows an event changed), and their old verdict and totals
// are taken back.
ChunkPass RefilterChunk(const StoredRows& rows, size_t c, const ChunkPass& before,
                        RowText& text, const ViewState& state, ProcessVerdicts& verdicts) {
  ChunkPass out = before;
  out.fresh = false;
  out.changed.clear();
  out.chunk = rows.chunks()[c].get();
  out.len = static_cast<uint32_t>(std::min(kRowChunk, rows.size() - c * kRowChunk));
  const StoredRow* r = out.chunk->items.data();
  const StoredRow* was = before.chunk->items.data();
  for (size_t j = 0; j < std::max(out.len, before.len); ++j) {
    const bool old_row = j < before.len, new_row = j < out.len;
    if (old_row && new_row && std::memcmp(&r[j], &was[j], sizeof(StoredRow)) == 0) continue;
    out.changed.push_back(static_cast<uint16_t>(j));
    if (old_row && before.Has(j)) {
      out.bits[j / 64] &= ~(uint64_t{1} << (j % 64));
      --out.count;
      SubtractTotals(HotOf(was[j]), out.totals);
    }
    if (!new_row) continue;
    const FlowHot h = HotOf(r[j]);
    if (!PassesStored(h, r[j], text, state, &verdicts)) continue;
    out.Set(j);
    ++out.count;
    AddTotals(h, out.totals);
  }
  return out;
}

// The filter pass of `snapshot`, redoing only the chunks that differ from
// `before` (a pass under the same filters over an earlier snapshot of the
// same model, or null).
std::shared_ptr<const FilteredRows> Filter(const Snapshot& snapshot, const ViewState& state,
                                           const FilteredRows* before) {
  auto out = std::make_shared<FilteredRows>();
  out->key = FilterKey::Of(state);
  out->rows = snapshot.flows.stored();
  const StoredRows& rows = out->rows;
  if (before != nullptr && !(before->key == out->key)) before = nullptr;
  static std::atomic<uint64_t> serials{0};
  out->serial = ++serials;
  out->from = before != nullptr ? before->serial : 0;
  RowText text(snapshot.flows.pool(), snapshot.flows.labels());
  ProcessVerdicts verdicts;
  const size_t chunks = (rows.size() + kRowChunk - 1) / kRowChunk;
  out->chunks.reserve(chunks);
  for (size_t c = 0; c < chunks; ++c) {
    const bool known = before != nullptr && c < before->chunks.size();
    if (known && SameChunk(before->chunks[c], rows, c)) {
      out->chunks.push_back(before->chunks[c]);
      out->chunks.back().fresh = false;
      out->chunks.back().changed.clear();
    } else if (known) {
      out->chunks.push_back(RefilterChunk(rows, c, before->chunks[c], text, state, verdicts));
    } else {
      out->chunks.push_back(FilterChunk(rows, c, text, state, verdicts));
    }
    out->count += out->chunks.back().count;
    AddTotals(out->chunks.back().totals, out->totals);
  }
  return out;
}

// The order of SortItems for `column`: packed keys, then the full
// comparison for inexact text keys, then the row's identity.
struct ItemLess {
  Column column;
  bool reverse;
  RowText* text;
  bool operator()(const SortItem& a, const SortItem& b) const {
    int c = 0;
    for (int i = 0; i < 3 && c == 0; ++i) c = Cmp(a.k[i], b.k[i]);
    if (c == 0 && !(a.exact && b.exact)) {
      const FlowHot ha = HotOf(*a.row), hb = HotOf(*b.row);
      c = CompareNatural(StoredFacts{*a.row, ha, *text}, StoredFacts{*b.row, hb, *text}, column);
      if (c == 0) c = Cmp(KeyOf(*a.row), KeyOf(*b.row));
      return reverse ? c > 0 : c < 0;
    }
    if (c == 0) c = Cmp(a.tie, b.tie);
    if (c == 0) c = Cmp(KeyOf(*a.row), KeyOf(*b.row));
    return reverse ? c > 0 : c < 0;
  }
};

// The head of the filtered rows in one order: every passing row that ranks
// at or before `boundary` (all rows when there is none), kept per chunk,
// so that a new snapshot re-reads only the rows that changed: a changed
// row leaves its chunk's list, and joins it again if it still ranks at or
// before the boundary. The union is exactly the first `count` ranks. The
// boundary stays fixed; when too few rows remain before it, the head is
// built again. Immutable once built; `filtered` keeps the listed rows'
// chunks alive, and `boundary_chunk` the boundary's row.
struct ChunkTops {
  Column column;
  bool reverse;
  size_t depth;  // ranks the head is built with
  std::shared_ptr<const FilteredRows> filtered;
  std::optional<SortItem> boundary;
  std::shared_ptr<const RecordChunk> boundary_chunk;
  size_t count = 0;  // rows listed
  std::vector<std::shared_ptr<const std::vector<SortItem>>> tops;  // per chunk, unordered
};

// Heads deeper than this are not kept: windows further from either end
// select over all filtered rows.
constexpr size_t kChunkTopDepth = 4096;

// The first `depth` ranks of the filtered rows (one pass with a bounded
// heap), filed by chunk, with the last of them as the boundary.
std::shared_ptr<ChunkTops> BuildTops(std::shared_ptr<const FilteredRows> filtered,
                                     size_t depth, const ItemLess& less) {
  auto out = std::make_shared<ChunkTops>();
  out->column = less.column;
  out->reverse = less.reverse;
  out->depth = depth;
  out->filtered = std::move(filtered);
  const FilteredRows& f = *out->filtered;
  std::vector<SortItem> heap;
  heap.reserve(std::min(depth, f.count));
  f.ForEach([&](uint32_t i) {
    const StoredRow& row = f.rows[i];
    SortItem item = MakeItem(HotOf(row), &row, less.column, *less.text);
    item.index = i;
    if (heap.size() < depth) {
      heap.push_back(item);
      std::push_heap(heap.begin(), heap.end(), less);
    } else if (less(item, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), less);
      heap.back() = item;
      std::push_heap(heap.begin(), heap.end(), less);
    }
  });
  if (f.count > depth) {
    out->boundary = heap.front();
    out->boundary_chunk = f.rows.chunks()[heap.front().index / kRowChunk];
  }
  std::vector<std::vector<SortItem>> per_chunk(f.chunks.size());
  for (const SortItem& item : heap) per_chunk[item.index / kRowChunk].push_back(item);
  out->count = heap.size();
  out->tops.reserve(per_chunk.size());
  for (auto& items : per_chunk) {
    out->tops.push_back(std::make_shared<const std::vector<SortItem>>(std::move(items)));
  }
  return out;
}

// Whether `item` belongs in the head of `tops`.
bool InHead(const SortItem& item, const ChunkTops& tops, const ItemLess& less) {
  return !tops.boundary.has_value() || !less(*tops.boundary, item);
}

// Chunk `c`'s list of the head from its pass: the rows `pass.changed`
// names are read again, the others keep their items (now in the new
// chunk); a chunk without a known predecessor list (`before` null) is read
// whole.
std::shared_ptr<const std::vector<SortItem>> ChunkHead(const ChunkPass& pass, size_t c,
                                                       const std::vector<SortItem>* before,
                                                       const ChunkTops& tops,
                                                       const ItemLess& less) {
  auto out = std::make_shared<std::vector<SortItem>>();
  const StoredRow* r = pass.chunk->items.data();
  const uint32_t base = static_cast<uint32_t>(c * kRowChunk);
  auto consider = [&](size_t j) {
    SortItem item = MakeItem(HotOf(r[j]), &r[j], less.column, *less.text);
    item.index = base + static_cast<uint32_t>(j);
    if (InHead(item, tops, less)) out->push_back(item);
  };
  if (before == nullptr) {
    pass.ForEach(consider);
    return out;
  }
  std::array<uint64_t, kRowChunk / 64> changed{};
  for (uint16_t j : pass.changed) changed[j / 64] |= uint64_t{1} << (j % 64);
  for (const SortItem& item : *before) {
    const uint32_t j = item.index - base;
    if ((changed[j / 64] >> (j % 64)) & 1) continue;
    out->push_back(item);
    out->back().row = &r[j];  // the same bytes in the new chunk
  }
  for (uint16_t j : pass.changed) {
    if (j < pass.len && pass.Has(j)) consider(j);
  }
  return out;
}

// The head of `filtered` carried over from `before` (the same order and
// filters, over an earlier snapshot): unchanged chunks keep their lists,
// changed ones are re-read (only their changed rows when `filtered` was
// carried from `before`'s pass). Null when fewer than `needed` rows remain
// in the head.
std::shared_ptr<ChunkTops> CarryTops(std::shared_ptr<const FilteredRows> filtered,
                                     const ChunkTops& before, size_t needed,
                                     const ItemLess& less) {
  auto out = std::make_shared<ChunkTops>();
  out->column = before.column;
  out->reverse = before.reverse;
  out->depth = before.depth;
  out->boundary = before.boundary;
  out->boundary_chunk = before.boundary_chunk;
  out->filtered = std::move(filtered);
  const FilteredRows& now = *out->filtered;
  const bool successor = now.from == before.filtered->serial;
  out->tops.reserve(now.chunks.size());
  for (size_t c = 0; c < now.chunks.size(); ++c) {
    const ChunkPass& pass = now.chunks[c];
    const bool known = c < before.tops.size();
    if (known && before.filtered->chunks[c].chunk == pass.chunk &&
        before.filtered->chunks[c].len == pass.len) {
      out->tops.push_back(before.tops[c]);
    } else {
      const bool by_rows = known && successor && !pass.fresh;
      out->tops.push_back(ChunkHead(pass, c, by_rows ? before.tops[c].get() : nullptr, *out, less));
    }
    out->count += out->tops.back()->size();
  }
  // Too few rows known before the boundary; or, without one, a head that
  // grew with the table (built when it was small): build it again.
  if (out->boundary.has_value() ? out->count < needed : out->count > 2 * out->depth) {
    return nullptr;
  }
  return out;
}

// Ranks [0, end) of the head (end <= its count, or all it has).
std::vector<SortItem> HeadRanks(const ChunkTops& tops, size_t end, const ItemLess& less) {
  std::vector<SortItem> items;
  items.reserve(tops.count);
  for (const auto& top : tops.tops) items.insert(items.end(), top->begin(), top->end());
  end = std::min(end, items.size());
  std::partial_sort(items.begin(), items.begin() + end, items.end(), less);
  items.resize(end);
  return items;
}

// What is carried from one snapshot of a model to the next
// (Snapshot::carried): the last filter pass and the last per-chunk orders.
// An order not used in the last two filter passes is dropped, so that
// it does not keep an old snapshot's chunks alive.
struct CarriedView {
  static constexpr size_t kMaxOrders = 2;  // e.g. the top and the end of one list
  struct Order {
    std::shared_ptr<const ChunkTops> tops;
    uint64_t pass;  // `passes` when last used
  };
  std::shared_ptr<const FilteredRows> filtered;
  uint64_t passes = 0;        // filter passes so far
  std::vector<Order> orders;  // most recent last

  // Drops the orders not used in this pass or the one before, as soon as
  // they are stale (with them go the chunks only they still held).
  void DropStaleOrders() {
    orders.erase(std::remove_if(orders.begin(), orders.end(),
                                [this](const Order& o) { return o.pass + 1 < passes; }),
                 orders.end());
  }
};

// Runs fn(CarriedView&) under the snapshot's carried cache (on a scratch
// one when the snapshot has none).
template <typename Fn>
auto WithCarried(const Snapshot& snapshot, Fn fn) {
  return WithCache<CarriedView>(snapshot.carried, std::move(fn));
}

// Ranks [0, end) in `less`'s order from the head of the filtered rows,
// carried over from the model's previous snapshot where it can be.
std::vector<SortItem> TopsMerged(const Snapshot& snapshot,
                                 const std::shared_ptr<const FilteredRows>& filtered,
                                 size_t end, const ItemLess& less) {
  std::shared_ptr<const ChunkTops> tops = WithCarried(snapshot, [&](CarriedView& carried) {
    std::shared_ptr<const ChunkTops> before;
    auto& orders = carried.orders;
    carried.DropStaleOrders();
    for (auto it = orders.begin(); it != orders.end(); ++it) {
      const ChunkTops& o = *it->tops;
      if (o.column == less.column && o.reverse == less.reverse && o.depth >= end &&
          o.filtered->key == filtered->key) {
        before = it->tops;
        orders.erase(it);
        break;
      }
    }
    std::shared_ptr<const ChunkTops> now;
    if (before != nullptr) now = CarryTops(filtered, *before, end, less);
    if (now == nullptr) {
      // Room for rows to leave the head before it is built again.
      const size_t depth = std::min(kChunkTopDepth, std::max<size_t>(2 * end, 256));
      now = BuildTops(filtered, depth, less);
    }
    if (orders.size() >= CarriedView::kMaxOrders) orders.erase(orders.begin());
    orders.push_back({now, carried.passes});
    return now;
  });
  return HeadRanks(*tops, end, less);
}

// The filter pass for `state`: the memo's, else carried over from the
// model's previous snapshot and redone for the chunks that changed.
std::shared_ptr<const FilteredRows> FilteredFor(const Snapshot& snapshot,
                                                const ViewState& state, SelectionMemo& memo) {
  if (memo.filtered == nullptr || !(memo.filtered->key == FilterKey::Of(state))) {
    memo.filtered = WithCarried(snapshot, [&](CarriedView& carried) {
      carried.filtered = Filter(snapshot, state, carried.filtered.get());
      ++carried.passes;
      carried.DropStaleOrders();
      return carried.filtered;
    });
    memo.windows.clear();
  }
  return memo.filtered;
}

// The first `k` filtered rows by `less`, in order: one pass keeping a
// bounded heap, O(rows + rows_that_enter * log k), no copy of the table.
std::vector<SortItem> TopK(const Snapshot& snapshot, const FilteredRows& filtered,
                           Column column, size_t k, ItemLess less) {
  std::vector<SortItem> heap;
  heap.reserve(k);
  const StoredRows& rows = snapshot.flows.stored();
  filtered.ForEach([&](uint32_t i) {
    const StoredRow& row = rows[i];
    SortItem item = MakeItem(HotOf(row), &row, column, *less.text);
    item.index = i;
    if (heap.size() < k) {
      heap.push_back(item);
      std::push_heap(heap.begin(), heap.end(), less);
    } else if (less(item, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), less);
      heap.back() = item;
      std::push_heap(heap.begin(), heap.end(), less);
    }
  });
  std::sort_heap(heap.begin(), heap.end(), less);
  return heap;
}

// Windows within this many ranks of either end of the list come from a
// bounded heap; deeper ones select over all filtered rows.
constexpr size_t kHeapRanks = size_t{1} << 14;

// Snapshot indices of ranks [first, end) of the filtered rows.
std::vector<uint32_t> Rank(const Snapshot& snapshot,
                           const std::shared_ptr<const FilteredRows>& filtered_ptr,
                           Column column, bool reverse, size_t first, size_t end) {
  const FilteredRows& filtered = *filtered_ptr;
  const size_t m = filtered.count;
  end = std::min(end, m);
  std::vector<uint32_t> out;
  if (first >= end) return out;
  std::vector<SortItem> items;
  RowText text(snapshot.flows.pool(), snapshot.flows.labels());
  if (end <= m - first && end <= kChunkTopDepth) {
    // Near the top: from the carried head of the list.
    items = TopsMerged(snapshot, filtered_ptr, end, ItemLess{column, reverse, &text});
    items.erase(items.begin(), items.begin() + first);
  } else if (m - first <= kChunkTopDepth) {
    // Near the bottom: the last m - first ranks are the first of the
    // opposite order.
    items = TopsMerged(snapshot, filtered_ptr, m - first, ItemLess{column, !reverse, &text});
    std::reverse(items.begin(), items.end());
    items.resize(end - first);
  } else if (end <= m - first && end <= kHeapRanks) {
    // Near the top: the first `end` ranks.
    items = TopK(snapshot, filtered, column, end, ItemLess{column, reverse, &text});
    items.erase(items.begin(), items.begin() + first);
  } else if (m - first <= kHeapRanks) {
    // Near the bottom: the last m - first ranks are the first of the
    // opposite order.
    items = TopK(snapshot, filtered, column, m - first, ItemLess{column, !reverse, &text});
    std::reverse(items.begin(), items.end());
    items.resize(end - first);
  } else {
    items.reserve(m);
    const StoredRows& rows = snapshot.flows.stored();
    filtered.ForEach([&](uint32_t i) {
      const StoredRow& row = rows[i];
      items.push_back(MakeItem(HotOf(row), &row, column, text));
      items.back().index = i;
    });
    Window(items, first, end - first, ItemLess{column, reverse, &text});
  }
  out.reserve(items.size());
  for (const SortItem& item : items) out.push_back(item.index);
  return out;
}

// The window [first, first + count) from the memo, computing (with some
// pages around it, for paging) when no remembered window covers it.
const OrderedWindow& WindowFor(const Snapshot& snapshot, const ViewState& state,
                               const std::shared_ptr<const FilteredRows>& filtered_ptr,
                               size_t first, size_t count, SelectionMemo& memo) {
  const FilteredRows& filtered = *filtered_ptr;
  const FilterKey key = FilterKey::Of(state);
  const size_t end = std::min(filtered.count, first + count);
  for (const OrderedWindow& w : memo.windows) {
    if (w.column == state.flow_sort && w.reverse == state.reverse && w.key == key &&
        w.first <= first && (first >= end || w.first + w.rows.size() >= end)) {
      return w;
    }
  }
  const size_t pad = std::min<size_t>(2 * count, 4096);
  OrderedWindow w{key, state.flow_sort, state.reverse, first > pad ? first - pad : 0, {}};
  w.rows = Rank(snapshot, filtered_ptr, w.column, w.reverse, w.first, end + pad);
  if (memo.windows.size() >= SelectionMemo::kMaxWindows) memo.windows.erase(memo.windows.begin());
  memo.windows.push_back(std::move(w));
  return memo.windows.back();
}

}  // namespace

FlowSelection SelectFlowIndices(const Snapshot& snapshot, const ViewState& state,
                                size_t first, size_t count) {
  return WithMemo(snapshot, [&](SelectionMemo& memo) {
    FlowSelection out;
    const std::shared_ptr<const FilteredRows> filtered = FilteredFor(snapshot, state, memo);
    out.total = filtered->count;
    out.totals = filtered->totals;
    const OrderedWindow& w = WindowFor(snapshot, state, filtered, first, count, memo);
    const size_t end = std::min(filtered->count, first + count);
    for (size_t r = first; r < end; ++r) out.indices.push_back(w.rows[r - w.first]);
    return out;
  });
}

FlowSelection SelectFlows(const Snapshot& snapshot, const ViewState& state,
                          size_t first, size_t count) {
  FlowSelection out = SelectFlowIndices(snapshot, state, first, count);
  out.keepalive = snapshot.flows.KeepAlive();
  out.rows.reserve(out.indices.size());
  for (uint32_t i : out.indices) out.rows.push_back(snapshot.flows[i]);
  return out;
}

bool AnyFlowHasUnit(const Snapshot& snapshot, const std::vector<uint32_t>& indices) {
  const StoredRows& stored = snapshot.flows.stored();
  RowText text(snapshot.flows.pool(), snapshot.flows.labels());
  return std::any_of(indices.begin(), indices.end(), [&](uint32_t i) {
    const v1::Process* p = text.Process(stored[i]);
    return p != nullptr && !OwnerUnit(*p).empty();
  });
}

namespace {

ProcessSelection ComputeProcesses(const Snapshot& snapshot, const ViewState& state,
                                  size_t first, size_t count) {
  ProcessSelection out;
  // A process is (source, pid): its name is read once, from its first flow.
  absl::flat_hash_map<uint64_t, size_t> index;
  std::vector<ProcessRow> rows;
  const size_t n = snapshot.flows.size();
  const StoredRows& stored = snapshot.flows.stored();
  RowText text(snapshot.flows.pool(), snapshot.flows.labels());
  ProcessVerdicts verdicts;
  for (size_t i = 0; i < n; ++i) {
    const StoredRow& row = stored[i];
    const FlowHot h = HotOf(row);
    if (!PassesStored(h, row, text, state, &verdicts)) continue;
    AddTotals(h, out.totals);
    const bool outbound = h.outbound;
    const uint64_t key = h.has_process ? (uint64_t{h.source} << 32 | h.pid) : UINT64_MAX;
    auto [it, inserted] = index.try_emplace(key, rows.size());
    if (inserted) {
      rows.emplace_back();
      const v1::Process* p = h.has_process ? text.Process(row) : nullptr;
      rows.back().name = p ? p->name() : "";
      rows.back().pid = p ? p->pid() : 0;
      rows.back().unit = p ? OwnerUnit(*p) : "";
    }
    ProcessRow& g = rows[it->second];
    ++g.flows;
    g.tx_bytes += outbound ? h.original_bytes : h.reply_bytes;
    g.rx_bytes += outbound ? h.reply_bytes : h.original_bytes;
    g.tx_rate += outbound ? h.original_rate : h.reply_rate;
    g.rx_rate += outbound ? h.reply_rate : h.original_rate;
  }
  out.total = rows.size();
  const Column column = state.process_sort;
  const bool reverse = state.reverse;
  auto before = [column, reverse](const ProcessRow& a, const ProcessRow& b) {
    int c = 0;
    switch (column) {
      case Column::kPid: c = Cmp(a.pid, b.pid); break;
      case Column::kUnit:
        if (a.unit.empty() != b.unit.empty()) c = a.unit.empty() ? 1 : -1;
        else c = Cmp(a.unit, b.unit);
        break;
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

}  // namespace

ProcessSelection SelectProcesses(const Snapshot& snapshot, const ViewState& state,
                                 size_t first, size_t count) {
  return WithMemo(snapshot, [&](SelectionMemo& memo) {
    const FilterKey key = FilterKey::Of(state);
    const auto& p = memo.processes;
    if (!p.has_value() || !(p->key == key) || p->column != state.process_sort ||
        p->reverse != state.reverse || p->first != first || p->count != count) {
      memo.processes = ProcessWindow{key, state.process_sort, state.reverse, first, count,
                                     ComputeProcesses(snapshot, state, first, count)};
    }
    return memo.processes->selection;
  });
}

}  // namespace flowtop::tui
