#include "core/flow_json.h"

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "core/flow_key.h"
#include "core/json_text.h"
#include "core/proto_utf8.h"
#include "core/utf8.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "proto/flow_text.h"

namespace flowtop::core {
namespace {

using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

// One object's members: the comma before every member but the first.
class Members {
 public:
  explicit Members(std::string& out) : out_(out) {}
  // Appends the separator and `"name":` (`quoted_name` holds both the
  // quotes and the colon).
  std::string& Key(absl::string_view quoted_name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.append(quoted_name.data(), quoted_name.size());
    return out_;
  }
  void Uint(absl::string_view quoted_name, uint64_t value) {
    if (value != 0) AppendDecimal(value, Key(quoted_name));
  }
  // 64-bit integers are strings in protobuf's JSON.
  void Uint64(absl::string_view quoted_name, uint64_t value) {
    if (value != 0) AppendQuotedDecimal(value, Key(quoted_name));
  }
  void Bool(absl::string_view quoted_name, bool value) {
    if (value) Key(quoted_name).append("true");
  }
  // A proto3 double is left out when its bits are 0 (-0.0 is written).
  void Double(absl::string_view quoted_name, double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    if (bits != 0) AppendJsonDouble(value, Key(quoted_name));
  }
  void String(absl::string_view quoted_name, absl::string_view value) {
    if (!value.empty()) AppendJsonString(value, Key(quoted_name));
  }
  bool empty() const { return first_; }

 private:
  std::string& out_;
  bool first_ = true;
};

// An enum's name, or its number when it has none (proto3 enums are open).
void AppendEnum(const EnumDescriptor* type, int value, std::string& out) {
  const google::protobuf::EnumValueDescriptor* v = type->FindValueByNumber(value);
  if (v == nullptr) {
    if (value < 0) out.push_back('-');
    AppendDecimal(value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value), out);
    return;
  }
  out.push_back('"');
  out.append(v->name());
  out.push_back('"');
}

void AppendState(const FlowRecord& r, Members& m) {
  switch (r.state_case) {
    case FlowRecord::kTcp:
      AppendEnum(v1::TcpState_descriptor(), r.state, m.Key("\"tcpState\":"));
      break;
    case FlowRecord::kSctp:
      AppendEnum(v1::SctpState_descriptor(), r.state, m.Key("\"sctpState\":"));
      break;
    case FlowRecord::kDccp:
      AppendEnum(v1::DccpState_descriptor(), r.state, m.Key("\"dccpState\":"));
      break;
    default:
      break;
  }
}

void AppendStatus(const FlowRecord& r, std::string& out) {
  static constexpr absl::string_view kBits[] = {
      "\"expected\":", "\"seenReply\":", "\"assured\":", "\"confirmed\":", "\"srcNat\":",
      "\"dstNat\":",   "\"dying\":",     "\"offload\":", "\"hwOffload\":"};
  out.push_back('{');
  Members m(out);
  for (size_t i = 0; i < sizeof(kBits) / sizeof(kBits[0]); ++i) {
    m.Bool(kBits[i], (r.status_bits & (1u << i)) != 0);
  }
  m.Uint("\"raw\":", r.status_raw);
  out.push_back('}');
}

// Counters (packets, bytes) or rates (per second) of one direction.
void AppendCounters(const uint64_t* c, std::string& out) {
  out.push_back('{');
  Members m(out);
  m.Uint64("\"packets\":", c[0]);
  m.Uint64("\"bytes\":", c[1]);
  out.push_back('}');
}

void AppendRate(const double* rate, std::string& out) {
  out.push_back('{');
  Members m(out);
  m.Double("\"packetsPerSecond\":", rate[0]);
  m.Double("\"bytesPerSecond\":", rate[1]);
  out.push_back('}');
}

void AppendTraffic(const FlowRecord& r, Members& m) {
  if (r.has(FlowRecord::kHasOriginalCounters)) {
    AppendCounters(&r.counters[0], m.Key("\"originalCounters\":"));
  }
  if (r.has(FlowRecord::kHasReplyCounters)) {
    AppendCounters(&r.counters[2], m.Key("\"replyCounters\":"));
  }
  if (r.has(FlowRecord::kHasOriginalRate)) AppendRate(&r.rates[0], m.Key("\"originalRate\":"));
  if (r.has(FlowRecord::kHasReplyRate)) AppendRate(&r.rates[2], m.Key("\"replyRate\":"));
}

// The flow id FlowIdFor gives (core/flow_key.h), into `out`.
void FlowId(absl::string_view node, const FlowRecord& r, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.assign(node.data(), node.size());
  out.push_back('/');
  AppendDecimal(r.conntrack_id, out);
  if (r.key == 0) return;
  out.push_back('.');
  const auto high = static_cast<uint32_t>(r.key >> 32);
  for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kHex[(high >> shift) & 15]);
}

