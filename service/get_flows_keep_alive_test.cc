// GetFlows' keep-alive waits through the service's clock: over real gRPC on
// loopback, with a FakeClock, a following stream that has nothing to send
// gets its STATUS when the clock reaches the status interval, and not
// before, however much real time passes.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/fake_clock.h"
#include "core/pipeline.h"
#include "flowtop/v1/flowtop.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "service/event_ring.h"
#include "service/flowtop_service.h"
#include "service/server.h"

namespace flowtop::service {
namespace {

constexpr absl::Duration kInterval = absl::Seconds(10);


v1::FlowEvent NewFlow() {
  v1::FlowEvent e;
  e.set_type(v1::NEW);
  v1::Flow* f = e.mutable_flow();
  f->set_conntrack_id(7);
  f->set_family(v1::IPV4);
  f->set_protocol(v1::TCP);
  f->set_protocol_number(6);
  f->mutable_original()->set_src_ip(std::string("\x0A\x00\x00\x01", 4));
  f->mutable_original()->set_dst_ip(std::string("\x0A\x00\x00\x02", 4));
  f->mutable_original()->set_src_port(40000);
  f->mutable_original()->set_dst_port(80);
  return e;
}

class KeepAliveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pipeline_ = std::make_unique<core::Pipeline>(
        core::PipelineOptions{.node = "n1"}, clock_);
    ring_ = *EventRing::Create(64);
    pipeline_->AddSink(ring_.get());
    ServiceOptions options;
    options.status_interval = kInterval;
    service_ = std::make_unique<FlowTopService>(options, *pipeline_, *ring_,
                                                clock_, nullptr);
    ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    absl::StatusOr<RunningServer> running =
        StartServer(server_options, service_.get());
    ASSERT_TRUE(running.ok()) << running.status();
    server_ = std::move(running->server);
    stub_ = v1::FlowTop::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", running->port),
        grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_ != nullptr) {
      service_->Shutdown();
      server_->Shutdown(std::chrono::system_clock::now());
    }
  }

  core::FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  std::unique_ptr<core::Pipeline> pipeline_;
  std::unique_ptr<EventRing> ring_;
  std::unique_ptr<FlowTopService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::FlowTop::Stub> stub_;
};

TEST_F(KeepAliveTest, StatusAfterTheIntervalOnTheClockAndNotBefore) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  v1::GetFlowsRequest request;
  request.set_follow(true);
  std::unique_ptr<grpc::ClientReader<v1::GetFlowsResponse>> stream =
      stub_->GetFlows(&context, request);
  v1::GetFlowsResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_EQ(response.events_size(), 1);
  EXPECT_EQ(response.events(0).type(), v1::STATUS);  // the stream's first

  // Almost the interval: the next thing the client gets is the event.
  ASSERT_TRUE(clock_.AwaitWaiters(1, absl::Seconds(30))) << "the stream does not wait on its clock";
  clock_.Advance(kInterval - absl::Seconds(1));
  v1::FlowEvent event = NewFlow();
  pipeline_->Publish(absl::MakeSpan(&event, 1));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_EQ(response.events_size(), 1);
  EXPECT_EQ(response.events(0).type(), v1::NEW) << "a keep-alive came early";

  // The interval reached: a keep-alive, with nothing else to send.
  ASSERT_TRUE(clock_.AwaitWaiters(1, absl::Seconds(30)));
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_EQ(response.events_size(), 1);
  EXPECT_EQ(response.events(0).type(), v1::STATUS);
  EXPECT_EQ(response.events(0).time_unix_nanos(),
            absl::ToUnixNanos(clock_.Now()));
  context.TryCancel();
}

}  // namespace
}  // namespace flowtop::service
