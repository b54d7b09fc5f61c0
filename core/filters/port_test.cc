#include "core/filters/port.h"

#include "flowtop/v1/flowtop.pb.h"
#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

TEST(PortFilterTest, OnlyProtocolsWithPortsHaveThem) {
  for (int p : {int{v1::TCP}, int{v1::UDP}, int{v1::UDPLITE}, int{v1::SCTP}, int{v1::DCCP}}) {
    EXPECT_TRUE(HasPorts(p)) << p;
  }
  for (int p : {int{v1::ICMP}, int{v1::ICMPV6}, int{v1::GRE}, 0, 2, 255}) {
    EXPECT_FALSE(HasPorts(p)) << p;
  }
}

TEST(PortFilterTest, EndsAreReadAsAsked) {
  const std::vector<uint32_t> https = {443};
  EXPECT_TRUE(PortIn(https, End::kDst, true, 40000, 443));
  EXPECT_FALSE(PortIn(https, End::kSrc, true, 40000, 443));
  EXPECT_TRUE(PortIn(https, End::kSrc, true, 443, 40000));
  EXPECT_TRUE(PortIn(https, End::kEither, true, 443, 40000));
  EXPECT_TRUE(PortIn(https, End::kEither, true, 40000, 443));
  EXPECT_FALSE(PortIn(https, End::kEither, true, 40000, 40001));
}

// An ICMP flow's zeros (or its id) are not ports: no port filter matches
// it, not even port 0.
TEST(PortFilterTest, PortlessFlowsNeverMatch) {
  EXPECT_FALSE(PortIn({0}, End::kEither, false, 0, 0));
  EXPECT_FALSE(PortIn({7}, End::kSrc, false, 7, 0));
  EXPECT_TRUE(PortIn({0}, End::kEither, true, 0, 0));
}

TEST(PortFilterTest, PortRange) {
  EXPECT_TRUE(IsPort(0));
  EXPECT_TRUE(IsPort(65535));
  EXPECT_FALSE(IsPort(65536));
}

}  // namespace
}  // namespace flowtop::core
