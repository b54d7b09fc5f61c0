#include "replay/event_decoder.h"

#include <cstring>
#include <utility>

#include "absl/base/optimization.h"
#include "core/utf8.h"

namespace flowtop::replay {
namespace {

// Wire types (protobuf encoding).
constexpr uint32_t kVarint = 0;
constexpr uint32_t kI64 = 1;
constexpr uint32_t kLen = 2;

constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) {
  return field << 3 | wire_type;
}

// The bytes of one message level. Every Read* returns false where the fast
// path gives up: the caller then leaves the record to protobuf's parser.
struct Wire {
  const uint8_t* p;
  const uint8_t* end;
};

Wire WireOf(absl::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  return {p, p + bytes.size()};
}

// A varint of at most 10 bytes, as protobuf reads it (bits past 64 dropped).
inline bool ReadVarint(Wire& w, uint64_t* value) {
  if (ABSL_PREDICT_TRUE(w.p != w.end && *w.p < 0x80)) {
    *value = *w.p++;
    return true;
  }
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (w.p == w.end) return false;
    const uint8_t byte = *w.p++;
    v |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (byte < 0x80) {
      *value = v;
      return true;
    }
  }
  return false;
}

// Tags and lengths: protobuf accepts up to 5 bytes; the fast path takes the
// 1- and 2-byte forms (every tag of these messages, lengths below 16 KiB)
// and leaves longer ones to the parser.
inline bool ReadShort(Wire& w, uint32_t* value) {
  if (ABSL_PREDICT_FALSE(w.p == w.end)) return false;
  const uint32_t b0 = w.p[0];
  if (ABSL_PREDICT_TRUE(b0 < 0x80)) {
    *value = b0;
    w.p += 1;
    return true;
  }
  if (w.end - w.p < 2 || w.p[1] >= 0x80) return false;
  *value = (b0 & 0x7F) | static_cast<uint32_t>(w.p[1]) << 7;
  w.p += 2;
  return true;
}

inline bool ReadLen(Wire& w, absl::string_view* bytes) {
  uint32_t n;
  if (!ReadShort(w, &n) || n > static_cast<size_t>(w.end - w.p)) return false;
  *bytes = absl::string_view(reinterpret_cast<const char*>(w.p), n);
  w.p += n;
  return true;
}

inline bool ReadU32(Wire& w, uint32_t* value) {
  uint64_t v;
  if (!ReadVarint(w, &v)) return false;
  *value = static_cast<uint32_t>(v);  // protobuf truncates too
  return true;
}

inline bool ReadI64(Wire& w, int64_t* value) {
  uint64_t v;
  if (!ReadVarint(w, &v)) return false;
  *value = static_cast<int64_t>(v);
  return true;
}

inline bool ReadBool(Wire& w, bool* value) {
  uint64_t v;
  if (!ReadVarint(w, &v)) return false;
  *value = v != 0;
  return true;
}

// Open proto3 enums hold any int32: the varint truncated to 32 bits.
inline bool ReadEnum(Wire& w, int* value) {
  uint64_t v;
  if (!ReadVarint(w, &v)) return false;
  *value = static_cast<int32_t>(static_cast<uint32_t>(v));
  return true;
}

inline bool ReadDouble(Wire& w, double* value) {
  if (w.end - w.p < 8) return false;
  std::memcpy(value, w.p, 8);  // little-endian on every target we build for
  w.p += 8;
  return true;
}

inline bool ReadFixed64(Wire& w, uint64_t* value) {
  if (w.end - w.p < 8) return false;
  std::memcpy(value, w.p, 8);  // little-endian, as ReadDouble
  w.p += 8;
  return true;
}

inline bool ReadString(Wire& w, std::string* out) {
  absl::string_view s;
  // protobuf refuses proto3 strings that are not valid UTF-8; the strict
  // check here refuses at least as much, so a string accepted here is one
  // protobuf accepts.
  if (!ReadLen(w, &s) || !core::IsValidUtf8(s)) return false;
  out->assign(s.data(), s.size());
  return true;
}

inline bool ReadBytes(Wire& w, std::string* out) {
  absl::string_view s;
  if (!ReadLen(w, &s)) return false;
  out->assign(s.data(), s.size());
  return true;
}

