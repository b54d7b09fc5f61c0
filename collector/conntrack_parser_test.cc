#include "collector/conntrack_parser.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "collector/netlink_capture.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace flowtop::collector {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string V4(const char* a) {
  in_addr addr;
  inet_pton(AF_INET, a, &addr);
  return std::string(reinterpret_cast<const char*>(&addr), 4);
}

std::string V6(const char* a) {
  in6_addr addr;
  inet_pton(AF_INET6, a, &addr);
  return std::string(reinterpret_cast<const char*>(&addr), 16);
}

std::vector<std::string> Messages(const std::string& name) {
  absl::StatusOr<std::vector<std::string>> msgs =
      ReadCaptureFile("tests/fixtures/netlink/" + name + ".nlcap");
  EXPECT_TRUE(msgs.ok()) << msgs.status();
  return msgs.ok() ? *msgs : std::vector<std::string>{};
}

// Parses every message of a fixture; every one must parse.
std::vector<v1::FlowEvent> Events(const std::string& name) {
  std::vector<v1::FlowEvent> out;
  for (const std::string& m : Messages(name)) {
    v1::FlowEvent e;
    absl::Status s = ParseConntrackMessage(m.data(), m.size(), e);
    EXPECT_TRUE(s.ok()) << name << ": " << s;
    out.push_back(e);
  }
  EXPECT_FALSE(out.empty()) << name;
  return out;
}

// Events grouped by conntrack id, in arrival order.
std::map<uint32_t, std::vector<v1::FlowEvent>> ByFlow(
    const std::vector<v1::FlowEvent>& events) {
  std::map<uint32_t, std::vector<v1::FlowEvent>> out;
  for (const auto& e : events) out[e.flow().conntrack_id()].push_back(e);
  return out;
}

std::vector<v1::TcpState> TcpStates(const std::vector<v1::FlowEvent>& es) {
  std::vector<v1::TcpState> out;
  for (const auto& e : es) {
    if (e.type() != v1::DESTROY) out.push_back(e.flow().tcp_state());
  }
  return out;
}

