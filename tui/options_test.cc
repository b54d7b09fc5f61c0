#include "tui/options.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace flowtop::tui {
namespace {

absl::StatusOr<Options> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "flowtop");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return ParseOptions(static_cast<int>(args.size()), argv.data());
}

TEST(OptionsTest, DefaultsAreIpv4Ipv6Tcp) {
  auto o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->view.protocols.tcp);
  EXPECT_FALSE(o->view.protocols.udp);
  EXPECT_TRUE(o->view.families.ipv4 && o->view.families.ipv6);
  EXPECT_TRUE(o->local());
  EXPECT_EQ(o->output, OutputMode::kInteractive);
  EXPECT_EQ(o->interval, absl::Seconds(1));
}

TEST(OptionsTest, ProtocolFlagsAreAdditive) {
  auto o = Parse({"-U", "--icmp"});
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->view.protocols.tcp);  // naming protocols shows only those
  EXPECT_TRUE(o->view.protocols.udp);
  EXPECT_TRUE(o->view.protocols.icmp);
  o = Parse({"-TUDIS", "-6"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->view.protocols.All());
  EXPECT_FALSE(o->view.families.ipv4);
  EXPECT_TRUE(o->view.families.ipv6);
}

TEST(OptionsTest, OriginalLetters) {
  auto o = Parse({"-n", "-G", "-s", "-b", "-t", "2.5"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->view.names);
  EXPECT_TRUE(o->no_dns);
  EXPECT_FALSE(o->view.geo);
  EXPECT_TRUE(o->view.show_src);
  EXPECT_TRUE(o->view.bits);
  EXPECT_EQ(o->interval, absl::Milliseconds(2500));
  EXPECT_EQ(Parse({"-v"})->action, Options::Action::kVersion);
  EXPECT_EQ(Parse({"--help"})->action, Options::Action::kHelp);
  EXPECT_EQ(Parse({"-u"})->action, Options::Action::kUpdateGeoIp);
}

TEST(OptionsTest, RemoteAndScriptModes) {
  auto o = Parse({"--connect", "r1:7070,r2:7070", "--connect", "[::1]:7070", "--tls-ca",
                  "ca.pem", "--token-file", "tok", "--json", "--count", "3",
                  "--filter", "dport 443", "--sort", "bytes", "--reverse"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->connect, (std::vector<std::string>{"r1:7070", "r2:7070", "[::1]:7070"}));
  EXPECT_TRUE(o->tls.tls);
  EXPECT_EQ(o->tls.tls_ca_file, "ca.pem");
  EXPECT_EQ(o->tls.token_file, "tok");
  EXPECT_EQ(o->output, OutputMode::kJson);
  EXPECT_EQ(o->count, 3u);
  EXPECT_NE(o->view.filter, nullptr);
  EXPECT_EQ(o->view.flow_sort, Column::kBytes);
  EXPECT_TRUE(o->view.reverse);
  EXPECT_FALSE(o->local());
}

TEST(OptionsTest, BadInputNamesTheFlag) {
  EXPECT_EQ(Parse({"--frobnicate"}).status().message(), "unknown option '--frobnicate'");
  EXPECT_EQ(Parse({"-x"}).status().message(), "unknown option '-x'");
  EXPECT_EQ(Parse({"--count"}).status().message(), "option '--count' needs a value");
  EXPECT_EQ(Parse({"--count", "-1"}).status().message(),
            "--count: '-1' is not a positive number");
  EXPECT_EQ(Parse({"-t", "0"}).status().message(),
            "--interval: '0' is not a number of seconds between 0.1 and 3600");
  EXPECT_EQ(Parse({"--connect", "router"}).status().message(),
            "--connect: 'router' needs HOST:PORT");
  EXPECT_EQ(Parse({"--connect", "r:99999"}).status().message(),
            "--connect: 'r:99999' needs HOST:PORT");
  EXPECT_EQ(Parse({"--filter", "dport"}).status().message(),
            "--filter: at column 6: expected a port number after 'dport'");
  EXPECT_EQ(Parse({"--sort", "size"}).status().message().substr(0, 31),
            "--sort: unknown column 'size' (");
  EXPECT_EQ(Parse({"--connect", "a:1", "--replay", "f"}).status().message(),
            "--connect and --replay exclude each other: choose one source");
  EXPECT_EQ(Parse({"extra"}).status().message(), "unexpected argument 'extra'");
}

// -t takes the durations every binary takes; plain seconds keep working.
TEST(OptionsTest, IntervalTakesDurations) {
  EXPECT_EQ(Parse({"-t", "2"})->interval, absl::Seconds(2));
  EXPECT_EQ(Parse({"-t", "500ms"})->interval, absl::Milliseconds(500));
  EXPECT_EQ(Parse({"--interval", "2s"})->interval, absl::Seconds(2));
  EXPECT_EQ(Parse({"-t", "1m"})->interval, absl::Minutes(1));
  EXPECT_FALSE(Parse({"-t", "50ms"}).ok());
  EXPECT_FALSE(Parse({"-t", "2h"}).ok());
  EXPECT_EQ(Parse({"-t", "soon"}).status().message(),
            "--interval: 'soon' is not a number of seconds between 0.1 and 3600");
}

}  // namespace
}  // namespace flowtop::tui
