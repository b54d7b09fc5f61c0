#include "collector/conntrack_parser.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace flowtop::collector {
namespace {

// Attribute tables sized for the largest group we read; a group's callback
// only writes indices up to its own maximum.
constexpr int kMaxAttr = 32;
static_assert(CTA_MAX < kMaxAttr, "CTA table too small");

// Inline attribute accessors (libmnl's are library calls through the PLT;
// these run for every attribute). Lengths were validated by the callbacks.
inline const void* Payload(const nlattr* a) {
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

// What one nested group's validate callback works on: the table it fills,
// how far valid attributes reached (to detect trailing bytes that do not
// form an attribute: an overrun or a truncation), and the first error.
struct Group {
  const char* name;
  const nlattr* tb[kMaxAttr];
  const char* end;    // end (aligned) of the last accepted attribute
  const char* error;  // static reason, or nullptr
  int error_type;
  size_t error_len;
};

void StartGroup(Group& g, const char* name, const void* payload,
                int max = kMaxAttr - 1) {
  g.name = name;
  std::memset(g.tb, 0, sizeof(g.tb[0]) * (max + 1));
  g.end = static_cast<const char*>(payload);
  g.error = nullptr;
  g.error_type = 0;
  g.error_len = 0;
}

// Records how far the attribute reaches; returns its type.
inline int Note(const nlattr* attr, Group& g) {
  const char* end =
      reinterpret_cast<const char*>(attr) + MNL_ALIGN(attr->nla_len);
  if (end > g.end) g.end = end;
  return attr->nla_type & NLA_TYPE_MASK;  // mnl_attr_get_type, inlined
}

// mnl_attr_type_valid without errno and a library call: types beyond our
// headers' maximum are newer than this code and skipped.
inline bool Unknown(int type, int max) { return type > max; }

// Validates `attr` as `type` with exact payload length `len` (0: the
// type's own length) and stores it in the table. Returns MNL_CB_OK or
// MNL_CB_ERROR with the reason in `g`. The same rules as libmnl's
// mnl_attr_validate2, inlined: this runs for every attribute of every event.
inline int Keep(const nlattr* attr, Group& g, mnl_attr_data_type type,
                size_t len) {
  const size_t payload = attr->nla_len - MNL_ATTR_HDRLEN;
  bool ok;
  switch (type) {
    case MNL_TYPE_U8:
      ok = payload == 1;
      break;
    case MNL_TYPE_U16:
      ok = payload == 2;
      break;
    case MNL_TYPE_U32:
      ok = payload == 4;
      break;
    case MNL_TYPE_U64:
      ok = payload == 8;
      break;
    case MNL_TYPE_NESTED:
      ok = payload == 0 || payload >= MNL_ATTR_HDRLEN;
      break;
    case MNL_TYPE_NUL_STRING:
      ok = payload > 0 &&
           static_cast<const char*>(Payload(attr))[payload - 1] == '\0';
      break;
    default:
      ok = len == 0 || payload == len;
      break;
  }
  if (!ok) {
    g.error = "wrong payload length";
    g.error_type = attr->nla_type & NLA_TYPE_MASK;
    g.error_len = payload;
    return MNL_CB_ERROR;
  }
  g.tb[attr->nla_type & NLA_TYPE_MASK] = attr;
  return MNL_CB_OK;
}

int KeepMaxLen(const nlattr* attr, Group& g, size_t max_len) {
  if (PayloadLen(attr) > max_len) {
    g.error = "payload too long";
    g.error_type = mnl_attr_get_type(attr);
    g.error_len = PayloadLen(attr);
    return MNL_CB_ERROR;
  }
  g.tb[mnl_attr_get_type(attr)] = attr;
  return MNL_CB_OK;
}

// --- One validate callback per attribute group. -----------------------------

int ConntrackCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_MAX)) return MNL_CB_OK;  // newer
  switch (type) {
    case CTA_TUPLE_ORIG:
    case CTA_TUPLE_REPLY:
    case CTA_PROTOINFO:
    case CTA_COUNTERS_ORIG:
    case CTA_COUNTERS_REPLY:
    case CTA_TIMESTAMP:
    case CTA_SECCTX:
      return Keep(attr, g, MNL_TYPE_NESTED, 0);
    case CTA_STATUS:
    case CTA_TIMEOUT:
    case CTA_MARK:
    case CTA_ID:
      return Keep(attr, g, MNL_TYPE_U32, 0);
    case CTA_ZONE:
      return Keep(attr, g, MNL_TYPE_U16, 0);
    case CTA_LABELS:
      return KeepMaxLen(attr, g, 16);  // 128 label bits
    default:
      return MNL_CB_OK;  // known but not shown (helper, NAT seq adj, use...)
  }
}

int TupleCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_TUPLE_MAX)) return MNL_CB_OK;
  switch (type) {
    case CTA_TUPLE_IP:
    case CTA_TUPLE_PROTO:
      return Keep(attr, g, MNL_TYPE_NESTED, 0);
    case CTA_TUPLE_ZONE:
      return Keep(attr, g, MNL_TYPE_U16, 0);
    default:
      return MNL_CB_OK;
  }
}

int IpCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_IP_MAX)) return MNL_CB_OK;
  switch (type) {
    case CTA_IP_V4_SRC:
    case CTA_IP_V4_DST:
      return Keep(attr, g, MNL_TYPE_BINARY, 4);
    case CTA_IP_V6_SRC:
    case CTA_IP_V6_DST:
      return Keep(attr, g, MNL_TYPE_BINARY, 16);
    default:
      return MNL_CB_OK;
  }
}

int ProtoCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_PROTO_MAX)) return MNL_CB_OK;
  switch (type) {
    case CTA_PROTO_NUM:
    case CTA_PROTO_ICMP_TYPE:
    case CTA_PROTO_ICMP_CODE:
    case CTA_PROTO_ICMPV6_TYPE:
    case CTA_PROTO_ICMPV6_CODE:
      return Keep(attr, g, MNL_TYPE_U8, 0);
    case CTA_PROTO_SRC_PORT:
    case CTA_PROTO_DST_PORT:
    case CTA_PROTO_ICMP_ID:
    case CTA_PROTO_ICMPV6_ID:
      return Keep(attr, g, MNL_TYPE_U16, 0);
    default:
      return MNL_CB_OK;
  }
}

int ProtoinfoCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_PROTOINFO_MAX)) return MNL_CB_OK;
  switch (type) {
    case CTA_PROTOINFO_TCP:
    case CTA_PROTOINFO_DCCP:
    case CTA_PROTOINFO_SCTP:
      return Keep(attr, g, MNL_TYPE_NESTED, 0);
    default:
      return MNL_CB_OK;
  }
}

int TcpInfoCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_PROTOINFO_TCP_MAX)) return MNL_CB_OK;
  switch (type) {
    case CTA_PROTOINFO_TCP_STATE:
    case CTA_PROTOINFO_TCP_WSCALE_ORIGINAL:
    case CTA_PROTOINFO_TCP_WSCALE_REPLY:
      return Keep(attr, g, MNL_TYPE_U8, 0);
    case CTA_PROTOINFO_TCP_FLAGS_ORIGINAL:
    case CTA_PROTOINFO_TCP_FLAGS_REPLY:
      return Keep(attr, g, MNL_TYPE_BINARY, 2);  // struct nf_ct_tcp_flags
    default:
      return MNL_CB_OK;
  }
}

int DccpInfoCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_PROTOINFO_DCCP_MAX)) return MNL_CB_OK;
  switch (type) {
    case CTA_PROTOINFO_DCCP_STATE:
    case CTA_PROTOINFO_DCCP_ROLE:
      return Keep(attr, g, MNL_TYPE_U8, 0);
    case CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ:
      return Keep(attr, g, MNL_TYPE_U64, 0);
    default:
      return MNL_CB_OK;
  }
}

int SctpInfoCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_PROTOINFO_SCTP_MAX)) return MNL_CB_OK;
  switch (type) {
    case CTA_PROTOINFO_SCTP_STATE:
      return Keep(attr, g, MNL_TYPE_U8, 0);
    case CTA_PROTOINFO_SCTP_VTAG_ORIGINAL:
    case CTA_PROTOINFO_SCTP_VTAG_REPLY:
      return Keep(attr, g, MNL_TYPE_U32, 0);
    default:
      return MNL_CB_OK;
  }
}

int CountersCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_COUNTERS_MAX)) return MNL_CB_OK;
  switch (type) {
    case CTA_COUNTERS_PACKETS:
    case CTA_COUNTERS_BYTES:
      return Keep(attr, g, MNL_TYPE_U64, 0);
    case CTA_COUNTERS32_PACKETS:
    case CTA_COUNTERS32_BYTES:
      return Keep(attr, g, MNL_TYPE_U32, 0);
    default:
      return MNL_CB_OK;
  }
}

int TimestampCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_TIMESTAMP_MAX)) return MNL_CB_OK;
  switch (type) {
    case CTA_TIMESTAMP_START:
    case CTA_TIMESTAMP_STOP:
      return Keep(attr, g, MNL_TYPE_U64, 0);
    default:
      return MNL_CB_OK;
  }
}

int SecctxCb(const nlattr* attr, void* data) {
  Group& g = *static_cast<Group*>(data);
  const int type = Note(attr, g);
  if (Unknown(type, CTA_SECCTX_MAX)) return MNL_CB_OK;
  if (type == CTA_SECCTX_NAME) return Keep(attr, g, MNL_TYPE_NUL_STRING, 0);
  return MNL_CB_OK;
}

// --- Group parsing and conversion. ------------------------------------------

absl::Status GroupError(const Group& g) {
  if (g.error != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "conntrack message: ", g.name, " attribute type ", g.error_type, ": ",
        g.error, " (", g.error_len, " bytes)"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "conntrack message: ", g.name, ": attribute header is invalid"));
}

// Checks that the attributes parsed in `g` cover [.., payload_end): bytes
// left over mean an attribute whose length overruns its container.
absl::Status CheckCovered(const Group& g, const char* payload_end) {
  if (g.end < payload_end) {
    return absl::InvalidArgumentError(absl::StrCat(
        "conntrack message: ", g.name, ": ", payload_end - g.end,
        " trailing bytes do not form an attribute (length overruns or "
        "truncated)"));
  }
  return absl::OkStatus();
}

// kMax is a constant so that clearing the table is a few fixed stores.
template <int kMax>
absl::Status ParseNested(const nlattr* parent, mnl_attr_cb_t cb,
                         const char* name, Group& g) {
  static_assert(kMax < kMaxAttr, "attribute table too small");
  const void* payload = Payload(parent);
  g.name = name;
  std::fill_n(g.tb, kMax + 1, nullptr);
  g.end = static_cast<const char*>(payload);
  g.error = nullptr;
  if (mnl_attr_parse_nested(parent, cb, &g) < 0) return GroupError(g);
  return CheckCovered(g,
                      static_cast<const char*>(payload) + PayloadLen(parent));
}

