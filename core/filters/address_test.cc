#include "core/filters/address.h"

#include <string>

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

const std::string kTen1("\x0a\x00\x00\x01", 4);
const std::string kEleven1("\x0b\x00\x00\x01", 4);

TEST(AddressFilterTest, PrefixesContainTheirAddresses) {
  const Cidr ten = *Cidr::Parse("10.0.0.0/8");
  EXPECT_TRUE(ten.Contains(kTen1));
  EXPECT_FALSE(ten.Contains(kEleven1));
  const Cidr odd = *Cidr::Parse("10.0.0.0/7");  // a prefix inside a byte
  EXPECT_TRUE(odd.Contains(kEleven1));
  EXPECT_TRUE(Cidr::Parse("0.0.0.0/0")->Contains(kEleven1));
}

TEST(AddressFilterTest, FamiliesNeverMix) {
  const Cidr v6 = *Cidr::Parse("::/0");
  EXPECT_FALSE(v6.Contains(kTen1));
  EXPECT_FALSE(Cidr::Parse("0.0.0.0/0")->Contains(std::string(16, '\0')));
  EXPECT_FALSE(Cidr::Parse("0.0.0.0/0")->Contains(""));  // no address at all
}

TEST(AddressFilterTest, AnyOfSeveralPrefixes) {
  const std::vector<Cidr> cidrs = {*Cidr::Parse("192.0.2.0/24"),
                                   *Cidr::Parse("11.0.0.1")};
  EXPECT_TRUE(AnyCidrContains(cidrs, kEleven1));
  EXPECT_FALSE(AnyCidrContains(cidrs, kTen1));
  EXPECT_FALSE(AnyCidrContains({}, kTen1));
}

TEST(AddressFilterTest, BadTextNamesTheProblem) {
  EXPECT_EQ(Cidr::Parse("10.0.0.300").status().message(),
            "'10.0.0.300' is not an address or CIDR");
  EXPECT_EQ(Cidr::Parse("10.0.0.0/33").status().message(),
            "'10.0.0.0/33' is not an address or CIDR (prefix length must be at most 32)");
  EXPECT_EQ(Cidr::Parse("::/x").status().message(),
            "'::/x' is not an address or CIDR (bad prefix length)");
}

}  // namespace
}  // namespace flowtop::core