void GeoFields(const v1::Geo& g, Members& m) {
  m.String("\"countryCode\":", g.country_code());
  m.String("\"country\":", g.country());
  m.String("\"city\":", g.city());
  m.String("\"region\":", g.region());
  m.Uint("\"asNumber\":", g.as_number());
  m.String("\"asOrganization\":", g.as_organization());
  m.Double("\"latitude\":", g.latitude());
  m.Double("\"longitude\":", g.longitude());
}

void ProcessFields(const v1::Process& p, Members& m) {
  m.Uint("\"pid\":", p.pid());
  m.String("\"name\":", p.name());
  m.String("\"exe\":", p.exe());
  m.Uint("\"uid\":", p.uid());
  m.String("\"user\":", p.user());
  m.String("\"cgroup\":", p.cgroup());
  m.String("\"unit\":", p.unit());
  m.String("\"containerId\":", p.container_id());
  m.String("\"containerRuntime\":", p.container_runtime());
  m.String("\"attributedBy\":", p.attributed_by());
}

}  // namespace

absl::Status FlowJsonWriter::Append(const FlowRecord& record, absl::string_view node,
                                    std::string& out) {
  if (!record.tail.empty()) return AppendFlowJsonByPrinter(record, pool_, node, out);
  AppendFields(record, node, out);
  return absl::OkStatus();
}

void FlowJsonWriter::AppendFields(const FlowRecord& r, absl::string_view node,
                                  std::string& out) {
  const absl::string_view own_node = pool_.Get(r.node);
  out.push_back('{');
  Members m(out);
  if (r.has(FlowRecord::kIdDerived)) {
    FlowId(own_node, r, id_);  // named by the record's node, as ToFlow does
    m.String("\"id\":", id_);
  }
  m.String("\"node\":", own_node.empty() ? node : own_node);
  m.Uint("\"conntrackId\":", r.conntrack_id);
  if (r.family != 0) AppendEnum(v1::AddressFamily_descriptor(), r.family, m.Key("\"family\":"));
  if (r.protocol != 0) AppendEnum(v1::L4Protocol_descriptor(), r.protocol, m.Key("\"protocol\":"));
  m.Uint("\"protocolNumber\":", r.protocol_number);
  if (r.has(FlowRecord::kHasOriginal)) {
    AppendTuple(r, r.original, FlowRecord::kOriginalSrcAddr, m.Key("\"original\":"));
  }
  if (r.has(FlowRecord::kHasReply)) {
    AppendTuple(r, r.reply, FlowRecord::kReplySrcAddr, m.Key("\"reply\":"));
  }
  AppendState(r, m);
  if (r.has(FlowRecord::kHasStatus)) AppendStatus(r, m.Key("\"status\":"));
  m.Uint("\"mark\":", r.mark);
  m.Uint("\"zone\":", r.zone);
  m.Uint("\"timeoutSeconds\":", r.timeout_seconds);
  m.String("\"secctx\":", pool_.Get(r.secctx));
  AppendTraffic(r, m);
  if (r.has(FlowRecord::kHasStart)) {
    AppendQuotedDecimal(r.start_unix_nanos, m.Key("\"startUnixNanos\":"));
  }
  if (r.has(FlowRecord::kHasStop)) {
    AppendQuotedDecimal(r.stop_unix_nanos, m.Key("\"stopUnixNanos\":"));
  }
  if (r.first_seen_unix_nanos != 0) {
    AppendQuotedDecimal(r.first_seen_unix_nanos, m.Key("\"firstSeenUnixNanos\":"));
  }
  enrichment_.clear();
  AppendEnrichment(r, enrichment_);
  if (!enrichment_.empty()) m.Key("\"enrichment\":").append(enrichment_);
  m.Uint64("\"key\":", r.key);
  out.push_back('}');
}

