#include "tui/model.h"

#include <atomic>
#include <thread>
#include <vector>

#include "core/fake_clock.h"
#include "gtest/gtest.h"
#include "tui/test_flows.h"

namespace flowtop::tui {
namespace {

using testing::Event;
using testing::TcpFlow;

void Publish(Model& model, int source, std::vector<v1::FlowEvent> events) {
  model.SinkFor(source).Publish(absl::MakeSpan(events));
}

const FlowRow* Find(const Snapshot& snap, uint32_t source, uint32_t id) {
  for (const FlowRow* r : snap.flows) {
    if (r->source == source && r->flow().conntrack_id() == id) return r;
  }
  return nullptr;
}

class ModelTest : public ::testing::Test {
 protected:
  core::FakeClock clock_{absl::FromUnixSeconds(1000)};
  Model model_{clock_};
};

TEST_F(ModelTest, NewUpdateDestroy) {
  const int s = model_.AddSource("local");
  v1::Flow f = TcpFlow(7, "10.0.0.1", 40000, "10.0.0.2", 443);
  Publish(model_, s, {Event(v1::NEW, f, 1'000'000'000'000)});
  ASSERT_EQ(model_.size(), 1u);
  f.set_tcp_state(v1::TCP_FIN_WAIT);
  Publish(model_, s, {Event(v1::UPDATE, f, 1'001'000'000'000)});
  Snapshot snap = model_.TakeSnapshot();
  ASSERT_EQ(snap.flows.size(), 1u);
  EXPECT_EQ(snap.flows[0]->flow().tcp_state(), v1::TCP_FIN_WAIT);
  EXPECT_EQ(snap.flows[0]->flow().first_seen_unix_nanos(), 1'000'000'000'000);
  EXPECT_EQ(snap.flows[0]->node, "local");
  Publish(model_, s, {Event(v1::DESTROY, f)});
  EXPECT_EQ(model_.size(), 0u);
  // The earlier snapshot still holds its rows (immutable, shared).
  EXPECT_EQ(snap.flows[0]->flow().conntrack_id(), 7u);
}

TEST_F(ModelTest, EnrichmentSurvivesKernelUpdates) {
  const int s = model_.AddSource("local");
  v1::Flow f = TcpFlow(1, "10.0.0.1", 40000, "10.0.0.2", 443);
  Publish(model_, s, {Event(v1::NEW, f)});
  v1::Flow enrich;
  enrich.set_conntrack_id(1);
  testing::SetProcess(enrich, "curl", 99);
  Publish(model_, s, {Event(v1::ENRICH, enrich)});
  Publish(model_, s, {Event(v1::UPDATE, f)});
  Snapshot snap = model_.TakeSnapshot();
  ASSERT_EQ(snap.flows.size(), 1u);
  EXPECT_EQ(snap.flows[0]->flow().enrichment().src().process().name(), "curl");
}

TEST_F(ModelTest, CountersWithoutRatesDeriveRates) {
  const int s = model_.AddSource("local");
  v1::Flow f = TcpFlow(1, "10.0.0.1", 40000, "10.0.0.2", 443);
  f.mutable_original_counters()->set_bytes(1000);
  f.mutable_reply_counters()->set_bytes(0);
  Publish(model_, s, {Event(v1::NEW, f, 10'000'000'000)});
  v1::Flow c;
  c.set_conntrack_id(1);
  c.mutable_original_counters()->set_bytes(5000);
  c.mutable_reply_counters()->set_bytes(2000);
  Publish(model_, s, {Event(v1::COUNTERS, c, 12'000'000'000)});  // 2 s later
  Snapshot snap = model_.TakeSnapshot();
  EXPECT_DOUBLE_EQ(snap.flows[0]->traffic.original_rate.bytes_per_second(), 2000.0);
  EXPECT_DOUBLE_EQ(snap.flows[0]->traffic.reply_rate.bytes_per_second(), 1000.0);
  // Rates the node sends win.
  c.mutable_original_rate()->set_bytes_per_second(7.0);
  Publish(model_, s, {Event(v1::COUNTERS, c, 13'000'000'000)});
  EXPECT_DOUBLE_EQ(model_.TakeSnapshot().flows[0]->traffic.original_rate.bytes_per_second(), 7.0);
}

TEST_F(ModelTest, CountersShareTheRestOfTheFlowAndCompleteRestoresIt) {
  const int s = model_.AddSource("local");
  v1::Flow f = TcpFlow(1, "10.0.0.1", 40000, "10.0.0.2", 443);
  testing::SetProcess(f, "curl", 7);
  Publish(model_, s, {Event(v1::NEW, f, 10'000'000'000)});
  Snapshot before = model_.TakeSnapshot();
  v1::Flow c;
  c.set_conntrack_id(1);
  c.mutable_original_counters()->set_bytes(4096);
  c.mutable_original_rate()->set_bytes_per_second(512);
  Publish(model_, s, {Event(v1::COUNTERS, c, 11'000'000'000)});
  Snapshot after = model_.TakeSnapshot();
  // Not copied: both versions name the same pooled process.
  EXPECT_EQ(before.flows.stored()[0].record.src.process,
            after.flows.stored()[0].record.src.process);
  EXPECT_EQ(after.flows[0]->hot.original_bytes, 4096u);
  EXPECT_EQ(before.flows[0]->hot.original_bytes, 0u);  // the old version is intact
  const v1::Flow whole = after.flows[0]->Complete();
  EXPECT_EQ(whole.original_counters().bytes(), 4096u);
  EXPECT_DOUBLE_EQ(whole.original_rate().bytes_per_second(), 512.0);
  EXPECT_EQ(whole.enrichment().src().process().name(), "curl");
}

TEST_F(ModelTest, SeveralNodesMergeWithoutCollisions) {
  const int r1 = model_.AddSource("r1:7070");
  const int r2 = model_.AddSource("r2:7070");
  // The same conntrack id on two routers: two flows.
  Publish(model_, r1, {Event(v1::NEW, TcpFlow(5, "10.0.0.1", 1, "10.0.0.2", 2))});
  Publish(model_, r2, {Event(v1::NEW, TcpFlow(5, "10.9.0.1", 1, "10.9.0.2", 2))});
  Snapshot snap = model_.TakeSnapshot();
  ASSERT_EQ(snap.flows.size(), 2u);
  ASSERT_NE(Find(snap, r1, 5), nullptr);
  ASSERT_NE(Find(snap, r2, 5), nullptr);
  EXPECT_EQ(Find(snap, r2, 5)->node, "r2:7070");
  Publish(model_, r1, {Event(v1::DESTROY, TcpFlow(5, "10.0.0.1", 1, "10.0.0.2", 2))});
  snap = model_.TakeSnapshot();
  ASSERT_EQ(snap.flows.size(), 1u);
  EXPECT_EQ(snap.flows[0]->source, static_cast<uint32_t>(r2));
}

TEST_F(ModelTest, NodeNameFromTheFlowWins) {
  const int s = model_.AddSource("10.0.0.9:7070");
  v1::Flow f = TcpFlow(1, "10.0.0.1", 1, "10.0.0.2", 2);
  f.set_node("edge-router");
  Publish(model_, s, {Event(v1::NEW, f)});
  EXPECT_EQ(model_.TakeSnapshot().flows[0]->node, "edge-router");
}

TEST_F(ModelTest, LostEventsAndDisconnectsAreCounted) {
  const int a = model_.AddSource("a");
  const int b = model_.AddSource("b");
  v1::FlowEvent lost;
  lost.set_type(v1::LOST);
  lost.mutable_lost()->set_count(12);
  Publish(model_, a, {lost});
  model_.SetConnected(b, false, "connection refused");
  Snapshot snap = model_.TakeSnapshot();
  EXPECT_EQ(snap.LostEvents(), 12u);
  EXPECT_EQ(snap.Disconnected(), 1);
  EXPECT_EQ(snap.sources[1].error, "connection refused");
}

TEST_F(ModelTest, ReconnectSnapshotDropsFlowsThatEnded) {
  const int s = model_.AddSource("r1");
  Publish(model_, s, {Event(v1::SNAPSHOT, TcpFlow(1, "10.0.0.1", 1, "10.0.0.2", 2)),
                      Event(v1::SNAPSHOT, TcpFlow(2, "10.0.0.1", 3, "10.0.0.2", 4))});
  v1::FlowEvent end;
  end.set_type(v1::SNAPSHOT_END);
  Publish(model_, s, {end});
  EXPECT_EQ(model_.size(), 2u);
  model_.SetConnected(s, false, "stream lost");
  EXPECT_EQ(model_.size(), 2u);  // still shown while disconnected
  model_.SetConnected(s, true);
  // Flow 1 ended while we were away: the new snapshot only has flow 2.
  Publish(model_, s, {Event(v1::SNAPSHOT, TcpFlow(2, "10.0.0.1", 3, "10.0.0.2", 4)), end});
  Snapshot snap = model_.TakeSnapshot();
  ASSERT_EQ(snap.flows.size(), 1u);
  EXPECT_EQ(snap.flows[0]->flow().conntrack_id(), 2u);
}

TEST_F(ModelTest, RemovingFromTheMiddleKeepsTheIndex) {
  const int s = model_.AddSource("local");
  for (uint32_t id = 1; id <= 100; ++id) {
    Publish(model_, s, {Event(v1::NEW, TcpFlow(id, "10.0.0.1", id, "10.0.0.2", 80))});
  }
  for (uint32_t id = 1; id <= 100; id += 2) {
    Publish(model_, s, {Event(v1::DESTROY, TcpFlow(id, "10.0.0.1", id, "10.0.0.2", 80))});
  }
  Snapshot snap = model_.TakeSnapshot();
  ASSERT_EQ(snap.flows.size(), 50u);
  for (uint32_t id = 2; id <= 100; id += 2) EXPECT_NE(Find(snap, s, id), nullptr) << id;
  for (uint32_t id = 2; id <= 100; id += 2) {
    Publish(model_, s, {Event(v1::DESTROY, TcpFlow(id, "10.0.0.1", id, "10.0.0.2", 80))});
  }
  EXPECT_EQ(model_.size(), 0u);
}

TEST_F(ModelTest, SnapshotsKeepTheirRowsWhileTheModelMovesOn) {
  const int s = model_.AddSource("local");
  for (uint32_t id = 1; id <= 50; ++id) {
    Publish(model_, s, {Event(v1::NEW, TcpFlow(id, "10.0.0.1", id, "10.0.0.2", 80))});
  }
  Snapshot first = model_.TakeSnapshot();
  // Replace every row twice and remove half, with a second snapshot between.
  for (uint32_t id = 1; id <= 50; ++id) {
    v1::Flow f = TcpFlow(id, "10.0.0.1", id, "10.0.0.2", 8080);
    Publish(model_, s, {Event(v1::UPDATE, f)});
  }
  Snapshot second = model_.TakeSnapshot();
  for (uint32_t id = 1; id <= 25; ++id) {
    Publish(model_, s, {Event(v1::DESTROY, TcpFlow(id, "10.0.0.1", id, "10.0.0.2", 80))});
  }
  ASSERT_EQ(first.flows.size(), 50u);
  for (const FlowRow* r : first.flows) EXPECT_EQ(r->flow().original().dst_port(), 80u);
  ASSERT_EQ(second.flows.size(), 50u);
  for (const FlowRow* r : second.flows) EXPECT_EQ(r->flow().original().dst_port(), 8080u);
  first = Snapshot();  // releasing the older one keeps the newer one valid
  for (const FlowRow* r : second.flows) EXPECT_EQ(r->hot.dst_port, 8080u);
  EXPECT_EQ(model_.TakeSnapshot().flows.size(), 25u);
}

TEST_F(ModelTest, SnapshotsStayValidWhileASourcePublishes) {
  // A source thread replaces and removes rows while this thread takes
  // snapshots and reads every row of each (run under --config=tsan/asan).
  const int s = model_.AddSource("local");
  std::atomic<bool> stop{false};
  std::thread writer([&]() {
    for (uint32_t round = 0; !stop.load() && round < 2000; ++round) {
      std::vector<v1::FlowEvent> batch;
      for (uint32_t id = 1; id <= 200; ++id) {
        v1::Flow f = TcpFlow(id, "10.0.0.1", id, "10.0.0.2", 80);
        testing::SetTraffic(f, round, round);
        batch.push_back(Event(id % 7 == round % 7 ? v1::DESTROY : v1::NEW, f));
      }
      model_.SinkFor(s).Publish(absl::MakeSpan(batch));
    }
  });
  uint64_t seen = 0;
  for (int i = 0; i < 300; ++i) {
    Snapshot snap = model_.TakeSnapshot();
    ASSERT_EQ(snap.flows.size(), snap.hot.size());
    for (size_t k = 0; k < snap.flows.size(); ++k) {
      ASSERT_EQ(snap.flows[k]->flow().original().dst_port(), 80u);
      ASSERT_EQ(snap.hot[k].conntrack_id, snap.flows[k]->flow().conntrack_id());
      seen += snap.flows[k]->hot.original_bytes;
    }
  }
  stop.store(true);
  writer.join();
  EXPECT_GE(seen, 0u);
}

TEST_F(ModelTest, WaitForSyncAndChange) {
  const int s = model_.AddSource("local");
  EXPECT_FALSE(model_.WaitForSync(absl::ZeroDuration()));
  const uint64_t v = model_.version();
  v1::FlowEvent end;
  end.set_type(v1::SNAPSHOT_END);
  Publish(model_, s, {end});
  EXPECT_TRUE(model_.WaitForSync(absl::ZeroDuration()));
  EXPECT_NE(model_.WaitForChange(v, absl::ZeroDuration()), v);
  EXPECT_FALSE(model_.AllEnded());
  model_.SetEnded(s);
  EXPECT_TRUE(model_.AllEnded());
}

}  // namespace
}  // namespace flowtop::tui
