#include "collector/enrich/geoip.h"

#include <arpa/inet.h>

#include <string>

#include "collector/enrich/country_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/enrich/testing/fixtures.h"

namespace flowtop::collector::enrich {
namespace {

using ::flowtop::testing::MakeTempDir;
using ::flowtop::testing::ReadFile;
using ::flowtop::testing::WriteFile;
using ::flowtop::testing::WriteMmdb;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Ip(const char* text) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, text, buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, text, buf) == 1) return std::string(reinterpret_cast<char*>(buf), 16);
  ADD_FAILURE() << "bad address in test: " << text;
  return "";
}

TEST(GeoIpTest, ReadsMaxMindLayout) {
  const std::string dir = MakeTempDir("maxmind");
  ASSERT_TRUE(WriteMmdb("maxmind-city", dir + "/GeoLite2-City.mmdb").ok());
  auto geo = GeoIp::Open({{}, {dir}});
  ASSERT_TRUE(geo->available());
  EXPECT_EQ(geo->hint(), "");
  v1::Geo g = geo->Lookup(Ip("8.8.8.8"));
  EXPECT_EQ(g.country_code(), "US");
  EXPECT_EQ(g.country(), "United States");
  EXPECT_EQ(g.city(), "Mountain View");
  EXPECT_EQ(g.region(), "California");
  EXPECT_THAT(g.latitude(), DoubleNear(37.386, 1e-3));
  EXPECT_THAT(g.longitude(), DoubleNear(-122.0838, 1e-3));
  EXPECT_EQ(g.as_number(), 0u);  // no ASN database
  v1::Geo v6 = geo->Lookup(Ip("2001:db8::1"));
  EXPECT_EQ(v6.country_code(), "DE");
  EXPECT_EQ(v6.city(), "Berlin");
}

TEST(GeoIpTest, ReadsDbIpFlatLayoutInSeparateV4AndV6Files) {
  const std::string dir = MakeTempDir("dbip");
  ASSERT_TRUE(WriteMmdb("dbip-city-v4", dir + "/dbip-city-ipv4.mmdb").ok());
  ASSERT_TRUE(WriteMmdb("dbip-city-v6", dir + "/dbip-city-ipv6.mmdb").ok());
  auto geo = GeoIp::Open({{}, {dir}});
  ASSERT_EQ(geo->paths().size(), 2u);
  v1::Geo g = geo->Lookup(Ip("81.2.69.160"));
  EXPECT_EQ(g.country_code(), "GB");
  EXPECT_EQ(g.country(), "United Kingdom");  // from the built-in ISO table
  EXPECT_EQ(g.city(), "London");
  EXPECT_EQ(g.region(), "England");
  EXPECT_THAT(g.latitude(), DoubleNear(51.5142, 1e-3));
  v1::Geo v6 = geo->Lookup(Ip("2001:db8::42"));
  EXPECT_EQ(v6.country_code(), "DE");
  EXPECT_EQ(v6.country(), "Germany");
  EXPECT_EQ(v6.city(), "Berlin");
}

TEST(GeoIpTest, AddsAsnFromAnAsnDatabase) {
  const std::string dir = MakeTempDir("asn");
  ASSERT_TRUE(WriteMmdb("dbip-city-v4", dir + "/a-city.mmdb").ok());
  ASSERT_TRUE(WriteMmdb("asn", dir + "/b-asn.mmdb").ok());
  auto geo = GeoIp::Open({{}, {dir}});
  v1::Geo g = geo->Lookup(Ip("8.8.8.8"));
  EXPECT_EQ(g.country_code(), "US");
  EXPECT_EQ(g.city(), "Mountain View");
  EXPECT_EQ(g.as_number(), 15169u);
  EXPECT_EQ(g.as_organization(), "Google LLC");
}

TEST(GeoIpTest, UnknownAddressGivesEmptyGeo) {
  const std::string dir = MakeTempDir("unknown");
  ASSERT_TRUE(WriteMmdb("maxmind-city", dir + "/city.mmdb").ok());
  auto geo = GeoIp::Open({{}, {dir}});
  EXPECT_EQ(geo->Lookup(Ip("10.1.2.3")).ByteSizeLong(), 0u);
  EXPECT_EQ(geo->Lookup("bad").ByteSizeLong(), 0u);
}

