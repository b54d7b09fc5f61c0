// Process attribution against real sockets of real processes: socat servers
// and python3 clients in a network namespace, flows from the kernel's
// conntrack table, sockets found through sock_diag inside the namespace and
// owners through the real /proc.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/clock.h"
#include "collector/enrich/proc_index.h"
#include "collector/enrich/process_attribution.h"
#include "collector/enrich/sock_diag.h"
#include "gtest/gtest.h"
#include "tests/enrich/conntrack_flow.h"
#include "tests/enrich/testing/fixtures.h"
#include "tests/enrich/test_clients.h"
#include "tests/netns/netns.h"

namespace flowtop::collector::enrich {
namespace {

using ::flowtop::testing::FindFlow;
using ::flowtop::testing::IpBytes;
using ::flowtop::testing::MakeTempDir;
using ::flowtop::testing::NetNs;

class ProcessNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = NetNs::Create();
    ASSERT_TRUE(ns.ok()) << ns.status();
    ns_ = *std::move(ns);
    ASSERT_TRUE(ns_->RunInside([this] {
                      auto diag = SockDiag::Open();
                      ASSERT_TRUE(diag.ok()) << diag.status();
                      sock_diag_ = *std::move(diag);
                    }).ok());
    procs_ = std::make_unique<ProcIndex>(core::RealClock::Get(), "/proc", absl::ZeroDuration());
    local_ = std::make_unique<InterfaceAddresses>(core::RealClock::Get());
    attributor_ = std::make_unique<ProcessAttributor>(*sock_diag_, *procs_, *local_);
    dir_ = MakeTempDir("procs");
  }

  // Starts a client and returns (pid, local port) once it is connected.
  std::pair<pid_t, int> StartClient(const std::string& family, const std::string& kind,
                                    const std::string& host, int port,
                                    const std::string& proto = "0") {
    absl::StatusOr<::flowtop::testing::Client> client =
        ::flowtop::testing::StartClient(*ns_, dir_, {family, kind, host, port, "", proto});
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::make_pair(client->pid, client->port) : std::make_pair(-1, 0);
  }

  // Runs `socket_code` (python3 lines that bind the server socket `s`) in
  // a process that then idles, and returns its pid once the socket is bound
  // (the script says so through a fifo), or -1 after a test failure.
  pid_t StartPythonServer(const std::string& name, const std::string& socket_code) {
    const std::string ready = absl::StrCat(dir_, "/", name, "_ready");
    EXPECT_EQ(mkfifo(ready.c_str(), 0600), 0);
    absl::StatusOr<pid_t> server = ns_->Spawn(absl::StrCat(
        "exec python3 -c '\n"
        "import socket, time\n",
        socket_code,
        "open(\"", ready, "\", \"w\").write(\"ready\\n\")\n"
        "time.sleep(600)\n'"));
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return -1;
    std::ifstream in(ready);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "ready");
    return line == "ready" ? *server : -1;
  }

  // Attributes inside the namespace (local addresses are per namespace).
  std::pair<v1::Process, v1::Process> Attribute(const v1::Flow& flow) {
    v1::Process src, dst;
    EXPECT_TRUE(ns_->RunInside([&] { attributor_->Attribute(flow, &src, &dst); }).ok());
    return {src, dst};
  }

  std::unique_ptr<NetNs> ns_;
  std::unique_ptr<SockDiag> sock_diag_;
  std::unique_ptr<ProcIndex> procs_;
  std::unique_ptr<InterfaceAddresses> local_;
  std::unique_ptr<ProcessAttributor> attributor_;
  std::string dir_;
};

