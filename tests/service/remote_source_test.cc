// RemoteSource against real flowtopd services on 127.0.0.1: snapshot and
// live events, connected/disconnected STATUS, reconnect after the node
// restarts, permanent errors, Stop.
#include "client/remote_source.h"

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "core/fake_clock.h"
#include "gtest/gtest.h"
#include "tests/service/test_node.h"

namespace flowtop::testing {
namespace {

class WaitingSink final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    absl::MutexLock lock(&mu_);
    for (const auto& e : events) events_.push_back(e);
  }
  // Waits until pred(events) holds; returns whether it did within 30 s.
  bool WaitFor(std::function<bool(const std::vector<v1::FlowEvent>&)> pred) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return pred(events_);
    };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30));
  }
  std::vector<v1::FlowEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::FlowEvent> events_ ABSL_GUARDED_BY(mu_);
};

size_t Count(const std::vector<v1::FlowEvent>& events, v1::EventType type) {
  size_t n = 0;
  for (const auto& e : events) n += e.type() == type;
  return n;
}

size_t CountState(const std::vector<v1::FlowEvent>& events, bool connected) {
  size_t n = 0;
  for (const auto& e : events) {
    n += e.type() == v1::STATUS && e.status().endpoint().size() > 0 &&
         e.status().connected() == connected;
  }
  return n;
}

TEST(RemoteSource, StreamsSnapshotAndLiveEventsAndReconnects) {
  auto node = std::make_unique<TestNode>();
  const int port = node->port();
  node->Publish({MakeEvent(v1::NEW, 1), MakeEvent(v1::NEW, 2)});
  client::RemoteSourceOptions options;
  options.client.endpoint = node->address();
  options.initial_backoff = absl::Milliseconds(50);
  client::RemoteSource source(options);
  WaitingSink sink;
  std::thread runner([&] { EXPECT_TRUE(source.Run(sink).ok()); });

  ASSERT_TRUE(sink.WaitFor([](const auto& e) {
    return Count(e, v1::SNAPSHOT_END) == 1;
  }));
  auto events = sink.events();
  EXPECT_EQ(CountState(events, true), 1u);
  EXPECT_EQ(Count(events, v1::SNAPSHOT), 2u);
  EXPECT_TRUE(source.connected());
  node->Publish({MakeEvent(v1::DESTROY, 1)});
  ASSERT_TRUE(sink.WaitFor([](const auto& e) {
    return Count(e, v1::DESTROY) == 1;
  }));
  EXPECT_EQ(sink.events().back().node(), "t1");

  // The node goes away: disconnected STATUS and a LOST{CLIENT}.
  node.reset();
  ASSERT_TRUE(sink.WaitFor([](const auto& e) {
    return CountState(e, false) == 1 && Count(e, v1::LOST) == 1;
  }));
  EXPECT_FALSE(source.connected());
  for (const auto& e : sink.events()) {
    if (e.type() == v1::LOST) {
      EXPECT_EQ(e.lost().source(), v1::CLIENT);
    }
  }

  // It comes back on the same port: reconnect and a fresh snapshot.
  TestNodeOptions again;
  again.port = port;
  again.node = "t1";
  TestNode node2(again);
  node2.Publish({MakeEvent(v1::NEW, 7)});
  ASSERT_TRUE(sink.WaitFor([](const auto& e) {
    return CountState(e, true) == 2 && Count(e, v1::SNAPSHOT_END) == 2;
  }));
  source.Stop();
  runner.join();
}

TEST(RemoteSource, WrongTokenEndsRunWithUnauthenticated) {
  TestNodeOptions options;
  options.service.token = "right";
  TestNode node(options);
  const std::string token_file =
      std::string(getenv("TEST_TMPDIR")) + "/wrong-token";
  FILE* f = fopen(token_file.c_str(), "w");
  fputs("wrong\n", f);
  fclose(f);
  client::RemoteSourceOptions remote;
  remote.client.endpoint = node.address();
  remote.client.token_file = token_file;
  client::RemoteSource source(remote);
  WaitingSink sink;
  absl::Status s = source.Run(sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find(node.address()), std::string::npos);
}

// The reconnect backoff waits on the source's clock: a node back on its
// port is not reached before the clock passes the backoff, however much real
// time passes, and is reached once it does.
TEST(RemoteSource, ReconnectBackoffWaitsOnTheClock) {
  auto node = std::make_unique<TestNode>();
  const int port = node->port();
  core::FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  client::RemoteSourceOptions options;
  options.client.endpoint = node->address();
  options.initial_backoff = absl::Seconds(10);
  options.clock = &clock;
  client::RemoteSource source(options);
  WaitingSink sink;
  std::thread runner([&] { EXPECT_TRUE(source.Run(sink).ok()); });
  ASSERT_TRUE(sink.WaitFor([](const auto& e) {
    return Count(e, v1::SNAPSHOT_END) == 1;
  }));
  node.reset();
  ASSERT_TRUE(sink.WaitFor([](const auto& e) { return CountState(e, false) == 1; }));
  const bool waits = clock.AwaitWaiters(1, absl::Seconds(30));
  TestNodeOptions again;
  again.port = port;
  TestNode node2(again);
  if (waits) {
    absl::SleepFor(absl::Seconds(1));  // real time: moves nothing on
    EXPECT_EQ(CountState(sink.events(), true), 1u) << "reconnected early";
    clock.Advance(absl::Seconds(10));
    EXPECT_TRUE(sink.WaitFor([](const auto& e) { return CountState(e, true) == 2; }));
  }
  source.Stop();
  runner.join();
  EXPECT_TRUE(waits) << "the backoff does not wait on the source's clock";
}

TEST(RemoteSource, StopEndsRunWhileWaitingToReconnect) {
  client::RemoteSourceOptions options;
  options.client.endpoint = "127.0.0.1:1";  // nothing listens there
  options.initial_backoff = absl::Hours(1);
  client::RemoteSource source(options);
  WaitingSink sink;
  std::thread runner([&] { EXPECT_TRUE(source.Run(sink).ok()); });
  source.Stop();
  runner.join();
  EXPECT_FALSE(source.connected());
}

}  // namespace
}  // namespace flowtop::testing
