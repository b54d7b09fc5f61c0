// TestNode: a complete flowtopd without a kernel, for end-to-end tests: a
// Pipeline, an EventRing and the FlowTopService served by a real gRPC server
// on 127.0.0.1 port 0. Tests publish hand-made events into the pipeline (as
// a source would) and talk to it with real gRPC clients.
#ifndef FLOWTOP_TESTS_SERVICE_TEST_NODE_H_
#define FLOWTOP_TESTS_SERVICE_TEST_NODE_H_

#include <arpa/inet.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/pipeline.h"
#include "flowtop/v1/flowtop.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "service/event_ring.h"
#include "service/flowtop_service.h"
#include "service/server.h"

namespace flowtop::testing {

struct TestNodeOptions {
  std::string node = "t1";
  size_t ring_size = 1 << 12;
  int port = 0;  // 0: any free port
  service::ServiceOptions service;
  service::ServerOptions server;
};

class TestNode {
 public:
  explicit TestNode(TestNodeOptions options = {})
      : pipeline_({.node = options.node}, core::RealClock::Get()),
        ring_(*service::EventRing::Create(options.ring_size)),
        service_(options.service, pipeline_, *ring_,
                 core::RealClock::Get(), nullptr) {
    pipeline_.AddSink(ring_.get());
    options.server.listen = absl::StrCat("127.0.0.1:", options.port);
    auto running = service::StartServer(options.server, &service_);
    EXPECT_TRUE(running.ok()) << running.status();
    if (running.ok()) {
      server_ = std::move(running->server);
      port_ = running->port;
    }
  }

  ~TestNode() {
    service_.Shutdown();
    if (server_ != nullptr) {
      server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    }
  }

  void Publish(std::vector<v1::FlowEvent> events) {
    pipeline_.Publish(absl::MakeSpan(events));
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  std::unique_ptr<v1::FlowTop::Stub> Stub(int max_receive = 64 << 20) const {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(max_receive);
    return v1::FlowTop::NewStub(grpc::CreateCustomChannel(
        address(), grpc::InsecureChannelCredentials(), args));
  }
  int port() const { return port_; }
  core::Pipeline& pipeline() { return pipeline_; }
  service::EventRing& ring() { return *ring_; }
  service::FlowTopService& service() { return service_; }

 private:
  core::Pipeline pipeline_;
  std::unique_ptr<service::EventRing> ring_;
  service::FlowTopService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

inline std::string Ip4(const char* text) {
  std::string out(4, '\0');
  inet_pton(AF_INET, text, out.data());
  return out;
}

// A TCP flow event: 10.0.0.<id % 250>:<10000+id> -> 192.0.2.1:<dport>.
inline v1::FlowEvent MakeEvent(v1::EventType type, uint32_t id,
                               uint32_t dport = 443,
                               v1::L4Protocol proto = v1::TCP) {
  v1::FlowEvent e;
  e.set_type(type);
  v1::Flow* f = e.mutable_flow();
  f->set_conntrack_id(id);
  f->set_family(v1::IPV4);
  f->set_protocol(proto);
  f->mutable_original()->set_src_ip(
      Ip4(absl::StrCat("10.0.0.", id % 250).c_str()));
  f->mutable_original()->set_dst_ip(Ip4("192.0.2.1"));
  f->mutable_original()->set_src_port(10000 + id);
  f->mutable_original()->set_dst_port(dport);
  if (proto == v1::TCP) f->set_tcp_state(v1::TCP_ESTABLISHED);
  return e;
}

}  // namespace flowtop::testing

#endif  // FLOWTOP_TESTS_SERVICE_TEST_NODE_H_
