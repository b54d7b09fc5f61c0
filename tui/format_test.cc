#include "tui/format.h"

#include "gtest/gtest.h"
#include "tui/test_flows.h"

namespace flowtop::tui {
namespace {

using testing::Ip;

TEST(FormatTest, SizesUseSiPrefixes) {
  EXPECT_EQ(FormatSize(0, false), "0B");
  EXPECT_EQ(FormatSize(999, false), "999B");
  EXPECT_EQ(FormatSize(1000, false), "1.0kB");
  EXPECT_EQ(FormatSize(1536, false), "1.5kB");
  EXPECT_EQ(FormatSize(12'345'678, false), "12MB");
  EXPECT_EQ(FormatSize(3'400'000'000, false), "3.4GB");
  EXPECT_EQ(FormatSize(999'600, false), "1.0MB");  // no "1000kB"
}

TEST(FormatTest, BitsMultiplyByEight) {
  EXPECT_EQ(FormatSize(100, true), "800bit");
  EXPECT_EQ(FormatSize(1536, true), "12kbit");
  EXPECT_EQ(FormatRate(125'000, true), "1.0Mbit/s");
  EXPECT_EQ(FormatRate(125'000, false), "125kB/s");
}

TEST(FormatTest, RatesNeverNegativeOrNan) {
  EXPECT_EQ(FormatRate(0, false), "0B/s");
  EXPECT_EQ(FormatRate(-5, true), "0bit/s");
  EXPECT_EQ(FormatRate(0.0 / 0.0, false), "0B/s");
  EXPECT_EQ(FormatRate(2.4, false), "2B/s");
}

TEST(FormatTest, Ages) {
  EXPECT_EQ(FormatAge(absl::Seconds(42)), "42s");
  EXPECT_EQ(FormatAge(absl::Seconds(303)), "5m03s");
  EXPECT_EQ(FormatAge(absl::Hours(3) + absl::Minutes(7)), "3h07m");
  EXPECT_EQ(FormatAge(absl::Hours(52)), "2d04h");
  EXPECT_EQ(FormatAge(absl::Seconds(-3)), "0s");
}

TEST(FormatTest, Addresses) {
  EXPECT_EQ(FormatIp(Ip("192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(FormatIp(Ip("2001:db8::1")), "2001:db8::1");
  EXPECT_EQ(FormatIp(""), "");
  EXPECT_EQ(FormatIp("abc"), "?");
}

TEST(FormatTest, ProtocolAndStateNames) {
  v1::Flow tcp = testing::TcpFlow(1, "10.0.0.1", 40000, "10.0.0.2", 443);
  EXPECT_EQ(ProtocolName(tcp), "tcp");
  EXPECT_EQ(StateName(tcp), "ESTABLISHED");
  tcp.set_tcp_state(v1::TCP_TIME_WAIT);
  EXPECT_EQ(StateName(tcp), "TIME_WAIT");
  v1::Flow udp = testing::UdpFlow(2, "10.0.0.1", 5353, "10.0.0.2", 53);
  EXPECT_EQ(ProtocolName(udp), "udp");
  EXPECT_EQ(StateName(udp), "");
  v1::Flow odd;
  odd.set_protocol(static_cast<v1::L4Protocol>(99));
  EXPECT_EQ(ProtocolName(odd), "99");
  v1::Flow sctp;
  sctp.set_protocol(v1::SCTP);
  sctp.set_sctp_state(v1::SCTP_COOKIE_WAIT);
  EXPECT_EQ(StateName(sctp), "COOKIE_WAIT");
}

TEST(FormatTest, NatDetection) {
  v1::Flow f = testing::TcpFlow(1, "10.0.0.1", 40000, "192.0.2.9", 443);
  EXPECT_FALSE(IsNat(f));
  f.mutable_reply()->set_dst_ip(Ip("203.0.113.5"));  // masquerade
  f.mutable_reply()->set_dst_port(61000);
  EXPECT_TRUE(IsNat(f));
}

TEST(FormatTest, IcmpPortsAreTypeCode) {
  v1::Flow f;
  f.set_protocol(v1::ICMP);
  f.mutable_original()->set_icmp_type(8);
  f.mutable_original()->set_icmp_id(77);
  EXPECT_EQ(DestinationPort(f), "8/0");
  EXPECT_EQ(SourcePort(f), "id 77");
}

}  // namespace
}  // namespace flowtop::tui
