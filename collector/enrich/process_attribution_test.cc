#include "collector/enrich/process_attribution.h"

#include <string>

#include "collector/enrich/fake_lookups.h"
#include "gtest/gtest.h"

namespace flowtop::collector::enrich {
namespace {

std::string V4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                     static_cast<char>(d)};
}

v1::Flow MakeFlow(v1::L4Protocol protocol, const std::string& src, uint32_t sport,
                  const std::string& dst, uint32_t dport) {
  v1::Flow flow;
  flow.set_protocol(protocol);
  v1::Tuple* o = flow.mutable_original();
  o->set_src_ip(src);
  o->set_src_port(sport);
  o->set_dst_ip(dst);
  o->set_dst_port(dport);
  v1::Tuple* r = flow.mutable_reply();
  r->set_src_ip(dst);
  r->set_src_port(dport);
  r->set_dst_ip(src);
  r->set_dst_port(sport);
  return flow;
}

class ProcessAttributorTest : public ::testing::Test {
 protected:
  FakeSocketLookup sockets_;
  FakeProcessLookup processes_;
  FakeLocalAddresses local_;
  ProcessAttributor attributor_{sockets_, processes_, local_};
  const std::string host_ = V4(192, 0, 2, 1);
  const std::string remote_ = V4(198, 51, 100, 7);
};

TEST_F(ProcessAttributorTest, BothEndsOfALocalFlow) {
  local_.Add(host_);
  sockets_.AddConnected({v1::TCP, host_, 40000, host_, 80}, 11);  // client
  sockets_.AddConnected({v1::TCP, host_, 80, host_, 40000}, 22);  // server
  processes_.Add(11, 100, "curl");
  processes_.Add(22, 200, "nginx");
  v1::Process src, dst;
  attributor_.Attribute(MakeFlow(v1::TCP, host_, 40000, host_, 80), &src, &dst);
  EXPECT_EQ(src.pid(), 100u);
  EXPECT_EQ(src.name(), "curl");
  EXPECT_EQ(dst.pid(), 200u);
  EXPECT_EQ(dst.name(), "nginx");
}

TEST_F(ProcessAttributorTest, InboundFlowFindsTheListenerOnALocalAddress) {
  local_.Add(host_);
  sockets_.AddWildcard(v1::TCP, 22, 33);
  processes_.Add(33, 300, "sshd");
  v1::Process src, dst;
  attributor_.Attribute(MakeFlow(v1::TCP, remote_, 50000, host_, 22), &src, &dst);
  EXPECT_EQ(src.pid(), 0u);  // the remote client: "-"
  EXPECT_EQ(dst.name(), "sshd");
}

TEST_F(ProcessAttributorTest, ForwardedFlowToAListenedPortIsNotAttributed) {
  // This host listens on 22, but the flow passes through to another host.
  sockets_.AddWildcard(v1::TCP, 22, 33);
  processes_.Add(33, 300, "sshd");
  v1::Process src, dst;
  attributor_.Attribute(MakeFlow(v1::TCP, V4(10, 0, 0, 5), 50000, remote_, 22), &src, &dst);
  EXPECT_EQ(src.ByteSizeLong(), 0u);
  EXPECT_EQ(dst.ByteSizeLong(), 0u);
  EXPECT_EQ(attributor_.stats().not_local, 1u);
}

TEST_F(ProcessAttributorTest, DestinationUsesTheReplyTupleUnderDnat) {
  // remote -> host:8080, DNAT to the local server on 127.0.0.1:80.
  const std::string lo = V4(127, 0, 0, 1);
  sockets_.AddConnected({v1::TCP, lo, 80, remote_, 50000}, 44);
  processes_.Add(44, 400, "httpd");
  v1::Flow flow = MakeFlow(v1::TCP, remote_, 50000, host_, 8080);
  flow.mutable_reply()->set_src_ip(lo);
  flow.mutable_reply()->set_src_port(80);
  v1::Process src, dst;
  attributor_.Attribute(flow, &src, &dst);
  EXPECT_EQ(dst.name(), "httpd");
}

TEST_F(ProcessAttributorTest, SocketWithoutLiveOwnerShowsDash) {
  local_.Add(host_);
  sockets_.AddConnected({v1::UDP, host_, 5353, remote_, 53}, 55);  // owner exited
  v1::Process src, dst;
  attributor_.Attribute(MakeFlow(v1::UDP, host_, 5353, remote_, 53), &src, &dst);
  EXPECT_EQ(src.ByteSizeLong(), 0u);
  EXPECT_EQ(attributor_.stats().no_process, 1u);
}

TEST_F(ProcessAttributorTest, ProtocolsWithoutSocketsAreNotLookedUp) {
  v1::Flow flow = MakeFlow(v1::ICMP, host_, 0, remote_, 0);
  v1::Process src, dst;
  src.set_pid(9);
  attributor_.Attribute(flow, &src, &dst);
  EXPECT_EQ(src.pid(), 0u);
  EXPECT_EQ(sockets_.finds(), 0);
}

}  // namespace
}  // namespace flowtop::collector::enrich