// Takes the spare (the sub-message an earlier record left in this slot) or
// one from the pool.
template <typename T>
T* Reuse(T*& spare, EventDecoder::Pool<T>& pool) {
  if (spare != nullptr) return std::exchange(spare, nullptr);
  return pool.Take();
}

using Pools = EventDecoder::Pools;

// Each Decode* merges one message level into `m`, as the parser does: a
// scalar or string overwrites, a sub-message field merges into the one
// already there (a field can occur more than once). `fresh` says `m` still
// holds an earlier record and must be reset first; sub-messages it had are
// kept as spares for this record, and spares left over go to the pools.

bool DecodeTuple(Wire w, v1::Tuple* m, bool fresh) {
  if (fresh) m->Clear();
  uint32_t tag, u;
  while (w.p != w.end) {
    if (!ReadShort(w, &tag)) return false;
    switch (tag) {
      case Tag(1, kLen):
        if (!ReadBytes(w, m->mutable_src_ip())) return false;
        break;
      case Tag(2, kLen):
        if (!ReadBytes(w, m->mutable_dst_ip())) return false;
        break;
      case Tag(3, kVarint):
        if (!ReadU32(w, &u)) return false;
        m->set_src_port(u);
        break;
      case Tag(4, kVarint):
        if (!ReadU32(w, &u)) return false;
        m->set_dst_port(u);
        break;
      case Tag(5, kVarint):
        if (!ReadU32(w, &u)) return false;
        m->set_icmp_type(u);
        break;
      case Tag(6, kVarint):
        if (!ReadU32(w, &u)) return false;
        m->set_icmp_code(u);
        break;
      case Tag(7, kVarint):
        if (!ReadU32(w, &u)) return false;
        m->set_icmp_id(u);
        break;
      case Tag(160, kLen):
        if (!ReadString(w, m->mutable_src_addr())) return false;
        break;
      case Tag(161, kLen):
        if (!ReadString(w, m->mutable_dst_addr())) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool DecodeStatus(Wire w, v1::FlowStatus* m, bool fresh) {
  if (fresh) m->Clear();
  uint32_t tag, u;
  bool b;
  while (w.p != w.end) {
    if (!ReadShort(w, &tag)) return false;
    if (tag == Tag(15, kVarint)) {
      if (!ReadU32(w, &u)) return false;
      m->set_raw(u);
      continue;
    }
    if ((tag & 7) != kVarint || !ReadBool(w, &b)) return false;
    switch (tag >> 3) {
      case 1: m->set_expected(b); break;
      case 2: m->set_seen_reply(b); break;
      case 3: m->set_assured(b); break;
      case 4: m->set_confirmed(b); break;
      case 5: m->set_src_nat(b); break;
      case 6: m->set_dst_nat(b); break;
      case 7: m->set_dying(b); break;
      case 8: m->set_offload(b); break;
      case 9: m->set_hw_offload(b); break;
      default: return false;
    }
  }
  return true;
}

bool DecodeCounters(Wire w, v1::Counters* m, bool fresh) {
  if (fresh) m->Clear();
  uint32_t tag;
  uint64_t v;
  while (w.p != w.end) {
    if (!ReadShort(w, &tag) || (tag & 7) != kVarint || !ReadVarint(w, &v)) {
      return false;
    }
    switch (tag >> 3) {
      case 1: m->set_packets(v); break;
      case 2: m->set_bytes(v); break;
      default: return false;
    }
  }
  return true;
}

bool DecodeRate(Wire w, v1::Rate* m, bool fresh) {
  if (fresh) m->Clear();
  uint32_t tag;
  double d;
  while (w.p != w.end) {
    if (!ReadShort(w, &tag) || (tag & 7) != kI64 || !ReadDouble(w, &d)) {
      return false;
    }
    switch (tag >> 3) {
      case 1: m->set_packets_per_second(d); break;
      case 2: m->set_bytes_per_second(d); break;
      default: return false;
    }
  }
  return true;
}

bool DecodeProcess(Wire w, v1::Process* m, bool fresh) {
  if (fresh) m->Clear();
  uint32_t tag, u;
  while (w.p != w.end) {
    if (!ReadShort(w, &tag)) return false;
    switch (tag) {
      case Tag(1, kVarint):
        if (!ReadU32(w, &u)) return false;
        m->set_pid(u);
        break;
      case Tag(2, kLen):
        if (!ReadString(w, m->mutable_name())) return false;
        break;
      case Tag(3, kLen):
        if (!ReadString(w, m->mutable_exe())) return false;
        break;
      case Tag(4, kVarint):
        if (!ReadU32(w, &u)) return false;
        m->set_uid(u);
        break;
      case Tag(5, kLen):
        if (!ReadString(w, m->mutable_user())) return false;
        break;
      case Tag(100, kLen):
        if (!ReadString(w, m->mutable_cgroup())) return false;
        break;
      case Tag(101, kLen):
        if (!ReadString(w, m->mutable_unit())) return false;
        break;
      case Tag(102, kLen):
        if (!ReadString(w, m->mutable_container_id())) return false;
        break;
      case Tag(103, kLen):
        if (!ReadString(w, m->mutable_container_runtime())) return false;
        break;
      case Tag(104, kLen):
        if (!ReadString(w, m->mutable_attributed_by())) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool DecodeGeo(Wire w, v1::Geo* m, bool fresh) {
  if (fresh) m->Clear();
  uint32_t tag, u;
  double d;
  while (w.p != w.end) {
    if (!ReadShort(w, &tag)) return false;
    switch (tag) {
      case Tag(1, kLen):
        if (!ReadString(w, m->mutable_country_code())) return false;
        break;
      case Tag(2, kLen):
        if (!ReadString(w, m->mutable_country())) return false;
        break;
      case Tag(3, kLen):
        if (!ReadString(w, m->mutable_city())) return false;
        break;
      case Tag(4, kLen):
        if (!ReadString(w, m->mutable_region())) return false;
        break;
      case Tag(5, kVarint):
        if (!ReadU32(w, &u)) return false;
        m->set_as_number(u);
        break;
      case Tag(6, kLen):
        if (!ReadString(w, m->mutable_as_organization())) return false;
        break;
      case Tag(7, kI64):
        if (!ReadDouble(w, &d)) return false;
        m->set_latitude(d);
        break;
      case Tag(8, kI64):
        if (!ReadDouble(w, &d)) return false;
        m->set_longitude(d);
        break;
      default:
        return false;
    }
  }
  return true;
}

bool DecodeEndpoint(Wire w, v1::Endpoint* m, bool fresh, Pools& pools) {
  v1::Geo* geo = nullptr;
  v1::Process* process = nullptr;
  if (fresh) {
    if (m->has_geo()) geo = m->release_geo();
    if (m->has_process()) process = m->release_process();
    m->Clear();
  }
  bool ok = true;
  uint32_t tag;
  absl::string_view sub;
  while (ok && w.p != w.end) {
    if (!ReadShort(w, &tag)) {
      ok = false;
      break;
    }
    switch (tag) {
      case Tag(1, kLen):
        ok = ReadString(w, m->mutable_hostname());
        break;
      case Tag(2, kLen): {
        const bool first = !m->has_geo();
        if (first) m->set_allocated_geo(Reuse(geo, pools.geos));
        ok = ReadLen(w, &sub) && DecodeGeo(WireOf(sub), m->mutable_geo(), first);
        break;
      }
      case Tag(3, kLen): {
        const bool first = !m->has_process();
        if (first) m->set_allocated_process(Reuse(process, pools.processes));
        ok = ReadLen(w, &sub) &&
             DecodeProcess(WireOf(sub), m->mutable_process(), first);
        break;
      }
      default:
        ok = false;
    }
  }
  pools.geos.Give(geo);
  pools.processes.Give(process);
  return ok;
}

bool DecodeEnrichment(Wire w, v1::Enrichment* m, bool fresh, Pools& pools) {
  v1::Endpoint* src = nullptr;
  v1::Endpoint* dst = nullptr;
  if (fresh) {
    if (m->has_src()) src = m->release_src();
    if (m->has_dst()) dst = m->release_dst();
    m->Clear();
  }
  bool ok = true;
  uint32_t tag;
  absl::string_view sub;
  bool b;
  while (ok && w.p != w.end) {
    if (!ReadShort(w, &tag)) {
      ok = false;
      break;
    }
    switch (tag) {
      case Tag(1, kLen): {
        const bool first = !m->has_src();
        if (first) m->set_allocated_src(Reuse(src, pools.endpoints));
        ok = ReadLen(w, &sub) &&
             DecodeEndpoint(WireOf(sub), m->mutable_src(), first, pools);
        break;
      }
      case Tag(2, kLen): {
        const bool first = !m->has_dst();
        if (first) m->set_allocated_dst(Reuse(dst, pools.endpoints));
        ok = ReadLen(w, &sub) &&
             DecodeEndpoint(WireOf(sub), m->mutable_dst(), first, pools);
        break;
      }
      case Tag(3, kLen):
        ok = ReadString(w, m->mutable_service());
        break;
      case Tag(4, kVarint):
        ok = ReadBool(w, &b);
        if (ok) m->set_own_traffic(b);
        break;
      default:
        ok = false;
    }
  }
  pools.endpoints.Give(src);
  pools.endpoints.Give(dst);
  return ok;
}

// The sub-messages of a Flow, kept from an earlier record for this one.
struct FlowSpares {
  v1::Tuple* original = nullptr;
  v1::Tuple* reply = nullptr;
  v1::FlowStatus* status = nullptr;
  v1::Counters* original_counters = nullptr;
  v1::Counters* reply_counters = nullptr;
  v1::Rate* original_rate = nullptr;
  v1::Rate* reply_rate = nullptr;
  v1::Enrichment* enrichment = nullptr;
};

// What a field-group decoder did with one field.
enum class Field { kDecoded, kBad, kNotMine };

Field Result(bool ok) { return ok ? Field::kDecoded : Field::kBad; }

// Flow's identity and kind: id, node, conntrack_id, family, protocol,
// protocol_number, key.
Field DecodeFlowIdentity(uint32_t tag, Wire& w, v1::Flow* m) {
  uint32_t u;
  int e;
  switch (tag) {
    case Tag(1, kLen):
      return Result(ReadString(w, m->mutable_id()));
    case Tag(2, kLen):
      return Result(ReadString(w, m->mutable_node()));
    case Tag(3, kVarint):
      if (!ReadU32(w, &u)) return Field::kBad;
      m->set_conntrack_id(u);
      return Field::kDecoded;
    case Tag(4, kVarint):
      if (!ReadEnum(w, &e)) return Field::kBad;
      m->set_family(static_cast<v1::AddressFamily>(e));
      return Field::kDecoded;
    case Tag(5, kVarint):
      if (!ReadEnum(w, &e)) return Field::kBad;
      m->set_protocol(static_cast<v1::L4Protocol>(e));
      return Field::kDecoded;
    case Tag(6, kVarint):
      if (!ReadU32(w, &u)) return Field::kBad;
      m->set_protocol_number(u);
      return Field::kDecoded;
    case Tag(140, kI64): {
      uint64_t key;
      if (!ReadFixed64(w, &key)) return Field::kBad;
      m->set_key(key);
      return Field::kDecoded;
    }
    default:
      return Field::kNotMine;
  }
}

// Flow's kernel state: protocol state, mark, zone, timeout, labels,
// secctx, and its times.
Field DecodeFlowState(uint32_t tag, Wire& w, v1::Flow* m) {
  uint32_t u;
  int e;
  int64_t i64;
  switch (tag) {
    case Tag(9, kVarint):
      if (!ReadEnum(w, &e)) return Field::kBad;
      m->set_tcp_state(static_cast<v1::TcpState>(e));
      return Field::kDecoded;
    case Tag(10, kVarint):
      if (!ReadEnum(w, &e)) return Field::kBad;
      m->set_sctp_state(static_cast<v1::SctpState>(e));
      return Field::kDecoded;
    case Tag(11, kVarint):
      if (!ReadEnum(w, &e)) return Field::kBad;
      m->set_dccp_state(static_cast<v1::DccpState>(e));
      return Field::kDecoded;
    case Tag(13, kVarint):
    case Tag(14, kVarint):
    case Tag(15, kVarint):
      if (!ReadU32(w, &u)) return Field::kBad;
      if (tag == Tag(13, kVarint)) m->set_mark(u);
      if (tag == Tag(14, kVarint)) m->set_zone(u);
      if (tag == Tag(15, kVarint)) m->set_timeout_seconds(u);
      return Field::kDecoded;
    case Tag(16, kLen):
      return Result(ReadBytes(w, m->mutable_labels()));
    case Tag(17, kLen):
      return Result(ReadString(w, m->mutable_secctx()));
    case Tag(22, kVarint):
    case Tag(23, kVarint):
    case Tag(24, kVarint):
      if (!ReadI64(w, &i64)) return Field::kBad;
      if (tag == Tag(22, kVarint)) m->set_start_unix_nanos(i64);
      if (tag == Tag(23, kVarint)) m->set_stop_unix_nanos(i64);
      if (tag == Tag(24, kVarint)) m->set_first_seen_unix_nanos(i64);
      return Field::kDecoded;
    default:
      return Field::kNotMine;
  }
}

// Decodes a length-delimited sub-message of `m` into the one `m` holds, or
// (the first time in this record) into `spare` or one from `pool`.
template <typename T, typename Decode>
Field DecodeSub(Wire& w, v1::Flow* m, bool (v1::Flow::*has)() const,
                void (v1::Flow::*set_allocated)(T*), T* (v1::Flow::*get)(),
                T*& spare, EventDecoder::Pool<T>& pool, Decode decode) {
  const bool first = !(m->*has)();
  if (first) (m->*set_allocated)(Reuse(spare, pool));
  absl::string_view sub;
  return Result(ReadLen(w, &sub) && decode(WireOf(sub), (m->*get)(), first));
}

// Flow's sub-messages: tuples, status, counters, rates, enrichment.
Field DecodeFlowParts(uint32_t tag, Wire& w, v1::Flow* m, FlowSpares& spare,
                      Pools& pools) {
  using F = v1::Flow;
  switch (tag) {
    case Tag(7, kLen):
      return DecodeSub(w, m, &F::has_original, &F::set_allocated_original,
                       &F::mutable_original, spare.original, pools.tuples, DecodeTuple);
    case Tag(8, kLen):
      return DecodeSub(w, m, &F::has_reply, &F::set_allocated_reply,
                       &F::mutable_reply, spare.reply, pools.tuples, DecodeTuple);
    case Tag(12, kLen):
      return DecodeSub(w, m, &F::has_status, &F::set_allocated_status,
                       &F::mutable_status, spare.status, pools.statuses, DecodeStatus);
    case Tag(18, kLen):
      return DecodeSub(w, m, &F::has_original_counters,
                       &F::set_allocated_original_counters, &F::mutable_original_counters,
                       spare.original_counters, pools.counters, DecodeCounters);
    case Tag(19, kLen):
      return DecodeSub(w, m, &F::has_reply_counters, &F::set_allocated_reply_counters,
                       &F::mutable_reply_counters, spare.reply_counters, pools.counters,
                       DecodeCounters);
    case Tag(20, kLen):
      return DecodeSub(w, m, &F::has_original_rate, &F::set_allocated_original_rate,
                       &F::mutable_original_rate, spare.original_rate, pools.rates,
                       DecodeRate);
    case Tag(21, kLen):
      return DecodeSub(w, m, &F::has_reply_rate, &F::set_allocated_reply_rate,
                       &F::mutable_reply_rate, spare.reply_rate, pools.rates, DecodeRate);
    case Tag(25, kLen):
      return DecodeSub(w, m, &F::has_enrichment, &F::set_allocated_enrichment,
                       &F::mutable_enrichment, spare.enrichment, pools.enrichments,
                       [&pools](Wire sub, v1::Enrichment* e, bool first) {
                         return DecodeEnrichment(sub, e, first, pools);
                       });
    default:
      return Field::kNotMine;
  }
}

// Decodes every field of a Flow: each field goes to the group that knows
// its number; a number no group knows fails the record.
bool DecodeFlowFields(Wire w, v1::Flow* m, FlowSpares& spare, Pools& pools) {
  uint32_t tag;
  while (w.p != w.end) {
    if (!ReadShort(w, &tag)) return false;
    Field field = DecodeFlowIdentity(tag, w, m);
    if (field == Field::kNotMine) field = DecodeFlowState(tag, w, m);
    if (field == Field::kNotMine) field = DecodeFlowParts(tag, w, m, spare, pools);
    if (field != Field::kDecoded) return false;
  }
  return true;
}

bool DecodeFlow(Wire w, v1::Flow* m, bool fresh, Pools& pools) {
  FlowSpares spare;
  if (fresh) {
    if (m->has_original()) spare.original = m->release_original();
    if (m->has_reply()) spare.reply = m->release_reply();
    if (m->has_status()) spare.status = m->release_status();
    if (m->has_original_counters()) spare.original_counters = m->release_original_counters();
    if (m->has_reply_counters()) spare.reply_counters = m->release_reply_counters();
    if (m->has_original_rate()) spare.original_rate = m->release_original_rate();
    if (m->has_reply_rate()) spare.reply_rate = m->release_reply_rate();
    if (m->has_enrichment()) spare.enrichment = m->release_enrichment();
    m->Clear();
  }
  const bool ok = DecodeFlowFields(w, m, spare, pools);
  pools.tuples.Give(spare.original);
  pools.tuples.Give(spare.reply);
  pools.statuses.Give(spare.status);
  pools.counters.Give(spare.original_counters);
  pools.counters.Give(spare.reply_counters);
  pools.rates.Give(spare.original_rate);
  pools.rates.Give(spare.reply_rate);
  pools.enrichments.Give(spare.enrichment);
  return ok;
}

bool DecodeLost(Wire w, v1::LostEvents* m, bool fresh) {
  if (fresh) m->Clear();
  uint32_t tag;
  uint64_t v;
  int e;
  while (w.p != w.end) {
    if (!ReadShort(w, &tag)) return false;
    switch (tag) {
      case Tag(1, kVarint):
        if (!ReadEnum(w, &e)) return false;
        m->set_source(static_cast<v1::LossSource>(e));
        break;
      case Tag(2, kVarint):
        if (!ReadVarint(w, &v)) return false;
        m->set_count(v);
        break;
      case Tag(3, kLen):
        if (!ReadString(w, m->mutable_detail())) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

// The FlowEvent level. NodeStatus (field 7, STATUS events: a handful per
// recording) is left to the parser.
bool DecodeEventFields(Wire w, v1::FlowEvent* m, v1::Flow*& flow,
                       v1::LostEvents*& lost, Pools& pools) {
  uint32_t tag;
  uint64_t v;
  int e;
  absl::string_view sub;
  while (w.p != w.end) {
    if (!ReadShort(w, &tag)) return false;
    switch (tag) {
      case Tag(1, kVarint):
        if (!ReadVarint(w, &v)) return false;
        m->set_seq(v);
        break;
      case Tag(2, kVarint):
        if (!ReadVarint(w, &v)) return false;
        m->set_time_unix_nanos(static_cast<int64_t>(v));
        break;
      case Tag(3, kVarint):
        if (!ReadEnum(w, &e)) return false;
        m->set_type(static_cast<v1::EventType>(e));
        break;
      case Tag(4, kLen):
        if (!ReadString(w, m->mutable_node())) return false;
        break;
      case Tag(5, kLen): {
        const bool first = !m->has_flow();
        if (first) m->set_allocated_flow(Reuse(flow, pools.flows));
        if (!ReadLen(w, &sub) || !DecodeFlow(WireOf(sub), m->mutable_flow(), first, pools)) {
          return false;
        }
        break;
      }
      case Tag(6, kLen): {
        const bool first = !m->has_lost();
        if (first) m->set_allocated_lost(Reuse(lost, pools.losts));
        if (!ReadLen(w, &sub) || !DecodeLost(WireOf(sub), m->mutable_lost(), first)) {
          return false;
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

bool EventDecoder::Decode(absl::string_view bytes, v1::FlowEvent* event) {
  v1::Flow* flow = event->has_flow() ? event->release_flow() : nullptr;
  v1::LostEvents* lost = event->has_lost() ? event->release_lost() : nullptr;
  event->Clear();
  const bool fast = DecodeEventFields(WireOf(bytes), event, flow, lost, pools_);
  pools_.flows.Give(flow);
  pools_.losts.Give(lost);
  if (ABSL_PREDICT_TRUE(fast)) {
    ++stats_.fast;
    return true;
  }
  ++stats_.fallback;
  return event->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace flowtop::replay
