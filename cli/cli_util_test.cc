#include "cli/cli_util.h"

#include "gtest/gtest.h"

namespace flowtop::replay {
namespace {

TEST(CliUtilTest, Sizes) {
  EXPECT_EQ(*ParseSize("max-size", "100"), 100u);
  EXPECT_EQ(*ParseSize("max-size", "512K"), 512u * 1024);
  EXPECT_EQ(*ParseSize("max-size", "64M"), 64u << 20);
  EXPECT_EQ(*ParseSize("max-size", "2g"), 2ull << 30);
  EXPECT_EQ(*ParseSize("max-size", "10MB"), 10u << 20);
  absl::Status bad = ParseSize("max-size", "ten").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("--max-size 'ten'"), std::string::npos);
  EXPECT_FALSE(ParseSize("max-size", "-1").ok());
}

TEST(CliUtilTest, Durations) {
  EXPECT_EQ(*ParseDurationFlag("duration", "90"), absl::Seconds(90));
  EXPECT_EQ(*ParseDurationFlag("duration", "5m"), absl::Minutes(5));
  EXPECT_EQ(*ParseDurationFlag("duration", "500ms"), absl::Milliseconds(500));
  EXPECT_FALSE(ParseDurationFlag("duration", "soon").ok());
  EXPECT_FALSE(ParseDurationFlag("duration", "-3s").ok());
}

TEST(CliUtilTest, Speeds) {
  EXPECT_EQ(*ParseSpeed("max"), 0.0);
  EXPECT_EQ(*ParseSpeed("MAX"), 0.0);
  EXPECT_EQ(*ParseSpeed("4"), 4.0);
  EXPECT_EQ(*ParseSpeed("0.5"), 0.5);
  EXPECT_FALSE(ParseSpeed("0").ok());
  EXPECT_FALSE(ParseSpeed("-2").ok());
  EXPECT_FALSE(ParseSpeed("fast").ok());
}

TEST(CliUtilTest, Times) {
  const absl::Time base = absl::FromUnixSeconds(1000);
  EXPECT_EQ(*ParseTimeFlag("seek", "+90s", base), absl::FromUnixSeconds(1090));
  EXPECT_EQ(*ParseTimeFlag("seek", "1970-01-01T00:20:00Z", base),
            absl::FromUnixSeconds(1200));
  EXPECT_FALSE(ParseTimeFlag("seek", "yesterday", base).ok());
}

}  // namespace
}  // namespace flowtop::replay