namespace flowtop::collector::enrich {
namespace {

class KernelRecordTest : public ProcessAttributorTest {
 protected:
  FakeSocketOwners owners_;
  ProcessAttributor with_ebpf_{sockets_, processes_, local_, &owners_};
};

TEST_F(KernelRecordTest, ClosedClientIsNamedFromTheKernelsRecord) {
  local_.Add(host_);
  // The client's socket and process are gone; only the record remains.
  KernelOwner curl;
  curl.pid = 4242;
  curl.tid = 4243;
  curl.uid = 0;
  curl.comm = "curl";
  owners_.Add({v1::TCP, host_, 40000, remote_, 443}, curl);
  v1::Process src, dst;
  with_ebpf_.Attribute(MakeFlow(v1::TCP, host_, 40000, remote_, 443), &src, &dst);
  EXPECT_EQ(src.pid(), 4242u);
  EXPECT_EQ(src.name(), "curl");
  EXPECT_EQ(src.user(), "root");
  EXPECT_EQ(src.attributed_by(), "ebpf");
  EXPECT_EQ(dst.pid(), 0u);  // the remote end
  EXPECT_EQ(with_ebpf_.stats().by_ebpf, 1u);
  // Without the record the same flow has no owner.
  attributor_.Attribute(MakeFlow(v1::TCP, host_, 40000, remote_, 443), &src, &dst);
  EXPECT_EQ(src.pid(), 0u);
}

TEST_F(KernelRecordTest, LiveProcessIsCompletedFromProc) {
  processes_.Add(77, 4242, "curl");  // /usr/bin/curl, root
  KernelOwner curl;
  curl.pid = 4242;
  curl.comm = "curl";
  owners_.Add({v1::TCP, host_, 40000, remote_, 443}, curl);
  v1::Process src, dst;
  with_ebpf_.Attribute(MakeFlow(v1::TCP, host_, 40000, remote_, 443), &src, &dst);
  EXPECT_EQ(src.exe(), "/usr/bin/curl");
  EXPECT_EQ(src.attributed_by(), "ebpf");
  // A reused pid (another name now) is not believed: the record's name.
  KernelOwner old;
  old.pid = 4242;
  old.comm = "wget";
  owners_.Add({v1::TCP, host_, 40001, remote_, 443}, old);
  with_ebpf_.Attribute(MakeFlow(v1::TCP, host_, 40001, remote_, 443), &src, &dst);
  EXPECT_EQ(src.name(), "wget");
  EXPECT_EQ(src.exe(), "");
}

TEST_F(KernelRecordTest, EndsWithoutARecordUseTheSocketAndSayHow) {
  local_.Add(host_);
  sockets_.AddWildcard(v1::TCP, 80, 33);
  processes_.Add(33, 300, "nginx");
  v1::Process src, dst;
  with_ebpf_.Attribute(MakeFlow(v1::TCP, remote_, 50000, host_, 80), &src, &dst);
  EXPECT_EQ(dst.name(), "nginx");
  EXPECT_EQ(dst.attributed_by(), "listener");
  EXPECT_EQ(with_ebpf_.stats().by_ebpf, 0u);
  EXPECT_EQ(with_ebpf_.stats().by_listener, 1u);
}

}  // namespace
}  // namespace flowtop::collector::enrich

namespace flowtop::collector::enrich {
namespace {

TEST_F(KernelRecordTest, ALiveOwnerIsReadFromProcOncePerName) {
  class CountingProcesses final : public ProcessLookup {
   public:
    absl::StatusOr<v1::Process> OwnerOf(uint64_t) override { return absl::NotFoundError(""); }
    absl::StatusOr<v1::Process> ProcessById(uint32_t pid) override {
      ++reads;
      v1::Process p;
      p.set_pid(pid);
      p.set_name(name);
      p.set_exe("/usr/bin/" + name);
      return p;
    }
    int reads = 0;
    std::string name = "python3";
  } procs;
  ProcessAttributor attributor(sockets_, procs, local_, &owners_);
  KernelOwner owner;
  owner.pid = 99;
  owner.comm = "python3";
  for (uint32_t port = 40000; port < 40010; ++port) {
    owners_.Add({v1::TCP, host_, port, remote_, 443}, owner);
    v1::Process src, dst;
    attributor.Attribute(MakeFlow(v1::TCP, host_, port, remote_, 443), &src, &dst);
    EXPECT_EQ(src.exe(), "/usr/bin/python3");
  }
  EXPECT_EQ(procs.reads, 1);
  // The pid now runs another program (exec, or a reused pid): read again.
  procs.name = "node";
  owner.comm = "node";
  owners_.Add({v1::TCP, host_, 41000, remote_, 443}, owner);
  v1::Process src, dst;
  attributor.Attribute(MakeFlow(v1::TCP, host_, 41000, remote_, 443), &src, &dst);
  EXPECT_EQ(src.exe(), "/usr/bin/node");
  EXPECT_EQ(procs.reads, 2);
}

}  // namespace
}  // namespace flowtop::collector::enrich
