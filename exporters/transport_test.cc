#include "exporters/transport.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace flowtop::exporters {
namespace {

TEST(ParseCollectorAddressTest, Forms) {
  auto a = ParseCollectorAddress("127.0.0.1:4739");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->tcp);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 4739);
  a = ParseCollectorAddress("tcp://[::1]:9995");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->tcp);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 9995);
  a = ParseCollectorAddress("udp://collector.example:2055");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "collector.example");
}

TEST(ParseCollectorAddressTest, ErrorsNameTheInput) {
  for (const char* bad : {"127.0.0.1", ":4739", "host:0", "host:70000",
                          "::1:4739", "[::1]4739", "host:x"}) {
    auto a = ParseCollectorAddress(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_NE(a.status().message().find(bad), std::string::npos) << bad;
  }
}

TEST(TransportTest, UdpDeliversWholeMessages) {
  const int rx = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(rx, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(rx, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(rx, reinterpret_cast<sockaddr*>(&addr), &len);
  auto t = OpenTransport({.tcp = false, .host = "127.0.0.1",
                          .port = ntohs(addr.sin_port)});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE((*t)->Ready(absl::Now()));
  ASSERT_TRUE((*t)->Send("hello ipfix").ok());
  char buf[64];
  const ssize_t n = recv(rx, buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, n), "hello ipfix");
  close(rx);
}

TEST(TransportTest, TcpToNobodyFailsAndRetriesLater) {
  // A port nobody listens on: bind one and close it.
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  close(s);
  auto t = OpenTransport({.tcp = true, .host = "127.0.0.1",
                          .port = ntohs(addr.sin_port)});
  ASSERT_TRUE(t.ok());
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_FALSE((*t)->Ready(t0));
  EXPECT_FALSE((*t)->Send("x").ok());
  EXPECT_EQ((*t)->connection(), 0u);
}

TEST(TransportTest, UnresolvableHostIsAnError) {
  auto t = OpenTransport({.tcp = false, .host = "no-such-host.invalid", .port = 1});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("no-such-host.invalid"), std::string::npos);
}

}  // namespace
}  // namespace flowtop::exporters
