#include "collector/conntrack_parser.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/flow_key.h"

namespace flowtop::collector {
namespace {

// Where the time goes (callgrind, //bench/collector:parser_instructions):
// a message has ~27 attributes in ~10 groups (top level and nested), so
// per-group and per-attribute overheads dominate, not the conversions; the
// old validate callbacks through mnl_attr_parse_nested plus a Clear() of the
// event cost 4,270 instructions per event, this 2,621. Hence: one loop
// over libmnl's iterator per group with the rules in a table (no callback
// per attribute, no status object per group), errors built only when they
// happen, and an event that is overwritten in place rather than cleared
// (see ParseConntrackMessage). libmnl 1.0.4's iterator (mnl_attr_ok,
// mnl_attr_next) is two library calls per attribute, ~16% of what remains.

// --- Reading attributes (lengths validated before use). ---------------------

inline const char* Payload(const nlattr* a) {
  return reinterpret_cast<const char*>(a) + MNL_ATTR_HDRLEN;
}
inline uint16_t PayloadLen(const nlattr* a) {
  return static_cast<uint16_t>(a->nla_len - MNL_ATTR_HDRLEN);
}
template <typename T>
inline T Get(const nlattr* a) {
  T v;
  std::memcpy(&v, Payload(a), sizeof(v));
  return v;
}
// Absent optional attributes read as 0, the field's default.
inline uint32_t U8Or0(const nlattr* a) {
  return a == nullptr ? 0 : Get<uint8_t>(a);
}
inline uint32_t U16Or0(const nlattr* a) {
  return a == nullptr ? 0 : ntohs(Get<uint16_t>(a));
}
inline uint32_t U32Or0(const nlattr* a) {
  return a == nullptr ? 0 : ntohl(Get<uint32_t>(a));
}

// Copies an attribute's payload into `out` reusing its capacity. Both
// calls are avoided on the hot path: resize() only when the size changes
// (an address of another family than the previous message's; libstdc++
// does not inline it), and the copy of an address is a fixed-size move
// rather than a memcpy call (std::string::assign would call _M_replace).
inline void AssignPayload(std::string& out, const nlattr* a) {
  const size_t n = PayloadLen(a);
  if (out.size() != n) out.resize(n);
  if (n == 4) {
    std::memcpy(&out[0], Payload(a), 4);
  } else if (n == 16) {
    std::memcpy(&out[0], Payload(a), 16);
  } else if (n > 0) {
    std::memcpy(&out[0], Payload(a), n);
  }
}

// --- Validation rules, one table per attribute group. ------------------------

// How an attribute type is checked before its payload is read; the same
// rules as libmnl's mnl_attr_validate2 for the data types we use.
enum class Check : uint8_t {
  kSkip,       // known to the kernel headers but not shown: not read
  kExact,      // payload of exactly `len` bytes (integers, addresses, flags)
  kNested,     // a nested group: empty or at least one attribute header
  kMaxLen,     // at most `len` bytes (labels)
  kNulString,  // NUL-terminated string
};

struct Rule {
  Check check;
  uint8_t len;
};

constexpr Rule kSkip = {Check::kSkip, 0};
constexpr Rule kU8 = {Check::kExact, 1};
constexpr Rule kU16 = {Check::kExact, 2};
constexpr Rule kU32 = {Check::kExact, 4};
constexpr Rule kU64 = {Check::kExact, 8};
constexpr Rule kNested = {Check::kNested, 0};
constexpr Rule kNulString = {Check::kNulString, 0};
constexpr Rule Exact(uint8_t len) { return {Check::kExact, len}; }
constexpr Rule MaxLen(uint8_t len) { return {Check::kMaxLen, len}; }

// A group's rules indexed by attribute type, 0..kMax (its *_MAX from the
// kernel headers; higher types are newer than this code and skipped).
template <int kMax>
struct Rules {
  Rule of[kMax + 1];
};

template <int kMax>
constexpr Rules<kMax> MakeRules(Rule (*rule_of)(int type)) {
  Rules<kMax> rules = {};
  for (int type = 0; type <= kMax; ++type) rules.of[type] = rule_of(type);
  return rules;
}

constexpr Rule ConntrackRule(int type) {
  switch (type) {
    case CTA_TUPLE_ORIG:
    case CTA_TUPLE_REPLY:
    case CTA_PROTOINFO:
    case CTA_COUNTERS_ORIG:
    case CTA_COUNTERS_REPLY:
    case CTA_TIMESTAMP:
    case CTA_SECCTX:
      return kNested;
    case CTA_STATUS:
    case CTA_TIMEOUT:
    case CTA_MARK:
    case CTA_ID:
      return kU32;
    case CTA_ZONE:
      return kU16;
    case CTA_LABELS:
      return MaxLen(16);  // 128 label bits
    default:
      return kSkip;  // helper, NAT sequence adjustment, use count...
  }
}

constexpr Rule TupleRule(int type) {
  switch (type) {
    case CTA_TUPLE_IP:
    case CTA_TUPLE_PROTO:
      return kNested;
    case CTA_TUPLE_ZONE:
      return kU16;
    default:
      return kSkip;
  }
}

constexpr Rule IpRule(int type) {
  switch (type) {
    case CTA_IP_V4_SRC:
    case CTA_IP_V4_DST:
      return Exact(4);
    case CTA_IP_V6_SRC:
    case CTA_IP_V6_DST:
      return Exact(16);
    default:
      return kSkip;
  }
}

constexpr Rule ProtoRule(int type) {
  switch (type) {
    case CTA_PROTO_NUM:
    case CTA_PROTO_ICMP_TYPE:
    case CTA_PROTO_ICMP_CODE:
    case CTA_PROTO_ICMPV6_TYPE:
    case CTA_PROTO_ICMPV6_CODE:
      return kU8;
    case CTA_PROTO_SRC_PORT:
    case CTA_PROTO_DST_PORT:
    case CTA_PROTO_ICMP_ID:
    case CTA_PROTO_ICMPV6_ID:
      return kU16;
    default:
      return kSkip;
  }
}

constexpr Rule ProtoinfoRule(int type) {
  switch (type) {
    case CTA_PROTOINFO_TCP:
    case CTA_PROTOINFO_DCCP:
    case CTA_PROTOINFO_SCTP:
      return kNested;
    default:
      return kSkip;
  }
}

constexpr Rule TcpInfoRule(int type) {
  switch (type) {
    case CTA_PROTOINFO_TCP_STATE:
    case CTA_PROTOINFO_TCP_WSCALE_ORIGINAL:
    case CTA_PROTOINFO_TCP_WSCALE_REPLY:
      return kU8;
    case CTA_PROTOINFO_TCP_FLAGS_ORIGINAL:
    case CTA_PROTOINFO_TCP_FLAGS_REPLY:
      return Exact(2);  // struct nf_ct_tcp_flags
    default:
      return kSkip;
  }
}

constexpr Rule DccpInfoRule(int type) {
  switch (type) {
    case CTA_PROTOINFO_DCCP_STATE:
    case CTA_PROTOINFO_DCCP_ROLE:
      return kU8;
    case CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ:
      return kU64;
    default:
      return kSkip;
  }
}

constexpr Rule SctpInfoRule(int type) {
  switch (type) {
    case CTA_PROTOINFO_SCTP_STATE:
      return kU8;
    case CTA_PROTOINFO_SCTP_VTAG_ORIGINAL:
    case CTA_PROTOINFO_SCTP_VTAG_REPLY:
      return kU32;
    default:
      return kSkip;
  }
}

constexpr Rule CountersRule(int type) {
  switch (type) {
    case CTA_COUNTERS_PACKETS:
    case CTA_COUNTERS_BYTES:
      return kU64;
    case CTA_COUNTERS32_PACKETS:
    case CTA_COUNTERS32_BYTES:
      return kU32;
    default:
      return kSkip;
  }
}

constexpr Rule TimestampRule(int type) {
  switch (type) {
    case CTA_TIMESTAMP_START:
    case CTA_TIMESTAMP_STOP:
      return kU64;
    default:
      return kSkip;
  }
}

constexpr Rule SecctxRule(int type) {
  return type == CTA_SECCTX_NAME ? kNulString : kSkip;
}

constexpr auto kConntrackRules = MakeRules<CTA_MAX>(ConntrackRule);
constexpr auto kTupleRules = MakeRules<CTA_TUPLE_MAX>(TupleRule);
constexpr auto kIpRules = MakeRules<CTA_IP_MAX>(IpRule);
constexpr auto kProtoRules = MakeRules<CTA_PROTO_MAX>(ProtoRule);
constexpr auto kProtoinfoRules = MakeRules<CTA_PROTOINFO_MAX>(ProtoinfoRule);
constexpr auto kTcpInfoRules = MakeRules<CTA_PROTOINFO_TCP_MAX>(TcpInfoRule);
constexpr auto kDccpInfoRules = MakeRules<CTA_PROTOINFO_DCCP_MAX>(DccpInfoRule);
constexpr auto kSctpInfoRules = MakeRules<CTA_PROTOINFO_SCTP_MAX>(SctpInfoRule);
constexpr auto kCountersRules = MakeRules<CTA_COUNTERS_MAX>(CountersRule);
constexpr auto kTimestampRules = MakeRules<CTA_TIMESTAMP_MAX>(TimestampRule);
constexpr auto kSecctxRules = MakeRules<CTA_SECCTX_MAX>(SecctxRule);

inline bool Satisfies(const nlattr* a, Rule rule) {
  const size_t len = PayloadLen(a);
  switch (rule.check) {
    case Check::kExact:
      return len == rule.len;
    case Check::kNested:
      return len == 0 || len >= MNL_ATTR_HDRLEN;
    case Check::kMaxLen:
      return len <= rule.len;
    case Check::kNulString:
      return len > 0 && Payload(a)[len - 1] == '\0';
    case Check::kSkip:
      break;
  }
  return true;
}

// --- Parsing a group. --------------------------------------------------------

// Stores `status` in `error` and returns false, so that a failing check
// reads `return Fail(error, ...)`.
bool Fail(absl::Status& error, absl::Status status) {
  error = std::move(status);
  return false;
}

bool RuleError(absl::Status& error, const char* group, const nlattr* a,
               Rule rule) {
  return Fail(error, absl::InvalidArgumentError(absl::StrCat(
                         "conntrack message: ", group, " attribute type ",
                         a->nla_type & NLA_TYPE_MASK, ": ",
                         rule.check == Check::kMaxLen ? "payload too long"
                                                      : "wrong payload length",
                         " (", PayloadLen(a), " bytes)")));
}

// A group's validated attributes by type; nullptr where absent.
template <int kMax>
struct Attrs {
  const nlattr* tb[kMax + 1];
  const nlattr* operator[](int type) const { return tb[type]; }
};

// Validates every attribute in payload[0, len) against `rules` and records
// the ones it reads in `out` by type (the last of duplicates wins); unknown
// and unread types are skipped. The iteration is libmnl's
// (mnl_attr_for_each_payload: mnl_attr_ok bounds each attribute by what is
// left of its container, mnl_attr_next steps to the next aligned one); an
// inline loop instead of mnl_attr_parse_nested saves an indirect callback
// per attribute and lets the rules be a table lookup.
// Returns false with `error` set when an attribute breaks its rule, or when
// bytes are left that do not form an attribute (a length that overruns the
// container, or a truncated attribute): mnl_attr_ok stops there silently.
template <int kMax>
bool ParseGroup(const char* payload, size_t len, const Rules<kMax>& rules,
                const char* group, Attrs<kMax>& out, absl::Status& error) {
  std::fill_n(out.tb, kMax + 1, nullptr);
  const nlattr* attr;
  mnl_attr_for_each_payload(reinterpret_cast<const nlattr*>(payload), len) {
    const int type = attr->nla_type & NLA_TYPE_MASK;
    if (type > kMax) continue;  // newer than our headers
    const Rule rule = rules.of[type];
    if (rule.check == Check::kSkip) continue;
    if (!Satisfies(attr, rule)) return RuleError(error, group, attr, rule);
    out.tb[type] = attr;
  }
  const char* stop = reinterpret_cast<const char*>(attr);
  if (stop < payload + len) {
    return Fail(error,
                absl::InvalidArgumentError(absl::StrCat(
                    "conntrack message: ", group, ": ", payload + len - stop,
                    " trailing bytes do not form an attribute (length "
                    "overruns or truncated)")));
  }
  return true;
}

template <int kMax>
bool ParseNested(const nlattr* parent, const Rules<kMax>& rules,
                 const char* group, Attrs<kMax>& out, absl::Status& error) {
  return ParseGroup(Payload(parent), PayloadLen(parent), rules, group, out,
                    error);
}

// --- Groups into fields. -----------------------------------------------------
// Each writes every field it owns, from the message or back to the default:
// the event is reused and is not cleared first.

bool ParseTuple(const nlattr* attr, uint8_t family, const char* name,
                v1::Tuple& tuple, uint8_t& proto_num, absl::Status& error) {
  Attrs<CTA_TUPLE_MAX> t;
  if (!ParseNested(attr, kTupleRules, name, t, error)) return false;
  // The text addresses are for clients; a reused event may carry old ones.
  if (!tuple.src_addr().empty()) tuple.clear_src_addr();
  if (!tuple.dst_addr().empty()) tuple.clear_dst_addr();
  if (t[CTA_TUPLE_IP] == nullptr || t[CTA_TUPLE_PROTO] == nullptr) {
    return Fail(error, absl::InvalidArgumentError(
                           absl::StrCat("conntrack message: ", name,
                                        " lacks its IP or protocol part")));
  }
  Attrs<CTA_IP_MAX> ip;
  if (!ParseNested(t[CTA_TUPLE_IP], kIpRules, "tuple IP", ip, error)) {
    return false;
  }
  const bool v6 = family == AF_INET6;
  const nlattr* src = ip[v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC];
  const nlattr* dst = ip[v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST];
  if (src == nullptr || dst == nullptr) {
    return Fail(error, absl::InvalidArgumentError(absl::StrCat(
                           "conntrack message: ", name, " lacks ",
                           v6 ? "IPv6" : "IPv4", " source or destination")));
  }
  Attrs<CTA_PROTO_MAX> p;
  if (!ParseNested(t[CTA_TUPLE_PROTO], kProtoRules, "tuple protocol", p,
                   error)) {
    return false;
  }
  if (p[CTA_PROTO_NUM] == nullptr) {
    return Fail(
        error, absl::InvalidArgumentError(absl::StrCat(
                   "conntrack message: ", name, " lacks the protocol number")));
  }
  proto_num = Get<uint8_t>(p[CTA_PROTO_NUM]);
  AssignPayload(*tuple.mutable_src_ip(), src);
  AssignPayload(*tuple.mutable_dst_ip(), dst);
  tuple.set_src_port(U16Or0(p[CTA_PROTO_SRC_PORT]));
  tuple.set_dst_port(U16Or0(p[CTA_PROTO_DST_PORT]));
  const bool icmpv6 =
      p[CTA_PROTO_ICMPV6_TYPE] != nullptr || p[CTA_PROTO_ICMPV6_ID] != nullptr;
  tuple.set_icmp_type(
      U8Or0(p[icmpv6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE]));
  tuple.set_icmp_code(
      U8Or0(p[icmpv6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE]));
  tuple.set_icmp_id(
      U16Or0(p[icmpv6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID]));
  return true;
}

bool ParseCounters(const nlattr* attr, const char* name, v1::Counters& out,
                   absl::Status& error) {
  Attrs<CTA_COUNTERS_MAX> c;
  if (!ParseNested(attr, kCountersRules, name, c, error)) return false;
  uint64_t packets = 0, bytes = 0;
  if (c[CTA_COUNTERS_PACKETS] != nullptr) {
    packets = be64toh(Get<uint64_t>(c[CTA_COUNTERS_PACKETS]));
  } else if (c[CTA_COUNTERS32_PACKETS] != nullptr) {
    packets = ntohl(Get<uint32_t>(c[CTA_COUNTERS32_PACKETS]));
  }
  if (c[CTA_COUNTERS_BYTES] != nullptr) {
    bytes = be64toh(Get<uint64_t>(c[CTA_COUNTERS_BYTES]));
  } else if (c[CTA_COUNTERS32_BYTES] != nullptr) {
    bytes = ntohl(Get<uint32_t>(c[CTA_COUNTERS32_BYTES]));
  }
  out.set_packets(packets);
  out.set_bytes(bytes);
  return true;
}

// Sets the flow's state oneof from CTA_PROTOINFO, or clears it.
bool ParseProtoinfo(const nlattr* attr, v1::Flow& flow, absl::Status& error) {
  if (attr == nullptr) {
    if (flow.state_case() != v1::Flow::STATE_NOT_SET) flow.clear_state();
    return true;
  }
  Attrs<CTA_PROTOINFO_MAX> pi;
  if (!ParseNested(attr, kProtoinfoRules, "protoinfo", pi, error)) {
    return false;
  }
  if (pi[CTA_PROTOINFO_TCP] != nullptr) {
    Attrs<CTA_PROTOINFO_TCP_MAX> g;
    if (!ParseNested(pi[CTA_PROTOINFO_TCP], kTcpInfoRules, "TCP protoinfo", g,
                     error)) {
      return false;
    }
    if (g[CTA_PROTOINFO_TCP_STATE] != nullptr) {
      flow.set_tcp_state(
          TcpStateFromKernel(Get<uint8_t>(g[CTA_PROTOINFO_TCP_STATE])));
      return true;
    }
  } else if (pi[CTA_PROTOINFO_SCTP] != nullptr) {
    Attrs<CTA_PROTOINFO_SCTP_MAX> g;
    if (!ParseNested(pi[CTA_PROTOINFO_SCTP], kSctpInfoRules, "SCTP protoinfo",
                     g, error)) {
      return false;
    }
    if (g[CTA_PROTOINFO_SCTP_STATE] != nullptr) {
      flow.set_sctp_state(
          SctpStateFromKernel(Get<uint8_t>(g[CTA_PROTOINFO_SCTP_STATE])));
      return true;
    }
  } else if (pi[CTA_PROTOINFO_DCCP] != nullptr) {
    Attrs<CTA_PROTOINFO_DCCP_MAX> g;
    if (!ParseNested(pi[CTA_PROTOINFO_DCCP], kDccpInfoRules, "DCCP protoinfo",
                     g, error)) {
      return false;
    }
    if (g[CTA_PROTOINFO_DCCP_STATE] != nullptr) {
      flow.set_dccp_state(
          DccpStateFromKernel(Get<uint8_t>(g[CTA_PROTOINFO_DCCP_STATE])));
      return true;
    }
  }
  if (flow.state_case() != v1::Flow::STATE_NOT_SET) flow.clear_state();
  return true;
}

void SetStatus(uint32_t bits, v1::FlowStatus& st) {
  st.set_raw(bits);
  st.set_expected(bits & (1u << 0));
  st.set_seen_reply(bits & (1u << 1));
  st.set_assured(bits & (1u << 2));
  st.set_confirmed(bits & (1u << 3));
  st.set_src_nat(bits & (1u << 4));
  st.set_dst_nat(bits & (1u << 5));
  st.set_dying(bits & (1u << 9));
  st.set_offload(bits & (1u << 14));
  st.set_hw_offload(bits & (1u << 15));
}

}  // namespace

v1::TcpState TcpStateFromKernel(uint8_t state) {
  // TCP_CONNTRACK_NONE (0) .. TCP_CONNTRACK_SYN_SENT2 (9).
  return state <= 9 ? static_cast<v1::TcpState>(state + 1)
                    : v1::TCP_STATE_UNSPECIFIED;
}

v1::SctpState SctpStateFromKernel(uint8_t state) {
  // SCTP_CONNTRACK_NONE (0) .. SCTP_CONNTRACK_HEARTBEAT_ACKED (9).
  return state <= 9 ? static_cast<v1::SctpState>(state + 1)
                    : v1::SCTP_STATE_UNSPECIFIED;
}

v1::DccpState DccpStateFromKernel(uint8_t state) {
  // CT_DCCP_NONE (0) .. CT_DCCP_INVALID (9).
  return state <= 9 ? static_cast<v1::DccpState>(state + 1)
                    : v1::DCCP_STATE_UNSPECIFIED;
}

bool IsConntrackMessage(const void* data, size_t len) {
  if (len < sizeof(nlmsghdr)) return false;
  nlmsghdr nlh;
  std::memcpy(&nlh, data, sizeof(nlh));
  if (NFNL_SUBSYS_ID(nlh.nlmsg_type) != NFNL_SUBSYS_CTNETLINK) return false;
  const int msg = NFNL_MSG_TYPE(nlh.nlmsg_type);
  return msg == IPCTNL_MSG_CT_NEW || msg == IPCTNL_MSG_CT_DELETE;
}

namespace {

// Resets the fields the parser does not own: other stages fill them (the
// pipeline stamps seq, time, node and the flow id; enrichment; rates), and
// KernelSource swaps its parse target with batch slots that went through
// them. They are almost always at their defaults already, hence the checks
// before clearing. (Events reused here are built in memory, never parsed
// from the wire, so they carry no unknown fields.)
void ResetFieldsOfOtherStages(v1::FlowEvent& event) {
  event.set_seq(0);
  event.set_time_unix_nanos(0);
  if (!event.node().empty()) event.clear_node();
  if (event.has_lost()) event.clear_lost();
  if (event.has_status()) event.clear_status();
  if (!event.has_flow()) return;
  v1::Flow& flow = *event.mutable_flow();
  if (!flow.id().empty()) flow.clear_id();
  if (!flow.node().empty()) flow.clear_node();
  if (flow.has_original_rate()) flow.clear_original_rate();
  if (flow.has_reply_rate()) flow.clear_reply_rate();
  flow.set_first_seen_unix_nanos(0);
  if (flow.has_enrichment()) flow.clear_enrichment();
}

// Returns what a message of this type and these flags tells: a flow ended,
// one line of a dump, a new flow, or a change.
v1::EventType EventTypeOf(const nlmsghdr* nlh) {
  const int msg = NFNL_MSG_TYPE(nlh->nlmsg_type);
  if (msg == IPCTNL_MSG_CT_DELETE) return v1::DESTROY;
  if (nlh->nlmsg_flags & NLM_F_MULTI) return v1::SNAPSHOT;
  if ((nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ==
      (NLM_F_CREATE | NLM_F_EXCL)) {
    return v1::NEW;
  }
  return v1::UPDATE;
}

// Fills the tuples, the protocol and the protocol state.
bool FillTuplesAndState(uint8_t family, const Attrs<CTA_MAX>& tb,
                        v1::Flow& flow, absl::Status& error) {
  uint8_t proto = 0;
  if (!ParseTuple(tb[CTA_TUPLE_ORIG], family, "original tuple",
                  *flow.mutable_original(), proto, error)) {
    return false;
  }
  flow.set_protocol(static_cast<v1::L4Protocol>(proto));
  flow.set_protocol_number(proto);
  if (tb[CTA_TUPLE_REPLY] != nullptr) {
    uint8_t reply_proto = 0;
    if (!ParseTuple(tb[CTA_TUPLE_REPLY], family, "reply tuple",
                    *flow.mutable_reply(), reply_proto, error)) {
      return false;
    }
  } else if (flow.has_reply()) {
    flow.clear_reply();
  }
  return ParseProtoinfo(tb[CTA_PROTOINFO], flow, error);
}

// Fills status, mark, zone, the key, timeout and labels.
void FillConntrackFields(const Attrs<CTA_MAX>& tb, v1::Flow& flow) {
  if (tb[CTA_STATUS] != nullptr) {
    SetStatus(ntohl(Get<uint32_t>(tb[CTA_STATUS])), *flow.mutable_status());
  } else if (flow.has_status()) {
    flow.clear_status();
  }
  flow.set_mark(U32Or0(tb[CTA_MARK]));
  flow.set_zone(U16Or0(tb[CTA_ZONE]));
  // Conntrack ids collide; the key adds the flow's identity (flow_key.h).
  flow.set_key(core::ComputeFlowKey(flow));
  flow.set_timeout_seconds(U32Or0(tb[CTA_TIMEOUT]));
  if (tb[CTA_LABELS] != nullptr) {
    AssignPayload(*flow.mutable_labels(), tb[CTA_LABELS]);
  } else if (!flow.labels().empty()) {
    flow.clear_labels();
  }
}

// Fills the counters of both directions. They stay allocated between
// messages that have them (dumps: every message); absent means unknown,
// so a message without them clears.
bool FillCounters(const Attrs<CTA_MAX>& tb, v1::Flow& flow, absl::Status& error) {
  if (tb[CTA_COUNTERS_ORIG] != nullptr) {
    if (!ParseCounters(tb[CTA_COUNTERS_ORIG], "original counters",
                       *flow.mutable_original_counters(), error)) {
      return false;
    }
  } else if (flow.has_original_counters()) {
    flow.clear_original_counters();
  }
  if (tb[CTA_COUNTERS_REPLY] != nullptr) {
    if (!ParseCounters(tb[CTA_COUNTERS_REPLY], "reply counters",
                       *flow.mutable_reply_counters(), error)) {
      return false;
    }
  } else if (flow.has_reply_counters()) {
    flow.clear_reply_counters();
  }
  return true;
}

// Fills the start and stop timestamps (nf_conntrack_timestamp).
bool FillTimestamps(const Attrs<CTA_MAX>& tb, v1::Flow& flow, absl::Status& error) {
  const nlattr* start = nullptr;
  const nlattr* stop = nullptr;
  if (tb[CTA_TIMESTAMP] != nullptr) {
    Attrs<CTA_TIMESTAMP_MAX> ts;
    if (!ParseNested(tb[CTA_TIMESTAMP], kTimestampRules, "timestamp", ts,
                     error)) {
      return false;
    }
    start = ts[CTA_TIMESTAMP_START];
    stop = ts[CTA_TIMESTAMP_STOP];
  }
  if (start != nullptr) {
    flow.set_start_unix_nanos(
        static_cast<int64_t>(be64toh(Get<uint64_t>(start))));
  } else {
    flow.clear_start_unix_nanos();
  }
  if (stop != nullptr) {
    flow.set_stop_unix_nanos(
        static_cast<int64_t>(be64toh(Get<uint64_t>(stop))));
  } else {
    flow.clear_stop_unix_nanos();
  }
  return true;
}

// Fills the security context's name.
bool FillSecctx(const Attrs<CTA_MAX>& tb, v1::Flow& flow, absl::Status& error) {
  const nlattr* secctx = nullptr;
  if (tb[CTA_SECCTX] != nullptr) {
    Attrs<CTA_SECCTX_MAX> sc;
    if (!ParseNested(tb[CTA_SECCTX], kSecctxRules, "security context", sc,
                     error)) {
      return false;
    }
    secctx = sc[CTA_SECCTX_NAME];
  }
  if (secctx != nullptr) {
    flow.set_secctx(Payload(secctx));  // NUL-terminated (validated)
  } else if (!flow.secctx().empty()) {
    flow.clear_secctx();
  }
  return true;
}

// Fills the event from the validated top-level attributes `tb`. Returns
// false with `error` set when a nested group is malformed.
bool FillEvent(const nlmsghdr* nlh, uint8_t family, const Attrs<CTA_MAX>& tb,
               v1::FlowEvent& event, absl::Status& error) {
  ResetFieldsOfOtherStages(event);
  event.set_type(EventTypeOf(nlh));
  v1::Flow& flow = *event.mutable_flow();
  flow.set_conntrack_id(ntohl(Get<uint32_t>(tb[CTA_ID])));
  flow.set_family(family == AF_INET6 ? v1::IPV6 : v1::IPV4);
  if (!FillTuplesAndState(family, tb, flow, error)) return false;
  FillConntrackFields(tb, flow);
  return FillCounters(tb, flow, error) && FillTimestamps(tb, flow, error) &&
         FillSecctx(tb, flow, error);
}

}  // namespace

absl::Status ParseConntrackMessage(const void* data, size_t len,
                                   v1::FlowEvent& event) {
  if (len < sizeof(nlmsghdr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "conntrack message: ", len, " bytes is shorter than a netlink header"));
  }
  const auto* nlh = static_cast<const nlmsghdr*>(data);
  if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > len) {
    return absl::InvalidArgumentError(
        absl::StrCat("conntrack message: nlmsg_len ", nlh->nlmsg_len,
                     " does not fit the ", len, " bytes received"));
  }
  if (nlh->nlmsg_len % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("conntrack message: nlmsg_len ", nlh->nlmsg_len,
                     " is not 4-byte aligned"));
  }
  if (!IsConntrackMessage(data, len)) {
    return absl::UnimplementedError(
        absl::StrCat("netlink message type 0x", absl::Hex(nlh->nlmsg_type),
                     " is not a conntrack NEW/DELETE message"));
  }
  constexpr size_t kAttrsOffset =
      MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg));
  if (nlh->nlmsg_len < kAttrsOffset) {
    return absl::InvalidArgumentError(
        "conntrack message: too short for its nfgenmsg header");
  }
  const char* bytes = static_cast<const char*>(data);
  const uint8_t family =
      reinterpret_cast<const nfgenmsg*>(bytes + MNL_NLMSG_HDRLEN)->nfgen_family;

  Attrs<CTA_MAX> tb;
  absl::Status error;
  if (!ParseGroup(bytes + kAttrsOffset, nlh->nlmsg_len - kAttrsOffset,
                  kConntrackRules, "conntrack", tb, error)) {
    return error;
  }
  if (tb[CTA_TUPLE_ORIG] == nullptr) {
    return absl::InvalidArgumentError(
        "conntrack message: missing the original tuple (CTA_TUPLE_ORIG)");
  }
  if (tb[CTA_ID] == nullptr) {
    return absl::InvalidArgumentError(
        "conntrack message: missing the flow id (CTA_ID)");
  }
  if (family != AF_INET && family != AF_INET6) {
    return absl::InvalidArgumentError(
        absl::StrCat("conntrack message: address family ", family,
                     " is neither IPv4 nor IPv6"));
  }
  if (!FillEvent(nlh, family, tb, event, error)) return error;
  return absl::OkStatus();
}

}  // namespace flowtop::collector
