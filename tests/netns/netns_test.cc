// Proves the namespace helper: traffic of each protocol inside it shows up
// in that namespace's conntrack table, the host's is untouched, and nothing
// outlives the helper.
#include "tests/netns/netns.h"

#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace flowtop::testing {
namespace {

std::unique_ptr<NetNs> MustCreate() {
  absl::StatusOr<std::unique_ptr<NetNs>> ns = NetNs::Create();
  // Never skip: a namespace test that cannot run must fail with the reason.
  if (!ns.ok()) ADD_FAILURE() << ns.status();
  return ns.ok() ? std::move(*ns) : nullptr;
}

// One python3 process opens a listener on a free port, connects to it and
// exchanges a byte: a complete TCP (or UDP) flow with no timing involved.
std::string Exchange(const std::string& kind, const std::string& addr,
                     int port) {
  const std::string family = absl::StrContains(addr, ":") ? "AF_INET6"
                                                          : "AF_INET";
  if (kind == "tcp") {
    return absl::StrCat(
        "python3 -c \"import socket as S\n"
        "s=S.socket(S.", family, ");s.setsockopt(S.SOL_SOCKET,S.SO_REUSEADDR,1)\n"
        "s.bind(('", addr, "',", port, "));s.listen()\n"
        "c=S.socket(S.", family, ");c.connect(('", addr, "',", port, "))\n"
        "a,_=s.accept();c.send(b'x');assert a.recv(1)==b'x'\n"
        "c.close();a.close()\"");
  }
  return absl::StrCat(
      "python3 -c \"import socket as S\n"
      "s=S.socket(S.", family, ",S.SOCK_DGRAM);s.bind(('", addr, "',", port,
      "))\n"
      "c=S.socket(S.", family, ",S.SOCK_DGRAM);c.sendto(b'x',('", addr, "',",
      port, "))\n"
      "assert s.recv(1)==b'x'\"");
}

TEST(NetNs, TcpUdpAndIcmpAppearInConntrack) {
  std::unique_ptr<NetNs> ns = MustCreate();
  ASSERT_NE(ns, nullptr);
  ASSERT_TRUE(ns->Run(Exchange("tcp", "127.0.0.1", 7101)).ok());
  ASSERT_TRUE(ns->Run(Exchange("tcp", "::1", 7102)).ok());
  ASSERT_TRUE(ns->Run(Exchange("udp", "127.0.0.1", 7103)).ok());
  ASSERT_TRUE(ns->Run("ping -c 1 -W 5 127.0.0.1 >/dev/null").ok());

  absl::StatusOr<std::string> table = ns->Run("conntrack -L 2>/dev/null");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(absl::StrContains(*table, "dport=7101")) << *table;
  EXPECT_TRUE(absl::StrContains(*table, "dst=::1")) << *table;
  EXPECT_TRUE(absl::StrContains(*table, "dport=7102")) << *table;
  EXPECT_TRUE(absl::StrContains(*table, "udp")) << *table;
  EXPECT_TRUE(absl::StrContains(*table, "dport=7103")) << *table;
  EXPECT_TRUE(absl::StrContains(*table, "icmp")) << *table;
}

TEST(NetNs, IsIsolatedFromTheHost) {
  std::unique_ptr<NetNs> ns = MustCreate();
  ASSERT_NE(ns, nullptr);
  absl::StatusOr<std::string> links = ns->Run("ip -o link show");
  ASSERT_TRUE(links.ok()) << links.status();
  EXPECT_TRUE(absl::StrContains(*links, "lo:")) << *links;
  EXPECT_TRUE(absl::StrContains(*links, "UP")) << *links;
  // Only loopback exists inside.
  EXPECT_EQ(std::count(links->begin(), links->end(), '\n'), 1) << *links;
  // A fresh namespace starts with an empty table (our own flows only).
  absl::StatusOr<std::string> table = ns->Run("conntrack -L 2>/dev/null");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(*table, "");
}

TEST(NetNs, RunInsideOpensSocketsInTheNamespace) {
  std::unique_ptr<NetNs> ns = MustCreate();
  ASSERT_NE(ns, nullptr);
  int fd = -1;
  ASSERT_TRUE(ns->RunInside([&] {
                  fd = socket(AF_INET, SOCK_DGRAM, 0);
                }).ok());
  ASSERT_GE(fd, 0);
  // A UDP socket made inside can reach a listener inside via loopback,
  // and the flow is tracked by the namespace's conntrack.
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(7104);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&addr),
                   sizeof(addr)),
            1);
  close(fd);
  absl::StatusOr<std::string> table = ns->Run("conntrack -L 2>/dev/null");
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE(absl::StrContains(*table, "dport=7104")) << *table;
}

TEST(NetNs, FailingCommandReportsStatusAndStderr) {
  std::unique_ptr<NetNs> ns = MustCreate();
  ASSERT_NE(ns, nullptr);
  absl::StatusOr<std::string> result = ns->Run("echo oops >&2; exit 3");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::StrContains(result.status().message(), "oops"))
      << result.status();
}

TEST(NetNs, NothingOutlivesTheHelper) {
  std::string path;
  pid_t child = 0;
  {
    std::unique_ptr<NetNs> ns = MustCreate();
    ASSERT_NE(ns, nullptr);
    path = ns->Path();
    absl::StatusOr<pid_t> spawned = ns->Spawn("sleep 600");
    ASSERT_TRUE(spawned.ok()) << spawned.status();
    child = *spawned;
    ASSERT_EQ(access(path.c_str(), F_OK), 0);
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0) << path << " still exists";
  EXPECT_NE(kill(child, 0), 0);
  EXPECT_EQ(errno, ESRCH);
}

}  // namespace
}  // namespace flowtop::testing