absl::Status ParseTuple(const nlattr* attr, uint8_t family, const char* name,
                        v1::Tuple& tuple, uint8_t* proto_num) {
  Group t;
  absl::Status s = ParseNested<CTA_TUPLE_MAX>(attr, TupleCb, name, t);
  if (!s.ok()) return s;
  if (t.tb[CTA_TUPLE_IP] == nullptr || t.tb[CTA_TUPLE_PROTO] == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "conntrack message: ", name, " lacks its IP or protocol part"));
  }
  Group ip;
  s = ParseNested<CTA_IP_MAX>(t.tb[CTA_TUPLE_IP], IpCb, "tuple IP", ip);
  if (!s.ok()) return s;
  const int src = family == AF_INET6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC;
  const int dst = family == AF_INET6 ? CTA_IP_V6_DST : CTA_IP_V4_DST;
  if (ip.tb[src] == nullptr || ip.tb[dst] == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "conntrack message: ", name, " lacks ",
        family == AF_INET6 ? "IPv6" : "IPv4", " source or destination"));
  }
  // assign() reuses the string's storage (set_*(ptr, len) would build a
  // temporary, a heap block for every IPv6 address).
  tuple.mutable_src_ip()->assign(static_cast<const char*>(Payload(ip.tb[src])),
                                 PayloadLen(ip.tb[src]));
  tuple.mutable_dst_ip()->assign(static_cast<const char*>(Payload(ip.tb[dst])),
                                 PayloadLen(ip.tb[dst]));

  Group p;
  s = ParseNested<CTA_PROTO_MAX>(t.tb[CTA_TUPLE_PROTO], ProtoCb,
                                 "tuple protocol", p);
  if (!s.ok()) return s;
  if (p.tb[CTA_PROTO_NUM] == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "conntrack message: ", name, " lacks the protocol number"));
  }
  *proto_num = Get<uint8_t>(p.tb[CTA_PROTO_NUM]);
  if (p.tb[CTA_PROTO_SRC_PORT] != nullptr) {
    tuple.set_src_port(ntohs(Get<uint16_t>(p.tb[CTA_PROTO_SRC_PORT])));
  }
  if (p.tb[CTA_PROTO_DST_PORT] != nullptr) {
    tuple.set_dst_port(ntohs(Get<uint16_t>(p.tb[CTA_PROTO_DST_PORT])));
  }
  const bool v6 = p.tb[CTA_PROTO_ICMPV6_TYPE] != nullptr ||
                  p.tb[CTA_PROTO_ICMPV6_ID] != nullptr;
  const nlattr* id = p.tb[v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID];
  const nlattr* type = p.tb[v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE];
  const nlattr* code = p.tb[v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE];
  if (id != nullptr) tuple.set_icmp_id(ntohs(Get<uint16_t>(id)));
  if (type != nullptr) tuple.set_icmp_type(Get<uint8_t>(type));
  if (code != nullptr) tuple.set_icmp_code(Get<uint8_t>(code));
  return absl::OkStatus();
}

absl::Status ParseCounters(const nlattr* attr, const char* name,
                           v1::Counters& out) {
  Group c;
  absl::Status s = ParseNested<CTA_COUNTERS_MAX>(attr, CountersCb, name, c);
  if (!s.ok()) return s;
  if (c.tb[CTA_COUNTERS_PACKETS] != nullptr) {
    out.set_packets(be64toh(Get<uint64_t>(c.tb[CTA_COUNTERS_PACKETS])));
  } else if (c.tb[CTA_COUNTERS32_PACKETS] != nullptr) {
    out.set_packets(ntohl(Get<uint32_t>(c.tb[CTA_COUNTERS32_PACKETS])));
  }
  if (c.tb[CTA_COUNTERS_BYTES] != nullptr) {
    out.set_bytes(be64toh(Get<uint64_t>(c.tb[CTA_COUNTERS_BYTES])));
  } else if (c.tb[CTA_COUNTERS32_BYTES] != nullptr) {
    out.set_bytes(ntohl(Get<uint32_t>(c.tb[CTA_COUNTERS32_BYTES])));
  }
  return absl::OkStatus();
}