void ExpectDestroyWithCountersAndTimes(const v1::FlowEvent& e) {
  EXPECT_EQ(e.type(), v1::DESTROY);
  ASSERT_TRUE(e.flow().has_original_counters());
  ASSERT_TRUE(e.flow().has_reply_counters());
  EXPECT_GT(e.flow().original_counters().packets(), 0u);
  EXPECT_GT(e.flow().original_counters().bytes(), 0u);
  EXPECT_GT(e.flow().reply_counters().packets(), 0u);
  ASSERT_TRUE(e.flow().has_start_unix_nanos());
  ASSERT_TRUE(e.flow().has_stop_unix_nanos());
  // Captured in 2026 or later (sanity of byte order), stop after start.
  EXPECT_GT(e.flow().start_unix_nanos(),
            int64_t{1'700'000'000} * 1'000'000'000);
  EXPECT_GE(e.flow().stop_unix_nanos(), e.flow().start_unix_nanos());
}

void CheckTcpFixture(const std::string& name, const std::string& lo,
                     v1::AddressFamily family) {
  auto flows = ByFlow(Events(name));
  ASSERT_EQ(flows.size(), 2u);
  int closed_by_fin = 0, closed_by_rst = 0;
  for (const auto& [id, es] : flows) {
    ASSERT_GE(es.size(), 4u);
    EXPECT_EQ(es.front().type(), v1::NEW);
    for (size_t i = 1; i + 1 < es.size(); ++i)
      EXPECT_EQ(es[i].type(), v1::UPDATE);
    ExpectDestroyWithCountersAndTimes(es.back());
    for (const auto& e : es) {
      const v1::Flow& f = e.flow();
      EXPECT_EQ(f.conntrack_id(), id);
      EXPECT_EQ(f.family(), family);
      EXPECT_EQ(f.protocol(), v1::TCP);
      EXPECT_EQ(f.protocol_number(), 6u);
      EXPECT_TRUE(f.has_tcp_state());
      EXPECT_EQ(f.original().src_ip(), lo);
      EXPECT_EQ(f.original().dst_ip(), lo);
      EXPECT_EQ(f.reply().src_port(), f.original().dst_port());
      EXPECT_EQ(f.reply().dst_port(), f.original().src_port());
      EXPECT_TRUE(f.status().confirmed());
      if (e.type() != v1::DESTROY) {
        // Counters travel only with DESTROY events and dumps.
        EXPECT_FALSE(f.has_original_counters());
        EXPECT_FALSE(f.has_start_unix_nanos());
        EXPECT_GT(f.timeout_seconds(), 0u);
      }
    }
    const uint32_t port = es.front().flow().original().dst_port();
    if (port == 8080) {
      ++closed_by_fin;
      EXPECT_THAT(
          TcpStates(es),
          ElementsAre(v1::TCP_SYN_SENT, v1::TCP_SYN_RECV, v1::TCP_ESTABLISHED,
                      v1::TCP_FIN_WAIT, v1::TCP_CLOSE_WAIT, v1::TCP_LAST_ACK,
                      v1::TCP_TIME_WAIT));
      EXPECT_TRUE(es.back().flow().status().assured());
    } else {
      ++closed_by_rst;
      EXPECT_EQ(port, 8081u);
      EXPECT_THAT(TcpStates(es),
                  ElementsAre(v1::TCP_SYN_SENT, v1::TCP_SYN_RECV,
                              v1::TCP_ESTABLISHED, v1::TCP_CLOSE));
    }
    // The handshake: first packet only, then the reply is seen.
    EXPECT_FALSE(es[0].flow().status().seen_reply());
    EXPECT_TRUE(es[1].flow().status().seen_reply());
  }
  EXPECT_EQ(closed_by_fin, 1);
  EXPECT_EQ(closed_by_rst, 1);
}

TEST(ConntrackParser, TcpIpv4EveryState) {
  CheckTcpFixture("tcp4", V4("127.0.0.1"), v1::IPV4);
}

TEST(ConntrackParser, TcpIpv6EveryState) {
  CheckTcpFixture("tcp6", V6("::1"), v1::IPV6);
}

TEST(ConntrackParser, UdpBothFamiliesWithMark) {
  auto flows = ByFlow(Events("udp"));
  ASSERT_EQ(flows.size(), 2u);
  int v4 = 0, v6 = 0;
  for (const auto& [id, es] : flows) {
    ASSERT_EQ(es.size(), 3u);
    EXPECT_EQ(es[0].type(), v1::NEW);
    EXPECT_EQ(es[1].type(), v1::UPDATE);
    EXPECT_TRUE(es[1].flow().status().seen_reply());
    ExpectDestroyWithCountersAndTimes(es[2]);
    EXPECT_EQ(es[2].flow().original_counters().packets(), 3u);
    EXPECT_EQ(es[2].flow().reply_counters().packets(), 3u);
    for (const auto& e : es) {
      EXPECT_EQ(e.flow().protocol(), v1::UDP);
      EXPECT_EQ(e.flow().original().dst_port(), 8080u);
      EXPECT_EQ(e.flow().mark(), 42u);  // set by an nft "ct mark set" rule
      EXPECT_EQ(e.flow().state_case(), v1::Flow::STATE_NOT_SET);
    }
    if (es[0].flow().family() == v1::IPV4) {
      ++v4;
      EXPECT_EQ(es[0].flow().original().src_ip(), V4("127.0.0.1"));
    } else {
      ++v6;
      EXPECT_EQ(es[0].flow().original().src_ip(), V6("::1"));
    }
  }
  EXPECT_EQ(v4, 1);
  EXPECT_EQ(v6, 1);
}

TEST(ConntrackParser, UdpLiteBothFamilies) {
  auto flows = ByFlow(Events("udplite"));
  ASSERT_EQ(flows.size(), 2u);
  for (const auto& [id, es] : flows) {
    EXPECT_EQ(es.front().type(), v1::NEW);
    EXPECT_EQ(es.back().type(), v1::DESTROY);
    for (const auto& e : es) {
      EXPECT_EQ(e.flow().protocol(), v1::UDPLITE);
      EXPECT_EQ(e.flow().protocol_number(), 136u);
      EXPECT_EQ(e.flow().original().dst_port(), 8080u);
      EXPECT_NE(e.flow().original().src_port(), 0u);
    }
  }
}

TEST(ConntrackParser, IcmpAndIcmpv6Echo) {
  auto flows = ByFlow(Events("icmp"));
  ASSERT_EQ(flows.size(), 2u);
  int v4 = 0, v6 = 0;
  for (const auto& [id, es] : flows) {
    ASSERT_EQ(es.size(), 3u);
    EXPECT_EQ(es[0].type(), v1::NEW);
    ExpectDestroyWithCountersAndTimes(es[2]);
    const v1::Flow& f = es[0].flow();
    EXPECT_NE(f.original().icmp_id(), 0u);
    EXPECT_EQ(f.reply().icmp_id(), f.original().icmp_id());
    EXPECT_EQ(f.original().icmp_code(), 0u);
    if (f.family() == v1::IPV4) {
      ++v4;
      EXPECT_EQ(f.protocol(), v1::ICMP);
      EXPECT_EQ(f.original().icmp_type(), 8u);  // echo request
      EXPECT_EQ(f.reply().icmp_type(), 0u);     // echo reply
    } else {
      ++v6;
      EXPECT_EQ(f.protocol(), v1::ICMPV6);
      EXPECT_EQ(f.original().icmp_type(), 128u);
      EXPECT_EQ(f.reply().icmp_type(), 129u);
    }
  }
  EXPECT_EQ(v4, 1);
  EXPECT_EQ(v6, 1);
}

TEST(ConntrackParser, SctpHandshakeStates) {
  auto flows = ByFlow(Events("sctp"));
  ASSERT_EQ(flows.size(), 1u);
  const auto& es = flows.begin()->second;
  std::vector<v1::SctpState> states;
  for (const auto& e : es) {
    EXPECT_EQ(e.flow().protocol(), v1::SCTP);
    EXPECT_EQ(e.flow().original().src_port(), 5000u);
    EXPECT_EQ(e.flow().original().dst_port(), 6000u);
    if (e.type() != v1::DESTROY) states.push_back(e.flow().sctp_state());
  }
  EXPECT_THAT(states,
              ElementsAre(v1::SCTP_CLOSED, v1::SCTP_COOKIE_WAIT,
                          v1::SCTP_COOKIE_ECHOED, v1::SCTP_ESTABLISHED));
  ExpectDestroyWithCountersAndTimes(es.back());
}

TEST(ConntrackParser, DestinationNatShowsInReplyTuple) {
  auto flows = ByFlow(Events("nat"));
  ASSERT_EQ(flows.size(), 1u);
  for (const auto& e : flows.begin()->second) {
    const v1::Flow& f = e.flow();
    EXPECT_TRUE(f.status().dst_nat());
    EXPECT_FALSE(f.status().src_nat());
    EXPECT_EQ(f.original().dst_ip(), V4("127.0.0.2"));
    EXPECT_EQ(f.original().dst_port(), 9999u);
    EXPECT_EQ(f.reply().src_ip(), V4("127.0.0.1"));
    EXPECT_EQ(f.reply().src_port(), 8080u);
  }
  ExpectDestroyWithCountersAndTimes(flows.begin()->second.back());
}

TEST(ConntrackParser, DumpRepliesAreSnapshotsWithCounters) {
  auto events = Events("dump");
  ASSERT_GE(events.size(), 5u);
  int tcp = 0, udp = 0, icmp = 0, v6 = 0;
  for (const auto& e : events) {
    EXPECT_EQ(e.type(), v1::SNAPSHOT);
    EXPECT_TRUE(e.flow().has_original_counters());
    EXPECT_TRUE(e.flow().has_reply_counters());
    EXPECT_TRUE(e.flow().has_start_unix_nanos());
    EXPECT_FALSE(e.flow().has_stop_unix_nanos());
    tcp += e.flow().protocol() == v1::TCP;
    udp += e.flow().protocol() == v1::UDP;
    icmp += e.flow().protocol() == v1::ICMP;
    v6 += e.flow().family() == v1::IPV6;
    if (e.flow().protocol() == v1::TCP) {
      EXPECT_EQ(e.flow().tcp_state(), v1::TCP_ESTABLISHED);
    }
  }
  EXPECT_EQ(tcp, 2);
  EXPECT_EQ(udp, 2);
  EXPECT_EQ(icmp, 1);
  EXPECT_EQ(v6, 2);
}

// --- Hand-built messages (DCCP has no tracker in this kernel). -------------

class MessageBuilder {
 public:
  explicit MessageBuilder(uint16_t msg_type = IPCTNL_MSG_CT_NEW,
                          uint16_t flags = NLM_F_CREATE | NLM_F_EXCL,
                          uint8_t family = AF_INET) {
    nlh_ = mnl_nlmsg_put_header(buf_);
    nlh_->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg_type;
    nlh_->nlmsg_flags = flags;
    auto* nfg = static_cast<nfgenmsg*>(
        mnl_nlmsg_put_extra_header(nlh_, sizeof(nfgenmsg)));
    nfg->nfgen_family = family;
    nfg->version = NFNETLINK_V0;
  }
  nlmsghdr* nlh() { return nlh_; }
  void Tuple(int attr, uint8_t proto, uint16_t sport, uint16_t dport) {
    nlattr* t = mnl_attr_nest_start(nlh_, attr);
    nlattr* ip = mnl_attr_nest_start(nlh_, CTA_TUPLE_IP);
    mnl_attr_put_u32(nlh_, CTA_IP_V4_SRC, htonl(0x0a000001));
    mnl_attr_put_u32(nlh_, CTA_IP_V4_DST, htonl(0x0a000002));
    mnl_attr_nest_end(nlh_, ip);
    nlattr* p = mnl_attr_nest_start(nlh_, CTA_TUPLE_PROTO);
    mnl_attr_put_u8(nlh_, CTA_PROTO_NUM, proto);
    mnl_attr_put_u16(nlh_, CTA_PROTO_SRC_PORT, htons(sport));
    mnl_attr_put_u16(nlh_, CTA_PROTO_DST_PORT, htons(dport));
    mnl_attr_nest_end(nlh_, p);
    mnl_attr_nest_end(nlh_, t);
  }
  void Id(uint32_t id) { mnl_attr_put_u32(nlh_, CTA_ID, htonl(id)); }
  std::string Bytes() const {
    return std::string(reinterpret_cast<const char*>(nlh_), nlh_->nlmsg_len);
  }

 private:
  alignas(8) char buf_[4096];
  nlmsghdr* nlh_;
};

absl::Status Parse(const std::string& bytes, v1::FlowEvent& e) {
  // Exact-size heap copy so that sanitizers see any overread.
  std::vector<char> copy(bytes.begin(), bytes.end());
  return ParseConntrackMessage(copy.data(), copy.size(), e);
}

TEST(ConntrackParser, DccpFromDocumentedLayout) {
  MessageBuilder b(IPCTNL_MSG_CT_NEW, 0);
  b.Tuple(CTA_TUPLE_ORIG, IPPROTO_DCCP, 40000, 5001);
  b.Tuple(CTA_TUPLE_REPLY, IPPROTO_DCCP, 5001, 40000);
  nlattr* pi = mnl_attr_nest_start(b.nlh(), CTA_PROTOINFO);
  nlattr* d = mnl_attr_nest_start(b.nlh(), CTA_PROTOINFO_DCCP);
  mnl_attr_put_u8(b.nlh(), CTA_PROTOINFO_DCCP_STATE, 4);  // CT_DCCP_OPEN
  mnl_attr_put_u8(b.nlh(), CTA_PROTOINFO_DCCP_ROLE, 0);
  mnl_attr_put_u64(b.nlh(), CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ, htobe64(77));
  mnl_attr_nest_end(b.nlh(), d);
  mnl_attr_nest_end(b.nlh(), pi);
  mnl_attr_put_u32(b.nlh(), CTA_STATUS, htonl(0x0e | (1u << 4)));
  mnl_attr_put_u32(b.nlh(), CTA_TIMEOUT, htonl(300));
  mnl_attr_put_u16(b.nlh(), CTA_ZONE, htons(7));
  const char labels[16] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  mnl_attr_put(b.nlh(), CTA_LABELS, sizeof(labels), labels);
  nlattr* sc = mnl_attr_nest_start(b.nlh(), CTA_SECCTX);
  mnl_attr_put_strz(b.nlh(), CTA_SECCTX_NAME, "system_u:object_r:x:s0");
  mnl_attr_nest_end(b.nlh(), sc);
  nlattr* c = mnl_attr_nest_start(b.nlh(), CTA_COUNTERS_ORIG);
  mnl_attr_put_u32(b.nlh(), CTA_COUNTERS32_PACKETS, htonl(9));  // old 32-bit
  mnl_attr_put_u32(b.nlh(), CTA_COUNTERS32_BYTES, htonl(900));
  mnl_attr_nest_end(b.nlh(), c);
  b.Id(1234);

  v1::FlowEvent e;
  ASSERT_TRUE(Parse(b.Bytes(), e).ok());
  EXPECT_EQ(e.type(), v1::UPDATE);  // no NLM_F_CREATE|NLM_F_EXCL
  const v1::Flow& f = e.flow();
  EXPECT_EQ(f.conntrack_id(), 1234u);
  EXPECT_EQ(f.protocol(), v1::DCCP);
  EXPECT_EQ(f.dccp_state(), v1::DCCP_OPEN);
  EXPECT_EQ(f.original().src_ip(), V4("10.0.0.1"));
  EXPECT_EQ(f.original().src_port(), 40000u);
  EXPECT_EQ(f.reply().src_port(), 5001u);
  EXPECT_TRUE(f.status().src_nat());
  EXPECT_TRUE(f.status().assured());
  EXPECT_EQ(f.status().raw(), 0x1eu);
  EXPECT_EQ(f.timeout_seconds(), 300u);
  EXPECT_EQ(f.zone(), 7u);
  EXPECT_EQ(f.labels(), std::string(labels, 16));
  EXPECT_EQ(f.secctx(), "system_u:object_r:x:s0");
  EXPECT_EQ(f.original_counters().packets(), 9u);
  EXPECT_EQ(f.original_counters().bytes(), 900u);
  EXPECT_FALSE(f.has_reply_counters());  // absent, not zero
}

TEST(ConntrackParser, GreAndUnnamedProtocolsKeepTheirNumber) {
  for (uint8_t proto : {uint8_t{47}, uint8_t{99}}) {
    MessageBuilder b;
    b.Tuple(CTA_TUPLE_ORIG, proto, 0, 0);
    b.Id(5);
    v1::FlowEvent e;
    ASSERT_TRUE(Parse(b.Bytes(), e).ok());
    EXPECT_EQ(e.type(), v1::NEW);
    EXPECT_EQ(e.flow().protocol_number(), proto);
    EXPECT_EQ(static_cast<int>(e.flow().protocol()), proto);
    EXPECT_FALSE(e.flow().has_reply());
  }
}

TEST(ConntrackParser, DeleteIsDestroyAndMultiIsSnapshot) {
  MessageBuilder del(IPCTNL_MSG_CT_DELETE, 0);
  del.Tuple(CTA_TUPLE_ORIG, IPPROTO_UDP, 1, 2);
  del.Id(1);
  MessageBuilder dump(IPCTNL_MSG_CT_NEW, NLM_F_MULTI);
  dump.Tuple(CTA_TUPLE_ORIG, IPPROTO_UDP, 1, 2);
  dump.Id(1);
  v1::FlowEvent e;
  ASSERT_TRUE(Parse(del.Bytes(), e).ok());
  EXPECT_EQ(e.type(), v1::DESTROY);
  ASSERT_TRUE(Parse(dump.Bytes(), e).ok());
  EXPECT_EQ(e.type(), v1::SNAPSHOT);
}

TEST(ConntrackParser, UnknownAttributeTypesAreSkipped) {
  MessageBuilder b;
  mnl_attr_put_u32(b.nlh(), 200, 0xdeadbeef);  // newer than our headers
  nlattr* t = mnl_attr_nest_start(b.nlh(), CTA_TUPLE_ORIG);
  mnl_attr_put_u64(b.nlh(), 30, 1);  // unknown inside a tuple
  nlattr* ip = mnl_attr_nest_start(b.nlh(), CTA_TUPLE_IP);
  mnl_attr_put_u32(b.nlh(), CTA_IP_V4_SRC, htonl(1));
  mnl_attr_put_u32(b.nlh(), CTA_IP_V4_DST, htonl(2));
  mnl_attr_put_u8(b.nlh(), 17, 1);
  mnl_attr_nest_end(b.nlh(), ip);
  nlattr* p = mnl_attr_nest_start(b.nlh(), CTA_TUPLE_PROTO);
  mnl_attr_put_u8(b.nlh(), CTA_PROTO_NUM, IPPROTO_TCP);
  mnl_attr_nest_end(b.nlh(), p);
  mnl_attr_nest_end(b.nlh(), t);
  mnl_attr_put_u32(b.nlh(), CTA_USE, htonl(1));  // known, not shown
  b.Id(3);
  v1::FlowEvent e;
  absl::Status s = Parse(b.Bytes(), e);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(e.flow().conntrack_id(), 3u);
  EXPECT_EQ(e.flow().protocol(), v1::TCP);
}

// --- Malformed input. --------------------------------------------------------

TEST(ConntrackParserMalformed, ShortBuffers) {
  v1::FlowEvent e;
  EXPECT_THAT(ParseConntrackMessage("", 0, e).message(),
              HasSubstr("shorter than a netlink header"));
  MessageBuilder b;
  b.Tuple(CTA_TUPLE_ORIG, 6, 1, 2);
  b.Id(1);
  std::string bytes = b.Bytes();
  // The header claims more than was received.
  absl::Status s = Parse(bytes.substr(0, bytes.size() - 4), e);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("does not fit"));
}

