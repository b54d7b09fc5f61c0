#include "core/filters/country.h"

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

TEST(CountryFilterTest, CodesAreTwoLettersAnyCase) {
  EXPECT_EQ(*ParseCountryCode("de"), "DE");
  EXPECT_FALSE(ParseCountryCode("DEU").ok());
  EXPECT_FALSE(ParseCountryCode("D1").ok());
}

TEST(CountryFilterTest, TheGeoCodeIsCompared) {
  v1::Geo geo;
  geo.set_country_code("nl");
  char code[2] = {0, 0};
  CountryCodeOf(geo, code);
  EXPECT_TRUE(CountryIn({"DE", "NL"}, code));
  EXPECT_FALSE(CountryIn({"DE"}, code));
  char unknown[2] = {0, 0};
  geo.set_country_code("");
  CountryCodeOf(geo, unknown);
  EXPECT_FALSE(CountryIn({"NL"}, unknown));
}

}  // namespace
}  // namespace flowtop::core
