#include "core/flow_record.h"

#include <cstring>
#include <string>
#include <utility>

#include "core/flow_key.h"

namespace flowtop::core {
namespace {

// Address slots in FlowRecord::addr_kinds.
enum Slot { kOriginalSrc = 0, kOriginalDst = 1, kReplySrc = 2, kReplyDst = 3 };

uint8_t AddrKind(const FlowRecord& r, int slot) {
  return (r.addr_kinds >> (2 * slot)) & 3;
}

void SetAddrKind(FlowRecord& r, int slot, uint8_t kind) {
  r.addr_kinds = static_cast<uint8_t>((r.addr_kinds & ~(3u << (2 * slot))) |
                                      (static_cast<unsigned>(kind) << (2 * slot)));
}

void SetFlag(FlowRecord& r, uint32_t bit, bool on) {
  r.flags = on ? (r.flags | bit) : (r.flags & ~bit);
}

// ---------------------------------------------------------------------------
// What fits the fixed fields.

bool NoUnknownFields(const google::protobuf::Message& m) {
  return m.GetReflection()->GetUnknownFields(m).empty();
}

bool FitsByte(int value) { return value >= 0 && value <= 0xFF; }

bool TupleFits(const v1::Tuple& t) {
  return t.src_port() <= 0xFFFF && t.dst_port() <= 0xFFFF &&
         t.icmp_id() <= 0xFFFF && t.icmp_type() <= 0xFF &&
         t.icmp_code() <= 0xFF && t.src_addr().empty() && t.dst_addr().empty() &&
         NoUnknownFields(t);
}

int StateValue(const v1::Flow& flow) {
  switch (flow.state_case()) {
    case v1::Flow::kTcpState: return flow.tcp_state();
    case v1::Flow::kSctpState: return flow.sctp_state();
    case v1::Flow::kDccpState: return flow.dccp_state();
    default: return 0;
  }
}

bool IdDerived(const v1::Flow& flow) {
  return !flow.id().empty() && flow.id() == FlowIdFor(flow.node(), flow);
}

// Whether `flow` has anything the fixed fields do not hold.
bool NeedsTail(const v1::Flow& flow) {
  return !NoUnknownFields(flow) || !flow.labels().empty() ||
         (!flow.id().empty() && !IdDerived(flow)) || !FitsByte(flow.family()) ||
         !FitsByte(flow.protocol()) || !FitsByte(StateValue(flow)) ||
         (flow.has_original() && !TupleFits(flow.original())) ||
         (flow.has_reply() && !TupleFits(flow.reply())) ||
         (flow.has_status() && !NoUnknownFields(flow.status()));
}

// The v1::Flow of what EncodeKernelView leaves out of the fixed fields.
std::string TailOf(const v1::Flow& flow) {
  v1::Flow rest = flow;
  if (IdDerived(flow)) rest.clear_id();
  rest.clear_node();
  rest.clear_conntrack_id();
  rest.clear_key();
  rest.clear_protocol_number();
  rest.clear_mark();
  rest.clear_zone();
  rest.clear_timeout_seconds();
  rest.clear_secctx();
  if (FitsByte(flow.family())) rest.clear_family();
  if (FitsByte(flow.protocol())) rest.clear_protocol();
  if (FitsByte(StateValue(flow))) rest.clear_state();
  if (TupleFits(flow.original())) rest.clear_original();
  if (TupleFits(flow.reply())) rest.clear_reply();
  if (NoUnknownFields(flow.status())) rest.clear_status();
  rest.clear_original_counters();
  rest.clear_reply_counters();
  rest.clear_original_rate();
  rest.clear_reply_rate();
  rest.clear_start_unix_nanos();
  rest.clear_stop_unix_nanos();
  rest.clear_first_seen_unix_nanos();
  rest.clear_enrichment();
  return rest.SerializeAsString();
}

// ---------------------------------------------------------------------------
// Kernel view (NEW, SNAPSHOT, UPDATE).

uint32_t PutAddress(const std::string& bytes, StringPool& pool, uint8_t& kind) {
  if (bytes.empty()) {
    kind = FlowRecord::kAddrEmpty;
    return 0;
  }
  if (bytes.size() == 4) {
    kind = FlowRecord::kAddrV4;
    uint32_t v;
    std::memcpy(&v, bytes.data(), 4);
    return v;
  }
  kind = FlowRecord::kAddrPooled;
  return pool.Intern(bytes);
}

void PutTuple(const v1::Tuple& t, int first_slot, StringPool& pool,
              FlowRecord& r, CompactTuple& out) {
  uint8_t kind;
  out.src = PutAddress(t.src_ip(), pool, kind);
  SetAddrKind(r, first_slot, kind);
  out.dst = PutAddress(t.dst_ip(), pool, kind);
  SetAddrKind(r, first_slot + 1, kind);
  out.src_port = static_cast<uint16_t>(t.src_port());
  out.dst_port = static_cast<uint16_t>(t.dst_port());
  out.icmp_id = static_cast<uint16_t>(t.icmp_id());
  out.icmp_type = static_cast<uint8_t>(t.icmp_type());
  out.icmp_code = static_cast<uint8_t>(t.icmp_code());
}

uint16_t StatusBits(const v1::FlowStatus& s) {
  const bool bits[] = {s.expected(), s.seen_reply(), s.assured(),
                       s.confirmed(), s.src_nat(), s.dst_nat(),
                       s.dying(),    s.offload(),  s.hw_offload()};
  uint16_t out = 0;
  for (size_t i = 0; i < sizeof(bits); ++i) out |= bits[i] ? (1u << i) : 0;
  return out;
}

void PutCounters(const v1::Counters& c, uint64_t* out) {
  out[0] = c.packets();
  out[1] = c.bytes();
}

void PutRate(const v1::Rate& rate, double* out) {
  out[0] = rate.packets_per_second();
  out[1] = rate.bytes_per_second();
}

// Copies the counters and rates `flow` carries into `r`.
void PutCountersAndRates(const v1::Flow& flow, FlowRecord& r) {
  if (flow.has_original_counters()) {
    PutCounters(flow.original_counters(), &r.counters[0]);
    SetFlag(r, FlowRecord::kHasOriginalCounters, true);
  }
  if (flow.has_reply_counters()) {
    PutCounters(flow.reply_counters(), &r.counters[2]);
    SetFlag(r, FlowRecord::kHasReplyCounters, true);
  }
  if (flow.has_original_rate()) {
    PutRate(flow.original_rate(), &r.rates[0]);
    SetFlag(r, FlowRecord::kHasOriginalRate, true);
  }
  if (flow.has_reply_rate()) {
    PutRate(flow.reply_rate(), &r.rates[2]);
    SetFlag(r, FlowRecord::kHasReplyRate, true);
  }
}

// Fills a fresh record `r` with the kernel's view in `flow`: everything but
// enrichment, counters, rates, start and first-seen times.
void EncodeKernelView(const v1::Flow& flow, StringPool& pool, FlowRecord& r) {
  r.key = flow.key();
  r.conntrack_id = flow.conntrack_id();
  r.node = pool.Intern(flow.node());
  r.protocol_number = flow.protocol_number();
  r.mark = flow.mark();
  r.zone = flow.zone();
  r.timeout_seconds = flow.timeout_seconds();
  r.secctx = pool.Intern(flow.secctx());
  if (FitsByte(flow.family())) r.family = static_cast<uint8_t>(flow.family());
  if (FitsByte(flow.protocol())) r.protocol = static_cast<uint8_t>(flow.protocol());
  if (FitsByte(StateValue(flow))) {
    switch (flow.state_case()) {
      case v1::Flow::kTcpState: r.state_case = FlowRecord::kTcp; break;
      case v1::Flow::kSctpState: r.state_case = FlowRecord::kSctp; break;
      case v1::Flow::kDccpState: r.state_case = FlowRecord::kDccp; break;
      default: r.state_case = FlowRecord::kNoState; break;
    }
    r.state = static_cast<uint8_t>(StateValue(flow));
  }
  if (flow.has_original() && TupleFits(flow.original())) {
    PutTuple(flow.original(), kOriginalSrc, pool, r, r.original);
    SetFlag(r, FlowRecord::kHasOriginal, true);
  }
  if (flow.has_reply() && TupleFits(flow.reply())) {
    PutTuple(flow.reply(), kReplySrc, pool, r, r.reply);
    SetFlag(r, FlowRecord::kHasReply, true);
  }
  if (flow.has_status() && NoUnknownFields(flow.status())) {
    r.status_raw = flow.status().raw();
    r.status_bits = StatusBits(flow.status());
    SetFlag(r, FlowRecord::kHasStatus, true);
  }
  if (flow.has_stop_unix_nanos()) {
    r.stop_unix_nanos = flow.stop_unix_nanos();
    SetFlag(r, FlowRecord::kHasStop, true);
  }
  SetFlag(r, FlowRecord::kIdDerived, IdDerived(flow));
  if (NeedsTail(flow)) {
    std::string tail = TailOf(flow);
    if (!tail.empty()) r.tail.Set(std::move(tail));
  }
}

// The pool references EncodeKernelView takes.
void ReleaseKernelView(StringPool& pool, const FlowRecord& r) {
  pool.Release(r.node);
  pool.Release(r.secctx);
  const uint32_t addrs[] = {r.original.src, r.original.dst, r.reply.src,
                            r.reply.dst};
  for (int slot = 0; slot < 4; ++slot) {
    if (AddrKind(r, slot) == FlowRecord::kAddrPooled) pool.Release(addrs[slot]);
  }
}

constexpr uint32_t kEnrichmentFlags =
    FlowRecord::kHasSrc | FlowRecord::kHasDst | FlowRecord::kSrcGeo |
    FlowRecord::kSrcProcess | FlowRecord::kDstGeo | FlowRecord::kDstProcess |
    FlowRecord::kOwnTraffic;

// ---------------------------------------------------------------------------
// Enrichment (ENRICH, and what NEW/UPDATE carry).

// Replaces the pooled string `id` with `text`.
void Replace(absl::string_view text, StringPool& pool, StringPool::Id& id) {
  const StringPool::Id next = pool.Intern(text);
  pool.Release(id);
  id = next;
}

// Merges a whole message kept in the pool (`has`: whether one is there)
// with `update`, like Message::MergeFrom.
template <typename Message>
void MergePooled(const Message& update, StringPool& pool, bool has,
                 StringPool::Id& id) {
  if (!has) {
    Replace(update.SerializeAsString(), pool, id);
    return;
  }
  Message merged;
  const absl::string_view old = pool.Get(id);
  merged.ParseFromArray(old.data(), static_cast<int>(old.size()));
  merged.MergeFrom(update);
  Replace(merged.SerializeAsString(), pool, id);
}

void MergeEndpoint(const v1::Endpoint& update, uint32_t geo_bit,
                   uint32_t process_bit, StringPool& pool, FlowRecord& r,
                   CompactEndpoint& end) {
  if (!update.hostname().empty()) Replace(update.hostname(), pool, end.hostname);
  if (update.has_geo()) {
    MergePooled(update.geo(), pool, r.has(geo_bit), end.geo);
    SetFlag(r, geo_bit, true);
  }
  if (update.has_process()) {
    MergePooled(update.process(), pool, r.has(process_bit), end.process);
    SetFlag(r, process_bit, true);
  }
}

void MergeEnrichment(const v1::Enrichment& update, StringPool& pool,
                     FlowRecord& r) {
  if (update.has_src()) {
    MergeEndpoint(update.src(), FlowRecord::kSrcGeo, FlowRecord::kSrcProcess,
                  pool, r, r.src);
    SetFlag(r, FlowRecord::kHasSrc, true);
  }
  if (update.has_dst()) {
    MergeEndpoint(update.dst(), FlowRecord::kDstGeo, FlowRecord::kDstProcess,
                  pool, r, r.dst);
    SetFlag(r, FlowRecord::kHasDst, true);
  }
  if (!update.service().empty()) Replace(update.service(), pool, r.service);
  if (update.own_traffic()) SetFlag(r, FlowRecord::kOwnTraffic, true);
}

void ReleaseEndpoint(StringPool& pool, const CompactEndpoint& end) {
  pool.Release(end.hostname);
  pool.Release(end.geo);
  pool.Release(end.process);
}

// NEW, SNAPSHOT, UPDATE: see the rule in flow_record.h.
void ApplyKernelView(const v1::Flow& flow, int64_t event_time, StringPool& pool,
                     FlowRecord& r) {
  FlowRecord next;
  EncodeKernelView(flow, pool, next);
  next.flags |= r.flags & (kEnrichmentFlags | FlowRecord::kHasOriginalCounters |
                           FlowRecord::kHasReplyCounters |
                           FlowRecord::kHasOriginalRate |
                           FlowRecord::kHasReplyRate | FlowRecord::kHasStart);
  next.src = r.src;  // the references move with the ids
  next.dst = r.dst;
  next.service = r.service;
  std::memcpy(next.counters, r.counters, sizeof(r.counters));
  std::memcpy(next.rates, r.rates, sizeof(r.rates));
  next.start_unix_nanos = r.start_unix_nanos;
  PutCountersAndRates(flow, next);
  if (flow.has_start_unix_nanos()) {
    next.start_unix_nanos = flow.start_unix_nanos();
    SetFlag(next, FlowRecord::kHasStart, true);
  }
  next.first_seen_unix_nanos = r.first_seen_unix_nanos != 0 ? r.first_seen_unix_nanos
                               : flow.first_seen_unix_nanos() != 0
                                   ? flow.first_seen_unix_nanos()
                                   : event_time;
  ReleaseKernelView(pool, r);
  r = std::move(next);
  if (flow.has_enrichment()) MergeEnrichment(flow.enrichment(), pool, r);
}

// ---------------------------------------------------------------------------
// Back to v1::Flow.

void GetAddress(const FlowRecord& r, int slot, uint32_t value,
                const StringPool& pool, std::string* out) {
  switch (AddrKind(r, slot)) {
    case FlowRecord::kAddrV4:
      out->assign(reinterpret_cast<const char*>(&value), 4);
      break;
    case FlowRecord::kAddrPooled: {
      const absl::string_view bytes = pool.Get(value);
      out->assign(bytes.data(), bytes.size());
      break;
    }
    default:
      break;
  }
}

void GetTuple(const FlowRecord& r, const CompactTuple& t, int first_slot,
              const StringPool& pool, v1::Tuple& out) {
  GetAddress(r, first_slot, t.src, pool, out.mutable_src_ip());
  GetAddress(r, first_slot + 1, t.dst, pool, out.mutable_dst_ip());
  out.set_src_port(t.src_port);
  out.set_dst_port(t.dst_port);
  out.set_icmp_type(t.icmp_type);
  out.set_icmp_code(t.icmp_code);
  out.set_icmp_id(t.icmp_id);
}

void GetStatus(const FlowRecord& r, v1::FlowStatus& s) {
  auto bit = [&](int i) { return (r.status_bits & (1u << i)) != 0; };
  s.set_expected(bit(0));
  s.set_seen_reply(bit(1));
  s.set_assured(bit(2));
  s.set_confirmed(bit(3));
  s.set_src_nat(bit(4));
  s.set_dst_nat(bit(5));
  s.set_dying(bit(6));
  s.set_offload(bit(7));
  s.set_hw_offload(bit(8));
  s.set_raw(r.status_raw);
}

template <typename Message>
void GetPooled(StringPool::Id id, const StringPool& pool, Message& out) {
  const absl::string_view bytes = pool.Get(id);
  out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

void GetEndpoint(const FlowRecord& r, const CompactEndpoint& end,
                 uint32_t geo_bit, uint32_t process_bit, const StringPool& pool,
                 v1::Endpoint& out) {
  if (end.hostname != 0) out.set_hostname(std::string(pool.Get(end.hostname)));
  if (r.has(geo_bit)) GetPooled(end.geo, pool, *out.mutable_geo());
  if (r.has(process_bit)) GetPooled(end.process, pool, *out.mutable_process());
}

void GetEnrichment(const FlowRecord& r, const StringPool& pool, v1::Flow& out) {
  if ((r.flags & (FlowRecord::kHasSrc | FlowRecord::kHasDst |
                  FlowRecord::kOwnTraffic)) == 0 &&
      r.service == 0) {
    return;
  }
  v1::Enrichment& e = *out.mutable_enrichment();
  if (r.has(FlowRecord::kHasSrc)) {
    GetEndpoint(r, r.src, FlowRecord::kSrcGeo, FlowRecord::kSrcProcess, pool,
                *e.mutable_src());
  }
  if (r.has(FlowRecord::kHasDst)) {
    GetEndpoint(r, r.dst, FlowRecord::kDstGeo, FlowRecord::kDstProcess, pool,
                *e.mutable_dst());
  }
  if (r.service != 0) e.set_service(std::string(pool.Get(r.service)));
  if (r.has(FlowRecord::kOwnTraffic)) e.set_own_traffic(true);
}

void GetCounters(const FlowRecord& r, v1::Flow& out) {
  if (r.has(FlowRecord::kHasOriginalCounters)) {
    out.mutable_original_counters()->set_packets(r.counters[0]);
    out.mutable_original_counters()->set_bytes(r.counters[1]);
  }
  if (r.has(FlowRecord::kHasReplyCounters)) {
    out.mutable_reply_counters()->set_packets(r.counters[2]);
    out.mutable_reply_counters()->set_bytes(r.counters[3]);
  }
  if (r.has(FlowRecord::kHasOriginalRate)) {
    out.mutable_original_rate()->set_packets_per_second(r.rates[0]);
    out.mutable_original_rate()->set_bytes_per_second(r.rates[1]);
  }
  if (r.has(FlowRecord::kHasReplyRate)) {
    out.mutable_reply_rate()->set_packets_per_second(r.rates[2]);
    out.mutable_reply_rate()->set_bytes_per_second(r.rates[3]);
  }
}

void GetState(const FlowRecord& r, v1::Flow& out) {
  switch (r.state_case) {
    case FlowRecord::kTcp: out.set_tcp_state(static_cast<v1::TcpState>(r.state)); break;
    case FlowRecord::kSctp: out.set_sctp_state(static_cast<v1::SctpState>(r.state)); break;
    case FlowRecord::kDccp: out.set_dccp_state(static_cast<v1::DccpState>(r.state)); break;
    default: break;
  }
}

}  // namespace

void WireTail::Set(std::string bytes) {
  bytes_ = std::make_unique<std::string>(std::move(bytes));
  bytes_->shrink_to_fit();
}

void ApplyFlowEvent(const v1::FlowEvent& event, StringPool& pool,
                    FlowRecord& record) {
  const v1::Flow& flow = event.flow();
  switch (event.type()) {
    case v1::NEW:
    case v1::SNAPSHOT:
    case v1::UPDATE:
      ApplyKernelView(flow, event.time_unix_nanos(), pool, record);
      return;
    case v1::ENRICH:
      if (IsStaleEnrichFor(event, record)) return;
      MergeEnrichment(flow.enrichment(), pool, record);
      return;
    case v1::COUNTERS:
      PutCountersAndRates(flow, record);
      return;
    default:
      return;
  }
}

bool IsStaleEnrichFor(const v1::FlowEvent& event, const FlowRecord& record) {
  const int64_t first_seen = event.flow().first_seen_unix_nanos();
  return event.type() == v1::ENRICH && first_seen != 0 &&
         record.first_seen_unix_nanos != first_seen;
}

void ToFlow(const FlowRecord& r, const StringPool& pool, v1::Flow& out) {
  out.Clear();
  if (!r.tail.empty()) out.ParseFromString(r.tail.bytes());
  if (r.node != 0) out.set_node(std::string(pool.Get(r.node)));
  out.set_conntrack_id(r.conntrack_id);
  out.set_key(r.key);
  if (r.family != 0) out.set_family(static_cast<v1::AddressFamily>(r.family));
  if (r.protocol != 0) out.set_protocol(static_cast<v1::L4Protocol>(r.protocol));
  out.set_protocol_number(r.protocol_number);
  if (r.has(FlowRecord::kHasOriginal)) {
    GetTuple(r, r.original, kOriginalSrc, pool, *out.mutable_original());
  }
  if (r.has(FlowRecord::kHasReply)) {
    GetTuple(r, r.reply, kReplySrc, pool, *out.mutable_reply());
  }
  GetState(r, out);
  if (r.has(FlowRecord::kHasStatus)) GetStatus(r, *out.mutable_status());
  out.set_mark(r.mark);
  out.set_zone(r.zone);
  out.set_timeout_seconds(r.timeout_seconds);
  if (r.secctx != 0) out.set_secctx(std::string(pool.Get(r.secctx)));
  GetCounters(r, out);
  if (r.has(FlowRecord::kHasStart)) out.set_start_unix_nanos(r.start_unix_nanos);
  if (r.has(FlowRecord::kHasStop)) out.set_stop_unix_nanos(r.stop_unix_nanos);
  out.set_first_seen_unix_nanos(r.first_seen_unix_nanos);
  GetEnrichment(r, pool, out);
  if (r.has(FlowRecord::kIdDerived)) out.set_id(FlowIdFor(out.node(), out));
}

absl::string_view AddressOf(const FlowRecord& r, FlowRecord::AddressSlot slot,
                            const StringPool& pool, char (&v4)[4]) {
  const uint32_t addrs[] = {r.original.src, r.original.dst, r.reply.src,
                            r.reply.dst};
  const uint32_t value = addrs[slot];
  switch (AddrKind(r, slot)) {
    case FlowRecord::kAddrV4:
      std::memcpy(v4, &value, 4);
      return absl::string_view(v4, 4);
    case FlowRecord::kAddrPooled:
      return pool.Get(value);
    default:
      return {};
  }
}

void AppendPoolIds(const FlowRecord& r, std::vector<StringPool::Id>& out) {
  out.insert(out.end(), {r.node, r.secctx, r.service, r.src.hostname, r.src.geo,
                         r.src.process, r.dst.hostname, r.dst.geo, r.dst.process});
  const uint32_t addrs[] = {r.original.src, r.original.dst, r.reply.src,
                            r.reply.dst};
  for (int slot = 0; slot < 4; ++slot) {
    if (AddrKind(r, slot) == FlowRecord::kAddrPooled) out.push_back(addrs[slot]);
  }
}

void ReleaseRecord(StringPool& pool, FlowRecord& record) {
  ReleaseKernelView(pool, record);
  ReleaseEndpoint(pool, record.src);
  ReleaseEndpoint(pool, record.dst);
  pool.Release(record.service);
  record = FlowRecord();
}

}  // namespace flowtop::core