TEST(ConntrackParserMalformed, EveryTruncationOfEveryFixtureIsHandled) {
  // Cut each real message at every length and fix nlmsg_len to match: the
  // parser must return an error or a valid event, never crash or overread.
  int errors = 0, total = 0;
  for (const char* name :
       {"tcp4", "tcp6", "udp", "udplite", "icmp", "sctp", "nat", "dump"}) {
    for (const std::string& m : Messages(name)) {
      for (size_t cut = 0; cut < m.size(); ++cut) {
        std::string t = m.substr(0, cut);
        if (cut >= sizeof(nlmsghdr)) {
          const uint32_t len = static_cast<uint32_t>(cut);
          std::memcpy(&t[0], &len, sizeof(len));
        }
        v1::FlowEvent e;
        absl::Status s = Parse(t, e);
        ++total;
        if (!s.ok()) {
          ++errors;
          EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
          EXPECT_FALSE(s.message().empty());
        }
      }
    }
  }
  // Almost every cut lands inside an attribute or drops the id.
  EXPECT_GT(errors, total * 9 / 10);
}

TEST(ConntrackParserMalformed, WrongAttributeLength) {
  MessageBuilder b;
  b.Tuple(CTA_TUPLE_ORIG, 6, 1, 2);
  mnl_attr_put_u16(b.nlh(), CTA_ID, 1);  // CTA_ID is 32 bits
  v1::FlowEvent e;
  absl::Status s = Parse(b.Bytes(), e);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("wrong payload length"));

  MessageBuilder v6len;
  nlattr* t = mnl_attr_nest_start(v6len.nlh(), CTA_TUPLE_ORIG);
  nlattr* ip = mnl_attr_nest_start(v6len.nlh(), CTA_TUPLE_IP);
  mnl_attr_put(v6len.nlh(), CTA_IP_V6_SRC, 8, "12345678");  // not 16 bytes
  mnl_attr_nest_end(v6len.nlh(), ip);
  nlattr* p = mnl_attr_nest_start(v6len.nlh(), CTA_TUPLE_PROTO);
  mnl_attr_put_u8(v6len.nlh(), CTA_PROTO_NUM, IPPROTO_TCP);
  mnl_attr_nest_end(v6len.nlh(), p);
  mnl_attr_nest_end(v6len.nlh(), t);
  v6len.Id(1);
  s = Parse(v6len.Bytes(), e);
  EXPECT_THAT(std::string(s.message()), HasSubstr("tuple IP attribute type 3"));
}

