#include "cli/endpoint.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace flowtop::cli {
namespace {

TEST(EndpointTest, Forms) {
  auto e = ParseEndpoint("127.0.0.1:9781");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 9781);
  e = ParseEndpoint("[::1]:65535");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 65535);
  e = ParseEndpoint("collector.example:1");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "collector.example");
}

TEST(EndpointTest, EmptyHostOnlyWhereAllowed) {
  EXPECT_EQ(ParseEndpoint(":9100").status().message(), "':9100' has no address");
  auto e = ParseEndpoint(":9100", {.empty_host = true});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "");
  EXPECT_EQ(e->port, 9100);
  EXPECT_FALSE(ParseEndpoint("[]:9100").ok());
}

TEST(EndpointTest, PortRangeWithoutWrap) {
  EXPECT_EQ(ParseEndpoint("h:70000").status().message(),
            "'h:70000' has a port that is not a number from 1 to 65535");
  EXPECT_EQ(ParseEndpoint("h:65536").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEndpoint("h:0").status().message(),
            "'h:0' has a port that is not a number from 1 to 65535");
  EXPECT_EQ(ParseEndpoint("h:0", {.port_zero = true})->port, 0);
  EXPECT_EQ(ParseEndpoint("h:-1", {.port_zero = true}).status().message(),
            "'h:-1' has a port that is not a number from 0 to 65535");
  for (const char* bad : {"h:+80", "h:000000080", "h:9x", "h: 80"}) {
    EXPECT_FALSE(ParseEndpoint(bad).ok()) << bad;
  }
}

TEST(EndpointTest, ErrorsSayWhatIsMissing) {
  EXPECT_EQ(ParseEndpoint("router").status().message(), "'router' has no port");
  EXPECT_EQ(ParseEndpoint("router:").status().message(), "'router:' has no port");
  EXPECT_EQ(ParseEndpoint("[::1]").status().message(), "'[::1]' has no port");
  EXPECT_EQ(ParseEndpoint("[::1]4739").status().message(),
            "'[::1]4739' has no ':' after ']'");
  EXPECT_EQ(ParseEndpoint("[::1:4739").status().message(),
            "'[::1:4739' has no ']' after '['");
  EXPECT_EQ(ParseEndpoint("::1:4739").status().message(),
            "'::1:4739' has an IPv6 address without [brackets]");
}

TEST(EndpointTest, FormatBracketsIpv6) {
  EXPECT_EQ(FormatEndpoint("127.0.0.1", 80), "127.0.0.1:80");
  EXPECT_EQ(FormatEndpoint("::1", 9781), "[::1]:9781");
}

}  // namespace
}  // namespace flowtop::cli
