#include "service/daemon_config.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace flowtop::service {
namespace {

absl::StatusOr<DaemonConfig> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "flowtopd");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(args.size()), argv.data());
}

std::string WriteConf(const std::string& text) {
  const std::string path =
      std::string(getenv("TEST_TMPDIR")) + "/flowtopd.conf";
  std::ofstream(path) << text;
  return path;
}

TEST(DaemonConfig, Defaults) {
  auto c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server.listen, "127.0.0.1:9781");
  EXPECT_EQ(c->ring_size, 65536u);
  EXPECT_FALSE(c->node_name.empty());  // the host name
  EXPECT_EQ(c->max_streams, 64);
}

TEST(DaemonConfig, LongAndShortOptions) {
  auto c = Parse({"--listen", "127.0.0.1:0", "--node-name=r1", "--ring-size",
                  "1024", "-4", "-T", "-U", "--interval", "500ms",
                  "--max-flows", "1000", "--rcvbuf", "65536", "--tls-cert",
                  "c.pem", "--tls-key", "k.pem", "--tls-client-ca", "ca.pem",
                  "--token-file", "t", "--insecure", "--max-streams", "3"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server.listen, "127.0.0.1:0");
  EXPECT_EQ(c->node_name, "r1");
  EXPECT_EQ(c->ring_size, 1024u);
  EXPECT_TRUE(c->collector.ipv4);
  EXPECT_FALSE(c->collector.ipv6);
  EXPECT_TRUE(c->collector.tcp);
  EXPECT_TRUE(c->collector.udp);
  EXPECT_FALSE(c->collector.sctp);
  EXPECT_EQ(c->collector.interval, absl::Milliseconds(500));
  EXPECT_EQ(c->collector.max_flows, 1000u);
  EXPECT_EQ(c->collector.rcvbuf, 65536);
  EXPECT_EQ(c->server.tls_client_ca_file, "ca.pem");
  EXPECT_EQ(c->token_file, "t");
  EXPECT_TRUE(c->server.insecure);
  EXPECT_EQ(c->max_streams, 3);
  EXPECT_TRUE(Parse({"-h"})->help);
  EXPECT_TRUE(Parse({"--version"})->version);
}

TEST(DaemonConfig, BadOptionsNameThemselves) {
  auto c = Parse({"--ring-size", "1000"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().substr(0, 20), "--ring-size: '1000' ");
  c = Parse({"--frobnicate"});
  EXPECT_EQ(c.status().message(),
            "unknown option: '--frobnicate'; run 'flowtopd --help'");
  c = Parse({"--listen"});
  EXPECT_EQ(c.status().message(),
            "option needs a value: '--listen'; run 'flowtopd --help'");
  c = Parse({"--interval", "soon"});
  EXPECT_EQ(c.status().message().substr(0, 19), "--interval: 'soon' ");
  c = Parse({"stray"});
  EXPECT_EQ(c.status().message().substr(0, 27), "unexpected argument 'stray'");
}

TEST(DaemonConfig, ConfigFileUsesTheSameNamesAndFlagsOverrideIt) {
  const std::string path = WriteConf(
      "# flowtopd test\n"
      "listen = 127.0.0.1:7000\n"
      "ring-size = 2048   # a comment\n"
      "\n"
      "node-name = from-file\n"
      "insecure\n"
      "tcp = yes\n");
  auto c = Parse({"--config", path, "--node-name", "from-flag"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server.listen, "127.0.0.1:7000");
  EXPECT_EQ(c->ring_size, 2048u);
  EXPECT_EQ(c->node_name, "from-flag");
  EXPECT_TRUE(c->server.insecure);
  EXPECT_TRUE(c->collector.tcp);
  EXPECT_EQ(c->config_file, path);
}

TEST(DaemonConfig, BadConfigLineNamesFileAndLine) {
  DaemonConfig config;
  absl::Status s = ApplyConfigText(
      "flowtopd.conf", "listen = 127.0.0.1:1\n\n# x\nfoo = 3\n", &config);
  EXPECT_EQ(s.message(), "flowtopd.conf:4: unknown option 'foo'");
  s = ApplyConfigText("flowtopd.conf", "ring-size = 3\n", &config);
  EXPECT_EQ(s.message().substr(0, 33), "flowtopd.conf:1: --ring-size: '3'");
  s = ApplyConfigText("flowtopd.conf", "listen\n", &config);
  EXPECT_EQ(s.message(), "flowtopd.conf:1: option 'listen' needs a value");
  s = ApplyConfigText("flowtopd.conf", "config = x\n", &config);
  EXPECT_EQ(s.message(), "flowtopd.conf:1: unknown option 'config'");
  auto c = Parse({"--config", WriteConf("bogus\n")});
  EXPECT_EQ(c.status().message(), "flowtopd.conf:1: unknown option 'bogus'");
  c = Parse({"--config", "/nonexistent/flowtopd.conf"});
  EXPECT_NE(c.status().message().find("/nonexistent/flowtopd.conf"),
            std::string::npos);
}

TEST(DaemonConfig, ShippedConfigFileParses) {
  auto c = Parse({"--config", "conf/flowtopd.conf"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server.listen, "127.0.0.1:9781");
  EXPECT_EQ(c->ring_size, 65536u);
  EXPECT_EQ(c->collector.interval, absl::Seconds(1));
}

TEST(DaemonConfig, ExportOptions) {
  auto c = Parse({"--ipfix", "127.0.0.1:4739", "--ipfix=tcp://[::1]:4739",
                  "--ipfix-active-timeout", "2m", "--ipfix-template-refresh", "30",
                  "--ipfix-mtu", "9000", "--ipfix-domain", "7", "--ipfix-process",
                  "--ipfix-pen", "4242", "--metrics", "9464"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->exports.ipfix, (std::vector<std::string>{"127.0.0.1:4739",
                                                         "tcp://[::1]:4739"}));
  EXPECT_EQ(c->exports.active_timeout, absl::Minutes(2));
  EXPECT_EQ(c->exports.template_refresh, absl::Seconds(30));
  EXPECT_EQ(c->exports.max_message, 9000u);
  EXPECT_EQ(c->exports.observation_domain, 7u);
  EXPECT_TRUE(c->exports.process_fields);
  EXPECT_EQ(c->exports.pen, 4242u);
  EXPECT_EQ(c->exports.metrics, "9464");
  // The config file uses the same names; repeated keys add collectors.
  c = Parse({"--config", WriteConf("ipfix = 10.0.0.1:4739\nipfix = 10.0.0.2:4739\n"
                                   "metrics = 127.0.0.1:9464\n"),
             "--ipfix", "10.0.0.3:4739"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->exports.ipfix.size(), 3u);
  EXPECT_EQ(c->exports.metrics, "127.0.0.1:9464");
  EXPECT_EQ(Parse({"--ipfix", "collector"}).status().message(),
            "--ipfix: 'collector' is not HOST:PORT (e.g. 127.0.0.1:4739)");
  EXPECT_EQ(Parse({"--ipfix-active-timeout", "0.5s"}).status().message(),
            "--ipfix-active-timeout: '0.5s' must be between 1s and 24h");
  EXPECT_EQ(Parse({"--ipfix-mtu", "100"}).status().message(),
            "--ipfix-mtu: '100' is not a message size from 512 to 65535");
  EXPECT_FALSE(Parse({"--ipfix-pen", "x"}).ok());
}

}  // namespace
}  // namespace flowtop::service