TEST(ConntrackParserMalformed, NestedAttributeOverrunsItsParent) {
  MessageBuilder b;
  b.Tuple(CTA_TUPLE_ORIG, 6, 1, 2);
  b.Id(1);
  std::string bytes = b.Bytes();
  // The tuple's first inner attribute (CTA_TUPLE_IP) starts at 20 + 4; grow
  // its length past the end of the tuple.
  const size_t inner = sizeof(nlmsghdr) + sizeof(nfgenmsg) + 4;
  uint16_t len;
  std::memcpy(&len, &bytes[inner], 2);
  len += 200;
  std::memcpy(&bytes[inner], &len, 2);
  v1::FlowEvent e;
  absl::Status s = Parse(bytes, e);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("original tuple"));
  EXPECT_THAT(s.message(), HasSubstr("overruns"));
}

TEST(ConntrackParserMalformed, TopLevelAttributeOverrunsMessage) {
  MessageBuilder b;
  b.Tuple(CTA_TUPLE_ORIG, 6, 1, 2);
  b.Id(1);
  std::string bytes = b.Bytes();
  const size_t first = sizeof(nlmsghdr) + sizeof(nfgenmsg);
  uint16_t len;
  std::memcpy(&len, &bytes[first], 2);
  len += 64;
  std::memcpy(&bytes[first], &len, 2);
  v1::FlowEvent e;
  absl::Status s = Parse(bytes, e);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("overruns"));
}