absl::Status ParseProtoinfo(const nlattr* attr, v1::Flow& flow) {
  Group pi;
  absl::Status s =
      ParseNested<CTA_PROTOINFO_MAX>(attr, ProtoinfoCb, "protoinfo", pi);
  if (!s.ok()) return s;
  Group g;
  if (pi.tb[CTA_PROTOINFO_TCP] != nullptr) {
    s = ParseNested<CTA_PROTOINFO_TCP_MAX>(pi.tb[CTA_PROTOINFO_TCP], TcpInfoCb,
                                           "TCP protoinfo", g);
    if (!s.ok()) return s;
    if (g.tb[CTA_PROTOINFO_TCP_STATE] != nullptr) {
      flow.set_tcp_state(
          TcpStateFromKernel(Get<uint8_t>(g.tb[CTA_PROTOINFO_TCP_STATE])));
    }
  } else if (pi.tb[CTA_PROTOINFO_SCTP] != nullptr) {
    s = ParseNested<CTA_PROTOINFO_SCTP_MAX>(pi.tb[CTA_PROTOINFO_SCTP],
                                            SctpInfoCb, "SCTP protoinfo", g);
    if (!s.ok()) return s;
    if (g.tb[CTA_PROTOINFO_SCTP_STATE] != nullptr) {
      flow.set_sctp_state(
          SctpStateFromKernel(Get<uint8_t>(g.tb[CTA_PROTOINFO_SCTP_STATE])));
    }
  } else if (pi.tb[CTA_PROTOINFO_DCCP] != nullptr) {
    s = ParseNested<CTA_PROTOINFO_DCCP_MAX>(pi.tb[CTA_PROTOINFO_DCCP],
                                            DccpInfoCb, "DCCP protoinfo", g);
    if (!s.ok()) return s;
    if (g.tb[CTA_PROTOINFO_DCCP_STATE] != nullptr) {
      flow.set_dccp_state(
          DccpStateFromKernel(Get<uint8_t>(g.tb[CTA_PROTOINFO_DCCP_STATE])));
    }
  }
  return absl::OkStatus();
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

// Clears `event` for reuse while keeping the allocations of the parts every
// message fills (the flow, its tuples and status): proto3's Clear() deletes
// sub-messages, and allocating them again per message would dominate.
void ResetForReuse(v1::FlowEvent& event) {
  if (!event.has_flow()) {
    event.Clear();
    return;
  }
  v1::Flow* flow = event.release_flow();
  v1::Tuple* original =
      flow->has_original() ? flow->release_original() : nullptr;
  v1::Tuple* reply = flow->has_reply() ? flow->release_reply() : nullptr;
  v1::FlowStatus* status =
      flow->has_status() ? flow->release_status() : nullptr;
  v1::Counters* orig_counters = flow->has_original_counters()
                                    ? flow->release_original_counters()
                                    : nullptr;
  v1::Counters* reply_counters =
      flow->has_reply_counters() ? flow->release_reply_counters() : nullptr;
  flow->Clear();
  event.Clear();
  if (original != nullptr) {
    original->Clear();
    flow->set_allocated_original(original);
  }
  if (reply != nullptr) {
    reply->Clear();
    flow->set_allocated_reply(reply);
  }
  if (status != nullptr) {
    status->Clear();
    flow->set_allocated_status(status);
  }
  // Counters are kept for the next message too (dumps: every message has
  // them); the parser removes them again when a message has none.
  if (orig_counters != nullptr) {
    orig_counters->Clear();
    flow->set_allocated_original_counters(orig_counters);
  }
  if (reply_counters != nullptr) {
    reply_counters->Clear();
    flow->set_allocated_reply_counters(reply_counters);
  }
  event.set_allocated_flow(flow);
}

}  // namespace

