#include "core/filters/protocol.h"

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

TEST(ProtocolFilterTest, NamesAliasesAndNumbers) {
  EXPECT_EQ(*ParseProtocol("TCP"), v1::TCP);
  EXPECT_EQ(*ParseProtocol("icmp6"), v1::ICMPV6);
  EXPECT_EQ(*ParseProtocol("ipv6-icmp"), v1::ICMPV6);
  EXPECT_EQ(*ParseProtocol("udp-lite"), v1::UDPLITE);
  EXPECT_EQ(*ParseProtocol("2"), 2);
  EXPECT_FALSE(ParseProtocol("256").ok());
  EXPECT_FALSE(ParseProtocol("tcpp").ok());
}

TEST(ProtocolFilterTest, Families) {
  EXPECT_EQ(*ParseFamily("inet6"), v1::IPV6);
  EXPECT_EQ(*ParseFamily("4"), v1::IPV4);
  EXPECT_EQ(ParseFamily("ipx").status().message(),
            "'ipx' is not an address family (ipv4 or ipv6)");
}

// A protocol L4Protocol does not name is matched by its number.
TEST(ProtocolFilterTest, TheFlowsNumberDecides) {
  v1::Flow igmp;
  igmp.set_protocol_number(2);
  EXPECT_EQ(ProtocolNumberOf(igmp), 2u);
  v1::Flow tcp;
  tcp.set_protocol(v1::TCP);
  EXPECT_EQ(ProtocolNumberOf(tcp), 6u);
  EXPECT_TRUE(NumberIn({17, 6}, ProtocolNumberOf(tcp)));
  EXPECT_FALSE(NumberIn({17}, ProtocolNumberOf(tcp)));
  EXPECT_FALSE(NumberIn({}, 6));
}

}  // namespace
}  // namespace flowtop::core