TEST(ConntrackParserMalformed, MissingMandatoryParts) {
  MessageBuilder no_id;
  no_id.Tuple(CTA_TUPLE_ORIG, 6, 1, 2);
  v1::FlowEvent e;
  EXPECT_THAT(Parse(no_id.Bytes(), e).message(), HasSubstr("CTA_ID"));
  MessageBuilder no_tuple;
  no_tuple.Id(1);
  EXPECT_THAT(Parse(no_tuple.Bytes(), e).message(),
              HasSubstr("CTA_TUPLE_ORIG"));
  MessageBuilder wrong_family(IPCTNL_MSG_CT_NEW, 0, AF_INET6);
  wrong_family.Tuple(CTA_TUPLE_ORIG, 6, 1, 2);  // IPv4 addresses
  wrong_family.Id(1);
  EXPECT_THAT(Parse(wrong_family.Bytes(), e).message(),
              HasSubstr("lacks IPv6"));
}

TEST(ConntrackParserMalformed, OtherMessagesAreUnimplemented) {
  MessageBuilder exp(IPCTNL_MSG_CT_GET_STATS, 0);
  v1::FlowEvent e;
  EXPECT_TRUE(absl::IsUnimplemented(Parse(exp.Bytes(), e)));
  nlmsghdr done = {};
  done.nlmsg_len = sizeof(done);
  done.nlmsg_type = NLMSG_DONE;
  EXPECT_TRUE(
      absl::IsUnimplemented(ParseConntrackMessage(&done, sizeof(done), e)));
}