TEST_F(ProcessNetnsTest, TcpOutboundAndInboundEndsGetTheirOwnProcesses) {
  absl::StatusOr<pid_t> server =
      ns_->Spawn("exec socat -u TCP4-LISTEN:8001,bind=127.0.0.1,reuseaddr OPEN:/dev/null");
  ASSERT_TRUE(server.ok()) << server.status();
  auto [client, client_port] = StartClient("AF_INET", "SOCK_STREAM", "127.0.0.1", 8001);
  absl::StatusOr<v1::Flow> flow =
      FindFlow(*ns_, absl::StrCat("-p tcp --dport 8001 --sport ", client_port));
  ASSERT_TRUE(flow.ok()) << flow.status();

  auto [src, dst] = Attribute(*flow);
  EXPECT_EQ(src.pid(), static_cast<uint32_t>(client));
  EXPECT_EQ(src.name(), "python3");
  EXPECT_NE(src.exe().find("python3"), std::string::npos) << src.exe();
  EXPECT_EQ(src.user(), "root");
  EXPECT_EQ(dst.pid(), static_cast<uint32_t>(*server));
  EXPECT_EQ(dst.name(), "socat");
  EXPECT_EQ(dst.exe(), "/usr/bin/socat");

  // The client exits: its end shows "-", never a stale or wrong name.
  ns_->Kill(client);
  auto [src_after, dst_after] = Attribute(*flow);
  EXPECT_EQ(src_after.pid(), 0u);
  EXPECT_EQ(src_after.name(), "");
}

TEST_F(ProcessNetnsTest, ConnectionNotYetAcceptedBelongsToTheListener) {
  // A server that listens and never accepts: the connection completes and
  // waits in the accept queue, a socket without an inode of its own.
  const pid_t server = StartPythonServer(
      "listener",
      "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
      "s.bind((\"127.0.0.1\", 8005))\n"
      "s.listen(8)\n");
  ASSERT_GT(server, 0);
  auto [client, client_port] = StartClient("AF_INET", "SOCK_STREAM", "127.0.0.1", 8005);
  absl::StatusOr<v1::Flow> flow =
      FindFlow(*ns_, absl::StrCat("-p tcp --dport 8005 --sport ", client_port));
  ASSERT_TRUE(flow.ok()) << flow.status();
  auto [src, dst] = Attribute(*flow);
  EXPECT_EQ(src.pid(), static_cast<uint32_t>(client));
  EXPECT_EQ(dst.pid(), static_cast<uint32_t>(server));
  EXPECT_EQ(dst.name(), "python3");
}

TEST_F(ProcessNetnsTest, TcpOverIpv6) {
  absl::StatusOr<pid_t> server =
      ns_->Spawn("exec socat -u TCP6-LISTEN:8003,bind=[::1],reuseaddr OPEN:/dev/null");
  ASSERT_TRUE(server.ok()) << server.status();
  auto [client, client_port] = StartClient("AF_INET6", "SOCK_STREAM", "::1", 8003);
  absl::StatusOr<v1::Flow> flow =
      FindFlow(*ns_, absl::StrCat("-f ipv6 -p tcp --dport 8003 --sport ", client_port));
  ASSERT_TRUE(flow.ok()) << flow.status();
  auto [src, dst] = Attribute(*flow);
  EXPECT_EQ(src.pid(), static_cast<uint32_t>(client));
  EXPECT_EQ(dst.pid(), static_cast<uint32_t>(*server));
  EXPECT_EQ(dst.name(), "socat");
}