absl::Status ParseConntrackMessage(const void* data, size_t len,
                                   v1::FlowEvent& event) {
  ResetForReuse(event);
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
  if (nlh->nlmsg_len < sizeof(nlmsghdr) + sizeof(nfgenmsg)) {
    return absl::InvalidArgumentError(
        "conntrack message: too short for its nfgenmsg header");
  }
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  const uint8_t family = nfg->nfgen_family;

  Group top;
  StartGroup(top, "conntrack",
             mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)), CTA_MAX);
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), ConntrackCb, &top) < 0) {
    return GroupError(top);
  }
  absl::Status s =
      CheckCovered(top, reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len);
  if (!s.ok()) return s;
  const nlattr* const* tb = top.tb;
  if (tb[CTA_TUPLE_ORIG] == nullptr) {
    return absl::InvalidArgumentError(
        "conntrack message: missing the original tuple (CTA_TUPLE_ORIG)");
  }
  if (tb[CTA_ID] == nullptr) {
    return absl::InvalidArgumentError(
        "conntrack message: missing the flow id (CTA_ID)");
  }

  const int msg = NFNL_MSG_TYPE(nlh->nlmsg_type);
  if (msg == IPCTNL_MSG_CT_DELETE) {
    event.set_type(v1::DESTROY);
  } else if (nlh->nlmsg_flags & NLM_F_MULTI) {
    event.set_type(v1::SNAPSHOT);
  } else if ((nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ==
             (NLM_F_CREATE | NLM_F_EXCL)) {
    event.set_type(v1::NEW);
  } else {
    event.set_type(v1::UPDATE);
  }

  v1::Flow& flow = *event.mutable_flow();
  flow.set_conntrack_id(ntohl(Get<uint32_t>(tb[CTA_ID])));
  flow.set_family(family == AF_INET    ? v1::IPV4
                  : family == AF_INET6 ? v1::IPV6
                                       : v1::ADDRESS_FAMILY_UNSPECIFIED);
  if (family != AF_INET && family != AF_INET6) {
    return absl::InvalidArgumentError(
        absl::StrCat("conntrack message: address family ", family,
                     " is neither IPv4 nor IPv6"));
  }
  uint8_t proto = 0;
  s = ParseTuple(tb[CTA_TUPLE_ORIG], family, "original tuple",
                 *flow.mutable_original(), &proto);
  if (!s.ok()) return s;
  flow.set_protocol(static_cast<v1::L4Protocol>(proto));
  flow.set_protocol_number(proto);
  if (tb[CTA_TUPLE_REPLY] == nullptr) {
    flow.clear_reply();
  } else {
    uint8_t reply_proto = 0;
    s = ParseTuple(tb[CTA_TUPLE_REPLY], family, "reply tuple",
                   *flow.mutable_reply(), &reply_proto);
    if (!s.ok()) return s;
  }
  if (tb[CTA_PROTOINFO] != nullptr) {
    s = ParseProtoinfo(tb[CTA_PROTOINFO], flow);
    if (!s.ok()) return s;
  }
  if (tb[CTA_STATUS] != nullptr) {
    SetStatus(ntohl(Get<uint32_t>(tb[CTA_STATUS])), *flow.mutable_status());
  } else {
    flow.clear_status();
  }
  if (tb[CTA_MARK] != nullptr)
    flow.set_mark(ntohl(Get<uint32_t>(tb[CTA_MARK])));
  if (tb[CTA_ZONE] != nullptr)
    flow.set_zone(ntohs(Get<uint16_t>(tb[CTA_ZONE])));
  if (tb[CTA_TIMEOUT] != nullptr) {
    flow.set_timeout_seconds(ntohl(Get<uint32_t>(tb[CTA_TIMEOUT])));
  }
  if (tb[CTA_LABELS] != nullptr) {
    flow.set_labels(Payload(tb[CTA_LABELS]), PayloadLen(tb[CTA_LABELS]));
  }
  if (tb[CTA_COUNTERS_ORIG] == nullptr) flow.clear_original_counters();
  if (tb[CTA_COUNTERS_REPLY] == nullptr) flow.clear_reply_counters();
  if (tb[CTA_COUNTERS_ORIG] != nullptr) {
    s = ParseCounters(tb[CTA_COUNTERS_ORIG], "original counters",
                      *flow.mutable_original_counters());
    if (!s.ok()) return s;
  }
  if (tb[CTA_COUNTERS_REPLY] != nullptr) {
    s = ParseCounters(tb[CTA_COUNTERS_REPLY], "reply counters",
                      *flow.mutable_reply_counters());
    if (!s.ok()) return s;
  }
  if (tb[CTA_TIMESTAMP] != nullptr) {
    Group ts;
    s = ParseNested<CTA_TIMESTAMP_MAX>(tb[CTA_TIMESTAMP], TimestampCb,
                                       "timestamp", ts);
    if (!s.ok()) return s;
    if (ts.tb[CTA_TIMESTAMP_START] != nullptr) {
      flow.set_start_unix_nanos(static_cast<int64_t>(
          be64toh(Get<uint64_t>(ts.tb[CTA_TIMESTAMP_START]))));
    }
    if (ts.tb[CTA_TIMESTAMP_STOP] != nullptr) {
      flow.set_stop_unix_nanos(static_cast<int64_t>(
          be64toh(Get<uint64_t>(ts.tb[CTA_TIMESTAMP_STOP]))));
    }
  }
  if (tb[CTA_SECCTX] != nullptr) {
    Group sc;
    s = ParseNested<CTA_SECCTX_MAX>(tb[CTA_SECCTX], SecctxCb,
                                    "security context", sc);
    if (!s.ok()) return s;
    if (sc.tb[CTA_SECCTX_NAME] != nullptr) {
      flow.set_secctx(
          static_cast<const char*>(Payload(sc.tb[CTA_SECCTX_NAME])));
    }
  }
  return absl::OkStatus();
}

}  // namespace flowtop::collector