TEST(ConntrackParser, AReusedEventEqualsAFreshParse) {
  // The parser keeps sub-message allocations between messages; nothing of
  // one message may leak into the next (e.g. counters into a NEW event).
  std::vector<std::string> all;
  for (const char* name : {"dump", "tcp4", "udp", "icmp", "nat", "tcp6", "dump",
                           "sctp", "udplite", "dump"}) {
    for (const std::string& m : Messages(name)) all.push_back(m);
  }
  v1::FlowEvent reused;
  for (size_t i = 0; i < all.size(); ++i) {
    v1::FlowEvent fresh;
    ASSERT_TRUE(
        ParseConntrackMessage(all[i].data(), all[i].size(), fresh).ok());
    ASSERT_TRUE(
        ParseConntrackMessage(all[i].data(), all[i].size(), reused).ok());
    EXPECT_EQ(reused.SerializeAsString(), fresh.SerializeAsString())
        << "message " << i << "\nfresh:\n"
        << fresh.DebugString() << "reused:\n"
        << reused.DebugString();
    EXPECT_EQ(reused.flow().has_original_counters(),
              fresh.flow().has_original_counters());
    EXPECT_EQ(reused.flow().has_reply(), fresh.flow().has_reply());
  }
  // And after an error, a good message parses cleanly again.
  v1::FlowEvent e;
  EXPECT_FALSE(ParseConntrackMessage(all[0].data(), 10, e).ok());
  ASSERT_TRUE(ParseConntrackMessage(all[0].data(), all[0].size(), e).ok());
  v1::FlowEvent fresh;
  ASSERT_TRUE(ParseConntrackMessage(all[0].data(), all[0].size(), fresh).ok());
  EXPECT_EQ(e.SerializeAsString(), fresh.SerializeAsString());
}