void FlowJsonWriter::AppendTuple(const FlowRecord& r, const CompactTuple& t, int first_slot,
                                 std::string& out) {
  out.push_back('{');
  Members m(out);
  m.Uint("\"srcPort\":", t.src_port);
  m.Uint("\"dstPort\":", t.dst_port);
  m.Uint("\"icmpType\":", t.icmp_type);
  m.Uint("\"icmpCode\":", t.icmp_code);
  m.Uint("\"icmpId\":", t.icmp_id);
  static constexpr absl::string_view kNames[] = {"\"srcAddr\":", "\"dstAddr\":"};
  for (int i = 0; i < 2; ++i) {
    char v4[4];
    const absl::string_view bytes =
        AddressOf(r, static_cast<FlowRecord::AddressSlot>(first_slot + i), pool_, v4);
    char text[64];
    const size_t n = FormatAddressText(bytes, text);  // digits, hex, '.', ':'
    if (n == 0) continue;
    std::string& o = m.Key(kNames[i]);
    o.push_back('"');
    o.append(text, n);
    o.push_back('"');
  }
  out.push_back('}');
}

// Empty when nothing is left after MakeReadable's pruning.
void FlowJsonWriter::AppendEnrichment(const FlowRecord& r, std::string& out) {
  const size_t start = out.size();
  out.push_back('{');
  Members m(out);
  if (r.has(FlowRecord::kHasSrc)) {
    endpoint_.clear();
    if (AppendEndpoint(r, r.src, FlowRecord::kSrcGeo, FlowRecord::kSrcProcess, endpoint_)) {
      m.Key("\"src\":").append(endpoint_);
    }
  }
  if (r.has(FlowRecord::kHasDst)) {
    endpoint_.clear();
    if (AppendEndpoint(r, r.dst, FlowRecord::kDstGeo, FlowRecord::kDstProcess, endpoint_)) {
      m.Key("\"dst\":").append(endpoint_);
    }
  }
  m.String("\"service\":", pool_.Get(r.service));
  m.Bool("\"ownTraffic\":", r.has(FlowRecord::kOwnTraffic));
  if (m.empty()) {
    out.resize(start);
    return;
  }
  out.push_back('}');
}

bool FlowJsonWriter::AppendEndpoint(const FlowRecord& r, const CompactEndpoint& end,
                                    uint32_t geo_bit, uint32_t process_bit, std::string& out) {
  out.push_back('{');
  Members m(out);
  m.String("\"hostname\":", pool_.Get(end.hostname));
  if (r.has(geo_bit)) {
    const std::string& geo = GeoJson(end.geo);
    if (!geo.empty()) m.Key("\"geo\":").append(geo);
  }
  if (r.has(process_bit)) {
    const std::string& process = ProcessJson(end.process);
    if (!process.empty()) m.Key("\"process\":").append(process);
  }
  out.push_back('}');
  return !m.empty();
}

namespace {

// The object of a message MakeReadable keeps ("" for one it prunes: one
// that serialises to nothing).
template <typename Message, typename WriteFields>
std::string PooledJson(absl::string_view bytes, WriteFields write_fields) {
  Message msg;
  // As ToFlow reads it: a string that is not UTF-8 ends the parse there.
  msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  if (msg.ByteSizeLong() == 0) return "";
  std::string out = "{";
  Members m(out);
  write_fields(msg, m);
  out.push_back('}');
  return out;
}

}  // namespace

const std::string& FlowJsonWriter::GeoJson(StringPool::Id id) {
  auto [it, inserted] = geos_.try_emplace(id);
  if (!inserted) return it->second;
  it->second = PooledJson<v1::Geo>(pool_.Get(id), GeoFields);
  return it->second;
}

const std::string& FlowJsonWriter::ProcessJson(StringPool::Id id) {
  auto [it, inserted] = processes_.try_emplace(id);
  if (!inserted) return it->second;
  it->second = PooledJson<v1::Process>(pool_.Get(id), ProcessFields);
  return it->second;
}