TEST_F(ProcessNetnsTest, UdpBothEndsAndAForwardedFlowShowsDash) {
  // The server listens on every address (a wildcard socket).
  absl::StatusOr<pid_t> server = ns_->Spawn("exec socat -u UDP4-RECV:8002 OPEN:/dev/null");
  ASSERT_TRUE(server.ok()) << server.status();
  auto [client, client_port] = StartClient("AF_INET", "SOCK_DGRAM", "127.0.0.1", 8002);
  absl::StatusOr<v1::Flow> flow =
      FindFlow(*ns_, absl::StrCat("-p udp --dport 8002 --sport ", client_port));
  ASSERT_TRUE(flow.ok()) << flow.status();
  auto [src, dst] = Attribute(*flow);
  EXPECT_EQ(src.pid(), static_cast<uint32_t>(client));
  EXPECT_EQ(src.name(), "python3");
  EXPECT_EQ(dst.pid(), static_cast<uint32_t>(*server));
  EXPECT_EQ(dst.name(), "socat");

  // A flow this host only forwards, to the same port on another host: the
  // local wildcard socket must not claim it.
  v1::Flow forwarded;
  forwarded.set_protocol(v1::UDP);
  v1::Tuple* o = forwarded.mutable_original();
  o->set_src_ip(IpBytes("192.0.2.1"));
  o->set_src_port(40000);
  o->set_dst_ip(IpBytes("198.51.100.7"));
  o->set_dst_port(8002);
  v1::Tuple* r = forwarded.mutable_reply();
  r->set_src_ip(o->dst_ip());
  r->set_src_port(8002);
  r->set_dst_ip(o->src_ip());
  r->set_dst_port(40000);
  auto [fsrc, fdst] = Attribute(forwarded);
  EXPECT_EQ(fsrc.ByteSizeLong(), 0u);
  EXPECT_EQ(fdst.ByteSizeLong(), 0u);
  EXPECT_GE(attributor_->stats().not_local, 1u);

  // The client exits: "-" for its end, the server keeps its name.
  ns_->Kill(client);
  auto [src_after, dst_after] = Attribute(*flow);
  EXPECT_EQ(src_after.pid(), 0u);
  EXPECT_EQ(dst_after.name(), "socat");
}

TEST_F(ProcessNetnsTest, UdpLiteBothEnds) {
  // A python3 UDP-lite receiver that says when it is bound.
  const pid_t server = StartPythonServer(
      "server",
      "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDPLITE)\n"
      "s.bind((\"127.0.0.1\", 8004))\n");
  ASSERT_GT(server, 0);
  auto [client, client_port] =
      StartClient("AF_INET", "SOCK_DGRAM", "127.0.0.1", 8004, "socket.IPPROTO_UDPLITE");
  absl::StatusOr<v1::Flow> flow =
      FindFlow(*ns_, absl::StrCat("-p udplite --dport 8004 --sport ", client_port));
  ASSERT_TRUE(flow.ok()) << flow.status();
  EXPECT_EQ(flow->protocol(), v1::UDPLITE);
  auto [src, dst] = Attribute(*flow);
  EXPECT_EQ(src.pid(), static_cast<uint32_t>(client));
  EXPECT_EQ(dst.pid(), static_cast<uint32_t>(server));
  EXPECT_EQ(dst.name(), "python3");
}

TEST_F(ProcessNetnsTest, HundredShortConnectionsAreAllAttributedOnTheServerEnd) {
  // python3's http.server closes each connection first: by the time anyone
  // asks, the server's socket is in TIME_WAIT (no inode) or gone. The
  // listener that accepted them is alive the whole time.
  const pid_t server = StartPythonServer(
      "http",
      "import http.server\n"
      "class Quiet(http.server.SimpleHTTPRequestHandler):\n"
      "    def log_message(self, *a): pass\n"
      "httpd = http.server.HTTPServer((\"127.0.0.1\", 8006), Quiet)\n"
      "import threading\n"
      "threading.Thread(target=httpd.serve_forever, daemon=True).start()\n");
  ASSERT_GT(server, 0);
  absl::StatusOr<std::string> out = ns_->Run(
      "for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8006/ || echo fail; done");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "");
  absl::StatusOr<std::vector<v1::Flow>> flows =
      ::flowtop::testing::ListFlows(*ns_, "-p tcp --dport 8006");
  ASSERT_TRUE(flows.ok()) << flows.status();
  ASSERT_EQ(flows->size(), 100u);
  int attributed = 0;
  for (const v1::Flow& flow : *flows) {
    auto [src, dst] = Attribute(flow);
    if (dst.pid() == static_cast<uint32_t>(server) && dst.name() == "python3") ++attributed;
  }
  EXPECT_EQ(attributed, 100);
}

}  // namespace
}  // namespace flowtop::collector::enrich