// Sets every field of `m` (recursively; one member of each oneof) to a
// non-default value, as another pipeline stage might have left it.
void FillEveryField(google::protobuf::Message& m) {
  const google::protobuf::Descriptor* d = m.GetDescriptor();
  const google::protobuf::Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    const google::protobuf::OneofDescriptor* oneof = f->real_containing_oneof();
    if (oneof != nullptr && oneof->field(0) != f) continue;
    using FD = google::protobuf::FieldDescriptor;
    if (f->is_repeated()) {
      switch (f->cpp_type()) {
        case FD::CPPTYPE_MESSAGE:
          FillEveryField(*r->AddMessage(&m, f));
          break;
        case FD::CPPTYPE_STRING:
          r->AddString(&m, f, "x");
          break;
        case FD::CPPTYPE_ENUM:
          r->AddEnumValue(&m, f, 1);
          break;
        default:
          break;  // numeric repeated fields: none in the API today
      }
      continue;
    }
    switch (f->cpp_type()) {
      case FD::CPPTYPE_INT32:
        r->SetInt32(&m, f, 7);
        break;
      case FD::CPPTYPE_INT64:
        r->SetInt64(&m, f, 7);
        break;
      case FD::CPPTYPE_UINT32:
        r->SetUInt32(&m, f, 7);
        break;
      case FD::CPPTYPE_UINT64:
        r->SetUInt64(&m, f, 7);
        break;
      case FD::CPPTYPE_DOUBLE:
        r->SetDouble(&m, f, 7);
        break;
      case FD::CPPTYPE_FLOAT:
        r->SetFloat(&m, f, 7);
        break;
      case FD::CPPTYPE_BOOL:
        r->SetBool(&m, f, true);
        break;
      case FD::CPPTYPE_ENUM:
        r->SetEnumValue(&m, f, 1);
        break;
      case FD::CPPTYPE_STRING:
        r->SetString(&m, f, "leftover");
        break;
      case FD::CPPTYPE_MESSAGE:
        FillEveryField(*r->MutableMessage(&m, f));
        break;
    }
  }
}

