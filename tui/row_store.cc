#include "tui/row_store.h"

#include "core/filters/country.h"
#include "core/filters/owner.h"
#include "core/filters/port.h"

namespace flowtop::tui {

using core::FlowRecord;
using core::StringPool;

std::vector<StringPool::Id> RecordChunk::Ids() const {
  std::vector<StringPool::Id> ids;
  for (const StoredRow& row : items) core::AppendPoolIds(row.record, ids);
  return ids;
}

RecordChunk::RecordChunk(const RecordChunk& other) : items(other.items), pool_(other.pool_) {
  pool_->RefAll(Ids());
}

RecordChunk::~RecordChunk() { pool_->ReleaseAll(Ids()); }

namespace {

template <typename Message>
bool ParsePooled(const StringPool& pool, StringPool::Id id, Message& out) {
  const absl::string_view bytes = pool.Get(id);
  return out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

// The pooled process of one end, when it names one (EndpointHasProcess).
bool EndProcess(const StringPool& pool, const FlowRecord& r, uint32_t bit,
                StringPool::Id id, v1::Process& out) {
  return r.has(bit) && ParsePooled(pool, id, out) &&
         (out.pid() != 0 || !out.name().empty());
}

void Country(const StringPool& pool, const FlowRecord& r, uint32_t bit,
             StringPool::Id id, char out[2]) {
  out[0] = out[1] = 0;
  v1::Geo geo;
  if (r.has(bit) && ParsePooled(pool, id, geo)) core::CountryCodeOf(geo, out);
}

int StateCaseOf(const FlowRecord& r) {
  switch (r.state_case) {
    case FlowRecord::kTcp: return v1::Flow::kTcpState;
    case FlowRecord::kSctp: return v1::Flow::kSctpState;
    case FlowRecord::kDccp: return v1::Flow::kDccpState;
    default: return 0;
  }
}

}  // namespace

void UpdateOwner(const StringPool& pool, StoredRow& row) {
  const FlowRecord& r = row.record;
  row.pid = row.other_pid = 0;
  row.owner = 0;
  v1::Process src, dst;
  const bool has_src = EndProcess(pool, r, FlowRecord::kSrcProcess, r.src.process, src);
  const bool has_dst = EndProcess(pool, r, FlowRecord::kDstProcess, r.dst.process, dst);
  if (has_src) {
    row.owner = StoredRow::kHasProcess | StoredRow::kOutbound;
    row.pid = src.pid();
    if (has_dst) row.other_pid = dst.pid();
  } else if (has_dst) {
    row.owner = StoredRow::kHasProcess;
    row.pid = dst.pid();
  }
  Country(pool, r, FlowRecord::kSrcGeo, r.src.geo, row.src_country);
  Country(pool, r, FlowRecord::kDstGeo, r.dst.geo, row.dst_country);
}

FlowHot HotOf(const StoredRow& row) {
  const FlowRecord& r = row.record;
  FlowHot h;
  h.protocol = static_cast<uint16_t>(r.protocol_number != 0 ? r.protocol_number : r.protocol);
  h.family = r.family;
  h.state_case = static_cast<uint8_t>(StateCaseOf(r));
  h.state = h.state_case != 0 ? static_cast<int16_t>(r.state) : 0;
  h.source = row.source;
  h.has_ports = core::HasPorts(r.protocol);
  h.src_port = r.original.src_port;
  h.dst_port = r.original.dst_port;
  h.original_bytes = r.counters[1];
  h.reply_bytes = r.counters[3];
  h.original_rate = static_cast<float>(r.rates[1]);
  h.reply_rate = static_cast<float>(r.rates[3]);
  h.active = h.original_rate > 0 || h.reply_rate > 0 || r.rates[0] > 0 || r.rates[2] > 0;
  h.conntrack_id = r.conntrack_id;
  h.start_nanos = r.has(FlowRecord::kHasStart) ? r.start_unix_nanos : r.first_seen_unix_nanos;
  h.own_traffic = r.has(FlowRecord::kOwnTraffic);
  h.has_process = (row.owner & StoredRow::kHasProcess) != 0;
  h.outbound = !h.has_process || (row.owner & StoredRow::kOutbound) != 0;
  h.pid = row.pid;
  h.other_pid = row.other_pid;
  h.src_country[0] = row.src_country[0];
  h.src_country[1] = row.src_country[1];
  h.dst_country[0] = row.dst_country[0];
  h.dst_country[1] = row.dst_country[1];
  return h;
}

void KernelFlowOf(const StoredRow& row, const StringPool& pool, v1::Flow& out) {
  core::ToFlow(row.record, pool, out);
  out.clear_original_counters();
  out.clear_reply_counters();
  out.clear_original_rate();
  out.clear_reply_rate();
}

Traffic TrafficOfRecord(const FlowRecord& r) {
  Traffic t;
  if (r.has(FlowRecord::kHasOriginalCounters)) {
    t.original_counters.set_packets(r.counters[0]);
    t.original_counters.set_bytes(r.counters[1]);
  }
  if (r.has(FlowRecord::kHasReplyCounters)) {
    t.reply_counters.set_packets(r.counters[2]);
    t.reply_counters.set_bytes(r.counters[3]);
  }
  if (r.has(FlowRecord::kHasOriginalRate)) {
    t.original_rate.set_packets_per_second(r.rates[0]);
    t.original_rate.set_bytes_per_second(r.rates[1]);
  }
  if (r.has(FlowRecord::kHasReplyRate)) {
    t.reply_rate.set_packets_per_second(r.rates[2]);
    t.reply_rate.set_bytes_per_second(r.rates[3]);
  }
  return t;
}

template <typename Message>
const Message& RowText::Parsed(StringPool::Id id,
                               absl::flat_hash_map<StringPool::Id, std::unique_ptr<Message>>& cache) {
  std::unique_ptr<Message>& slot = cache[id];
  if (slot == nullptr) {
    slot = std::make_unique<Message>();
    ParsePooled(pool_, id, *slot);
  }
  return *slot;
}

const v1::Process* RowText::Process(const StoredRow& row) {
  if ((row.owner & StoredRow::kHasProcess) == 0) return nullptr;
  const FlowRecord& r = row.record;
  const bool src = (row.owner & StoredRow::kOutbound) != 0;
  return &Parsed(src ? r.src.process : r.dst.process, processes_);
}

const v1::Geo& RowText::DstGeo(const StoredRow& row) {
  const FlowRecord& r = row.record;
  if (!r.has(FlowRecord::kDstGeo)) return v1::Geo::default_instance();
  return Parsed(r.dst.geo, geos_);
}

absl::string_view RowText::DstIp(const StoredRow& row) {
  return core::AddressOf(row.record, FlowRecord::kOriginalDstAddr, pool_, ip_);
}

absl::string_view RowText::Node(const StoredRow& row) const {
  if (row.record.node != 0) return pool_.Get(row.record.node);
  return row.source < labels_.size() ? absl::string_view(labels_[row.source]) : "";
}

void RowText::Detach() {
  if (!scratch_.has_enrichment()) return;
  v1::Enrichment& e = *scratch_.mutable_enrichment();
  if (built_src_.lent) e.mutable_src()->unsafe_arena_release_process();
  if (built_dst_.lent) e.mutable_dst()->unsafe_arena_release_process();
  built_src_ = built_dst_ = EndBuilt();
}

v1::Process* RowText::Lend(StringPool::Id id) {
  return const_cast<v1::Process*>(&Parsed(id, processes_));
}

void RowText::BuildEnd(const core::CompactEndpoint& end, bool present, bool has_process,
                       EndBuilt& built, v1::Endpoint& out) {
  if (built.lent && (!present || !has_process || built.process != end.process)) {
    out.unsafe_arena_release_process();
    built.lent = false;
  }
  if (!present) {
    out.Clear();
    built = EndBuilt();
    return;
  }
  if (!built.present || built.hostname != end.hostname) {
    const absl::string_view host = pool_.Get(end.hostname);
    out.set_hostname(host.data(), host.size());
    built.hostname = end.hostname;
  }
  built.present = true;
  if (has_process && !built.lent) {
    out.unsafe_arena_set_allocated_process(Lend(end.process));
    built.lent = true;
    built.process = end.process;
  }
}

const v1::Flow& RowText::FilterFlow(const StoredRow& row) {
  const FlowRecord& r = row.record;
  if (built_node_ != r.node || (r.node == 0 && !scratch_.node().empty())) {
    const absl::string_view node = pool_.Get(r.node);
    scratch_.set_node(node.data(), node.size());
    built_node_ = r.node;
  }
  v1::Tuple& t = *scratch_.mutable_original();
  const absl::string_view src_ip =
      core::AddressOf(r, FlowRecord::kOriginalSrcAddr, pool_, ip_);
  t.set_src_ip(src_ip.data(), src_ip.size());
  const absl::string_view dst_ip = DstIp(row);
  t.set_dst_ip(dst_ip.data(), dst_ip.size());
  v1::Enrichment& e = *scratch_.mutable_enrichment();
  BuildEnd(r.src, r.has(FlowRecord::kHasSrc), r.has(FlowRecord::kSrcProcess), built_src_,
           *e.mutable_src());
  BuildEnd(r.dst, r.has(FlowRecord::kHasDst), r.has(FlowRecord::kDstProcess), built_dst_,
           *e.mutable_dst());
  return scratch_;
}

}  // namespace flowtop::tui