TEST(GeoIpTest, ExplicitFilesComeFirst) {
  const std::string dir = MakeTempDir("order");
  const std::string mine = MakeTempDir("mine") + "/mine.mmdb";
  ASSERT_TRUE(WriteMmdb("dbip-city-v4", dir + "/dbip.mmdb").ok());
  ASSERT_TRUE(WriteMmdb("maxmind-city", mine).ok());
  auto geo = GeoIp::Open({{mine}, {dir}});
  EXPECT_THAT(geo->paths(), ElementsAre(mine, dir + "/dbip.mmdb"));
}

TEST(GeoIpTest, MissingDatabaseLeavesGeoEmptyWithOneHint) {
  const std::string empty = MakeTempDir("empty");
  auto geo = GeoIp::Open({{}, {empty, "/nonexistent/GeoIP"}});
  EXPECT_FALSE(geo->available());
  EXPECT_THAT(geo->hint(), HasSubstr(empty));
  EXPECT_THAT(geo->hint(), HasSubstr("/nonexistent/GeoIP"));
  EXPECT_THAT(geo->hint(), HasSubstr("fetch-geoip.sh"));
  EXPECT_EQ(geo->hint().find('\n'), std::string::npos);
  EXPECT_EQ(geo->Lookup(Ip("8.8.8.8")).ByteSizeLong(), 0u);

  auto named = GeoIp::Open({{"/nonexistent/city.mmdb"}, {}});
  EXPECT_FALSE(named->available());
  EXPECT_THAT(named->hint(), HasSubstr("/nonexistent/city.mmdb does not exist"));
}

TEST(GeoIpTest, CorruptAndTruncatedFilesAreSkippedNeverFatal) {
  const std::string dir = MakeTempDir("corrupt");
  const std::string good = dir + "/good.mmdb";
  ASSERT_TRUE(WriteMmdb("maxmind-city", good).ok());
  const std::string bytes = ReadFile(good);
  ASSERT_GT(bytes.size(), 100u);
  ASSERT_TRUE(WriteFile(dir + "/garbage.mmdb", std::string(4096, '\x5a')));
  ASSERT_TRUE(WriteFile(dir + "/truncated.mmdb", bytes.substr(0, bytes.size() / 2)));
  ASSERT_TRUE(WriteFile(dir + "/.partial.mmdb", "ignored: a download in progress"));

  EXPECT_EQ(GeoDatabase::Open(dir + "/garbage.mmdb").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(GeoDatabase::Open(dir + "/truncated.mmdb").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(GeoDatabase::Open(dir + "/none.mmdb").status().code(),
            absl::StatusCode::kNotFound);

  auto geo = GeoIp::Open({{}, {dir}});
  EXPECT_THAT(geo->paths(), ElementsAre(good));
  EXPECT_THAT(geo->problems(), ElementsAre(HasSubstr("garbage.mmdb is unusable"),
                                           HasSubstr("truncated.mmdb is unusable")));
  EXPECT_EQ(geo->hint(), "");
  EXPECT_EQ(geo->Lookup(Ip("8.8.8.8")).country_code(), "US");

  ASSERT_EQ(std::remove(good.c_str()), 0);
  auto broken = GeoIp::Open({{}, {dir}});
  EXPECT_FALSE(broken->available());
  EXPECT_THAT(broken->hint(), HasSubstr("garbage.mmdb is unusable"));
  EXPECT_THAT(broken->hint(), HasSubstr("fetch-geoip.sh"));
  EXPECT_EQ(broken->Lookup(Ip("8.8.8.8")).ByteSizeLong(), 0u);
}

TEST(GeoIpTest, SearchPathFollowsXdgAndHome) {
  setenv("XDG_DATA_HOME", "/xdg", 1);
  EXPECT_THAT(DefaultGeoIpSearchPath(),
              ElementsAre("/usr/share/GeoIP", "/var/lib/GeoIP", "/xdg/flowtop"));
  unsetenv("XDG_DATA_HOME");
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(DefaultGeoIpDataDir(), "/home/u/.local/share/flowtop");
  unsetenv("HOME");
  EXPECT_THAT(DefaultGeoIpSearchPath(), ElementsAre("/usr/share/GeoIP", "/var/lib/GeoIP"));
}

TEST(CountryNamesTest, KnownAndUnknownCodes) {
  EXPECT_EQ(CountryName("DE"), "Germany");
  EXPECT_EQ(CountryName("gb"), "United Kingdom");
  EXPECT_EQ(CountryName("ZZ"), "");
  EXPECT_EQ(CountryName("USA"), "");
}

}  // namespace
}  // namespace flowtop::collector::enrich