TEST(ConntrackParser, NothingOfAnEarlierLifeSurvivesInAReusedEvent) {
  // KernelSource swaps its parse target with batch slots that went through
  // the pipeline (seq, node, id, enrichment, rates...): whatever a reused
  // event holds, the result equals a fresh parse. Filling every field by
  // reflection also catches a field added to the API later and not reset.
  v1::FlowEvent full;
  FillEveryField(full);
  ASSERT_TRUE(full.flow().has_enrichment());
  ASSERT_FALSE(full.node().empty());
  for (const char* name :
       {"tcp4", "tcp6", "udp", "udplite", "icmp", "sctp", "nat", "dump"}) {
    for (const std::string& m : Messages(name)) {
      v1::FlowEvent fresh;
      ASSERT_TRUE(ParseConntrackMessage(m.data(), m.size(), fresh).ok());
      v1::FlowEvent reused = full;
      ASSERT_TRUE(ParseConntrackMessage(m.data(), m.size(), reused).ok());
      EXPECT_EQ(reused.SerializeAsString(), fresh.SerializeAsString())
          << name << "\nfresh:\n"
          << fresh.DebugString() << "reused:\n"
          << reused.DebugString();
    }
  }
}

TEST(ConntrackParser, StateMappings) {
  EXPECT_EQ(TcpStateFromKernel(0), v1::TCP_NONE);
  EXPECT_EQ(TcpStateFromKernel(9), v1::TCP_SYN_SENT2);
  EXPECT_EQ(TcpStateFromKernel(10), v1::TCP_STATE_UNSPECIFIED);
  EXPECT_EQ(SctpStateFromKernel(9), v1::SCTP_HEARTBEAT_ACKED);
  EXPECT_EQ(DccpStateFromKernel(9), v1::DCCP_INVALID);
  EXPECT_EQ(DccpStateFromKernel(200), v1::DCCP_STATE_UNSPECIFIED);
}

}  // namespace
}  // namespace flowtop::collector
