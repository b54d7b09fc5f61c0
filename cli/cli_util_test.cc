#include "cli/cli_util.h"

#include "gtest/gtest.h"

namespace flowtop::cli {
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

// The durations every binary accepts: plain seconds keep working
// (flowtop -t 2), units everywhere (500ms, 2s, 1m).
TEST(CliUtilTest, DurationGrammar) {
  absl::Duration d;
  ASSERT_TRUE(ReadDuration("2", &d));
  EXPECT_EQ(d, absl::Seconds(2));
  ASSERT_TRUE(ReadDuration("2.5", &d));
  EXPECT_EQ(d, absl::Milliseconds(2500));
  ASSERT_TRUE(ReadDuration("500ms", &d));
  EXPECT_EQ(d, absl::Milliseconds(500));
  ASSERT_TRUE(ReadDuration("2s", &d));
  EXPECT_EQ(d, absl::Seconds(2));
  ASSERT_TRUE(ReadDuration("1m", &d));
  EXPECT_EQ(d, absl::Minutes(1));
  ASSERT_TRUE(ReadDuration("1h30m", &d));
  EXPECT_EQ(d, absl::Minutes(90));
  EXPECT_FALSE(ReadDuration("", &d));
  EXPECT_FALSE(ReadDuration("soon", &d));
  EXPECT_FALSE(ReadDuration("5 m", &d));
  EXPECT_FALSE(ReadDuration("inf", &d));
  EXPECT_FALSE(ReadDuration("nan", &d));
}

TEST(CliUtilTest, OneErrorStyle) {
  absl::Status s = Bad("interval", "soon", "is not a duration");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "--interval: 'soon' is not a duration");
}

TEST(CliUtilTest, ProtocolSelection) {
  ProtocolSelection none;
  EXPECT_FALSE(none.any_family());
  EXPECT_FALSE(none.any_protocol());
  EXPECT_TRUE(none.Families().empty());
  EXPECT_TRUE(none.Protocols().empty());

  ProtocolSelection s;
  for (char c : std::string(kProtocolShortOptions)) {
    EXPECT_TRUE(ApplyProtocolOption(c, &s)) << c;
  }
  EXPECT_FALSE(ApplyProtocolOption('x', &s));
  EXPECT_EQ(s.Families(), (std::vector<v1::AddressFamily>{v1::IPV4, v1::IPV6}));
  EXPECT_EQ(s.Protocols(),
            (std::vector<v1::L4Protocol>{v1::TCP, v1::UDP, v1::UDPLITE, v1::DCCP,
                                         v1::ICMP, v1::ICMPV6, v1::SCTP}));

  ProtocolSelection udp;
  ApplyProtocolOption('U', &udp);
  EXPECT_FALSE(udp.any_family());
  EXPECT_TRUE(udp.any_protocol());
  EXPECT_EQ(udp.Protocols(), (std::vector<v1::L4Protocol>{v1::UDP, v1::UDPLITE}));
  // Every long option maps to its short letter.
  for (const option& o : kProtocolLongOptions) {
    ProtocolSelection one;
    EXPECT_TRUE(ApplyProtocolOption(o.val, &one)) << o.name;
  }
}

}  // namespace
}  // namespace flowtop::cli