absl::Status AppendFlowJsonByPrinter(const FlowRecord& record, const StringPool& pool,
                                     absl::string_view node, std::string& out) {
  v1::Flow flow;
  ToFlow(record, pool, flow);
  if (flow.node().empty()) flow.set_node(std::string(node));
  RepairUtf8Strings(flow);
  MakeReadable(&flow);
  google::protobuf::util::JsonPrintOptions options;  // lowerCamelCase, as grpcurl
  std::string line;
  const auto st = google::protobuf::util::MessageToJsonString(flow, &line, options);
  if (!st.ok()) return absl::InternalError("JSON: " + st.ToString());
  out += line;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Events, from the message (flowtop replay --json).

namespace {

bool NoUnknownFields(const google::protobuf::Message& m) {
  return m.GetReflection()->GetUnknownFields(m).empty();
}

// A tuple after MakeReadable: the text of its address bytes (or the text
// it carries when it has no bytes), never the bytes.
void AppendTupleMessage(const v1::Tuple& t, std::string& out) {
  out.push_back('{');
  Members m(out);
  m.Uint("\"srcPort\":", t.src_port());
  m.Uint("\"dstPort\":", t.dst_port());
  m.Uint("\"icmpType\":", t.icmp_type());
  m.Uint("\"icmpCode\":", t.icmp_code());
  m.Uint("\"icmpId\":", t.icmp_id());
  char text[64];
  const absl::string_view src =
      t.src_ip().empty() ? absl::string_view(t.src_addr())
                         : absl::string_view(text, FormatAddressText(t.src_ip(), text));
  m.String("\"srcAddr\":", src);
  const absl::string_view dst =
      t.dst_ip().empty() ? absl::string_view(t.dst_addr())
                         : absl::string_view(text, FormatAddressText(t.dst_ip(), text));
  m.String("\"dstAddr\":", dst);
  out.push_back('}');
}

void AppendStatusMessage(const v1::FlowStatus& s, std::string& out) {
  out.push_back('{');
  Members m(out);
  m.Bool("\"expected\":", s.expected());
  m.Bool("\"seenReply\":", s.seen_reply());
  m.Bool("\"assured\":", s.assured());
  m.Bool("\"confirmed\":", s.confirmed());
  m.Bool("\"srcNat\":", s.src_nat());
  m.Bool("\"dstNat\":", s.dst_nat());
  m.Bool("\"dying\":", s.dying());
  m.Bool("\"offload\":", s.offload());
  m.Bool("\"hwOffload\":", s.hw_offload());
  m.Uint("\"raw\":", s.raw());
  out.push_back('}');
}

void AppendStateMessage(const v1::Flow& f, Members& m) {
  switch (f.state_case()) {
    case v1::Flow::kTcpState:
      AppendEnum(v1::TcpState_descriptor(), f.tcp_state(), m.Key("\"tcpState\":"));
      break;
    case v1::Flow::kSctpState:
      AppendEnum(v1::SctpState_descriptor(), f.sctp_state(), m.Key("\"sctpState\":"));
      break;
    case v1::Flow::kDccpState:
      AppendEnum(v1::DccpState_descriptor(), f.dccp_state(), m.Key("\"dccpState\":"));
      break;
    default:
      break;
  }
}

void AppendTrafficMessage(const v1::Flow& f, Members& m) {
  if (f.has_original_counters()) {
    const uint64_t c[2] = {f.original_counters().packets(), f.original_counters().bytes()};
    AppendCounters(c, m.Key("\"originalCounters\":"));
  }
  if (f.has_reply_counters()) {
    const uint64_t c[2] = {f.reply_counters().packets(), f.reply_counters().bytes()};
    AppendCounters(c, m.Key("\"replyCounters\":"));
  }
  if (f.has_original_rate()) {
    const double r[2] = {f.original_rate().packets_per_second(),
                         f.original_rate().bytes_per_second()};
    AppendRate(r, m.Key("\"originalRate\":"));
  }
  if (f.has_reply_rate()) {
    const double r[2] = {f.reply_rate().packets_per_second(), f.reply_rate().bytes_per_second()};
    AppendRate(r, m.Key("\"replyRate\":"));
  }
}

// A Geo or Process MakeReadable keeps (one that serialises to something).
template <typename Message, typename Fields>
void AppendKept(absl::string_view quoted_name, bool has, const Message& msg, Fields fields,
                Members& m) {
  if (!has || msg.ByteSizeLong() == 0) return;
  std::string& out = m.Key(quoted_name);
  out.push_back('{');
  Members inner(out);
  fields(msg, inner);
  out.push_back('}');
}

// Appends the endpoint unless MakeReadable drops it (nothing left in it).
void AppendEndpointMessage(absl::string_view quoted_name, const v1::Endpoint& e, Members& m,
                           std::string& scratch) {
  scratch.clear();
  scratch.push_back('{');
  Members inner(scratch);
  inner.String("\"hostname\":", e.hostname());
  AppendKept("\"geo\":", e.has_geo(), e.geo(), GeoFields, inner);
  AppendKept("\"process\":", e.has_process(), e.process(), ProcessFields, inner);
  scratch.push_back('}');
  if (inner.empty() && NoUnknownFields(e)) return;
  m.Key(quoted_name).append(scratch);
}

void AppendEnrichmentMessage(const v1::Enrichment& e, Members& m) {
  std::string text = "{";
  std::string scratch;
  Members inner(text);
  if (e.has_src()) AppendEndpointMessage("\"src\":", e.src(), inner, scratch);
  if (e.has_dst()) AppendEndpointMessage("\"dst\":", e.dst(), inner, scratch);
  inner.String("\"service\":", e.service());
  inner.Bool("\"ownTraffic\":", e.own_traffic());
  text.push_back('}');
  if (inner.empty() && NoUnknownFields(e)) return;
  m.Key("\"enrichment\":").append(text);
}

void AppendFlowMessage(const v1::Flow& f, std::string& out) {
  out.push_back('{');
  Members m(out);
  m.String("\"id\":", f.id());
  m.String("\"node\":", f.node());
  m.Uint("\"conntrackId\":", f.conntrack_id());
  if (f.family() != 0) AppendEnum(v1::AddressFamily_descriptor(), f.family(), m.Key("\"family\":"));
  if (f.protocol() != 0) AppendEnum(v1::L4Protocol_descriptor(), f.protocol(), m.Key("\"protocol\":"));
  m.Uint("\"protocolNumber\":", f.protocol_number());
  if (f.has_original()) AppendTupleMessage(f.original(), m.Key("\"original\":"));
  if (f.has_reply()) AppendTupleMessage(f.reply(), m.Key("\"reply\":"));
  AppendStateMessage(f, m);
  if (f.has_status()) AppendStatusMessage(f.status(), m.Key("\"status\":"));
  m.Uint("\"mark\":", f.mark());
  m.Uint("\"zone\":", f.zone());
  m.Uint("\"timeoutSeconds\":", f.timeout_seconds());
  if (!f.labels().empty()) m.Key("\"labels\":").append("\"" + absl::Base64Escape(f.labels()) + "\"");
  m.String("\"secctx\":", f.secctx());
  AppendTrafficMessage(f, m);
  if (f.has_start_unix_nanos()) AppendQuotedDecimal(f.start_unix_nanos(), m.Key("\"startUnixNanos\":"));
  if (f.has_stop_unix_nanos()) AppendQuotedDecimal(f.stop_unix_nanos(), m.Key("\"stopUnixNanos\":"));
  if (f.first_seen_unix_nanos() != 0) {
    AppendQuotedDecimal(f.first_seen_unix_nanos(), m.Key("\"firstSeenUnixNanos\":"));
  }
  if (f.has_enrichment()) AppendEnrichmentMessage(f.enrichment(), m);
  m.Uint64("\"key\":", f.key());
  out.push_back('}');
}

}  // namespace

absl::Status AppendFlowEventJson(const v1::FlowEvent& event, std::string& out) {
  if (event.has_lost() || event.has_status()) return AppendFlowEventJsonByPrinter(event, out);
  out.push_back('{');
  Members m(out);
  m.Uint64("\"seq\":", event.seq());
  if (event.time_unix_nanos() != 0) {
    AppendQuotedDecimal(event.time_unix_nanos(), m.Key("\"timeUnixNanos\":"));
  }
  if (event.type() != 0) AppendEnum(v1::EventType_descriptor(), event.type(), m.Key("\"type\":"));
  m.String("\"node\":", event.node());
  if (event.has_flow()) AppendFlowMessage(event.flow(), m.Key("\"flow\":"));
  out.push_back('}');
  return absl::OkStatus();
}

absl::Status AppendFlowEventJsonByPrinter(const v1::FlowEvent& event, std::string& out) {
  v1::FlowEvent readable = event;
  RepairUtf8Strings(readable);
  MakeReadable(&readable);
  google::protobuf::util::JsonPrintOptions options;
  std::string line;
  const auto st = google::protobuf::util::MessageToJsonString(readable, &line, options);
  if (!st.ok()) return absl::InternalError("JSON: " + st.ToString());
  out += line;
  return absl::OkStatus();
}

}  // namespace flowtop::core
