#include "core/pipeline.h"

#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"

#include "core/fake_clock.h"
#include "core/flow_store.h"
#include "core/flow_table.h"
#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

class RecordingSink : public EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    for (const auto& e : events) seen.push_back(e);
  }
  std::vector<v1::FlowEvent> seen;
};

TEST(Pipeline, StampsAppliesAndForwardsInOrder) {
  FakeClock clock(absl::FromUnixSeconds(100));
  Pipeline pipeline({.node = "r1"}, clock);
  RecordingSink sink;
  pipeline.AddSink(&sink);

  std::vector<v1::FlowEvent> batch(3);
  batch[0].set_type(v1::NEW);
  batch[0].mutable_flow()->set_conntrack_id(9);
  batch[1].set_type(v1::LOST);
  batch[1].mutable_lost()->set_source(v1::KERNEL);
  batch[1].mutable_lost()->set_count(5);
  batch[2].set_type(v1::DESTROY);
  batch[2].mutable_flow()->set_conntrack_id(9);
  pipeline.Publish(absl::MakeSpan(batch));

  ASSERT_EQ(sink.seen.size(), 3u);
  EXPECT_EQ(sink.seen[0].seq(), 1u);
  EXPECT_EQ(sink.seen[2].seq(), 3u);
  EXPECT_EQ(sink.seen[0].node(), "r1");
  EXPECT_EQ(sink.seen[0].flow().id(), "r1/9");
  EXPECT_EQ(sink.seen[0].time_unix_nanos(), 100'000'000'000);
  const PipelineStats stats = pipeline.stats();
  EXPECT_EQ(stats.events, 3u);
  EXPECT_EQ(stats.lost_kernel, 5u);
  EXPECT_EQ(stats.flows, 0u);
  EXPECT_EQ(stats.last_seq, 3u);
}

TEST(Pipeline, TryPublishGivesWayWhileAnotherHoldsThePipeline) {
  FakeClock clock;
  Pipeline pipeline({}, clock);
  RecordingSink sink;
  pipeline.AddSink(&sink);
  std::vector<v1::FlowEvent> batch(1);
  batch[0].set_type(v1::NEW);
  batch[0].mutable_flow()->set_conntrack_id(7);
  absl::Notification holding, release;
  std::thread holder([&] {
    pipeline.WithTable([&](const FlowTable&) {
      holding.Notify();
      release.WaitForNotification();
      return 0;
    });
  });
  holding.WaitForNotification();
  EXPECT_TRUE(pipeline.Busy());
  EXPECT_FALSE(pipeline.TryPublish(absl::MakeSpan(batch)));
  release.Notify();
  holder.join();
  EXPECT_FALSE(pipeline.Busy());
  EXPECT_TRUE(sink.seen.empty());
  EXPECT_EQ(pipeline.stats().events, 0u);
  // Free: it publishes like Publish.
  EXPECT_TRUE(pipeline.TryPublish(absl::MakeSpan(batch)));
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].seq(), 1u);
  EXPECT_EQ(pipeline.WithTable([](const FlowTable& t) { return t.size(); }), 1u);
}

TEST(Pipeline, DropsEnrichmentOfAnEarlierFlowThatHadTheId) {
  FakeClock clock(absl::FromUnixSeconds(100));
  Pipeline pipeline({.node = "r1"}, clock);
  RecordingSink sink;
  pipeline.AddSink(&sink);
  std::vector<v1::FlowEvent> first(1);
  first[0].set_type(v1::NEW);
  first[0].mutable_flow()->set_conntrack_id(5);
  pipeline.Publish(absl::MakeSpan(first));
  // Sinks see which flow a NEW is: its first-seen time.
  ASSERT_EQ(sink.seen.size(), 1u);
  const int64_t first_seen = sink.seen[0].flow().first_seen_unix_nanos();
  EXPECT_EQ(first_seen, 100'000'000'000);

  clock.Advance(absl::Seconds(1));
  std::vector<v1::FlowEvent> reuse(2);
  reuse[0].set_type(v1::DESTROY);
  reuse[0].mutable_flow()->set_conntrack_id(5);
  reuse[1].set_type(v1::NEW);
  reuse[1].mutable_flow()->set_conntrack_id(5);
  pipeline.Publish(absl::MakeSpan(reuse));

  // The first flow's enrichment, late, between two current ones.
  std::vector<v1::FlowEvent> enrich(3);
  for (int i = 0; i < 3; ++i) {
    enrich[i].set_type(v1::ENRICH);
    enrich[i].mutable_flow()->set_conntrack_id(5);
    enrich[i].mutable_flow()->mutable_enrichment()->set_service(i == 1 ? "old" : "new");
    enrich[i].mutable_flow()->set_first_seen_unix_nanos(i == 1 ? first_seen
                                                               : first_seen + 1'000'000'000);
  }
  pipeline.Publish(absl::MakeSpan(enrich));
  ASSERT_EQ(sink.seen.size(), 5u);  // NEW, DESTROY, NEW, 2 ENRICH
  EXPECT_EQ(sink.seen[3].flow().enrichment().service(), "new");
  EXPECT_EQ(sink.seen[4].flow().enrichment().service(), "new");
  EXPECT_EQ(sink.seen[4].seq(), sink.seen[3].seq() + 1);  // no gap for the dropped one
  const PipelineStats stats = pipeline.stats();
  EXPECT_EQ(stats.stale_enrich, 1u);
  EXPECT_EQ(stats.events, 5u);
  EXPECT_EQ(pipeline.WithTable([](const FlowTable& t) {
    return t.Find(5)->enrichment().service();
  }), "new");
}

TEST(Pipeline, TableReflectsPublishedFlows) {
  FakeClock clock;
  Pipeline pipeline({}, clock);
  std::vector<v1::FlowEvent> batch(2);
  batch[0].set_type(v1::NEW);
  batch[0].mutable_flow()->set_conntrack_id(1);
  batch[1].set_type(v1::NEW);
  batch[1].mutable_flow()->set_conntrack_id(2);
  pipeline.Publish(absl::MakeSpan(batch));
  EXPECT_EQ(pipeline.WithTable([](const FlowTable& t) { return t.size(); }),
            2u);
}

// A full table used to refuse new flows with nothing said but a counter no
// client saw: its snapshots lacked flows the kernel had.
TEST(Pipeline, FlowsAFullTableRefusesAreALostTableEvent) {
  FakeClock clock;
  Pipeline pipeline({.node = "r1", .max_flows = 3}, clock);
  RecordingSink sink;
  pipeline.AddSink(&sink);
  auto news = [](uint32_t first, uint32_t n) {
    std::vector<v1::FlowEvent> batch(n);
    for (uint32_t i = 0; i < n; ++i) {
      batch[i].set_type(v1::NEW);
      batch[i].mutable_flow()->set_conntrack_id(first + i);
    }
    return batch;
  };
  std::vector<v1::FlowEvent> batch = news(1, 5);
  pipeline.Publish(absl::MakeSpan(batch));
  ASSERT_EQ(sink.seen.size(), 6u);
  const v1::FlowEvent& lost = sink.seen.back();
  EXPECT_EQ(lost.type(), v1::LOST);
  EXPECT_EQ(lost.lost().source(), v1::TABLE);
  EXPECT_EQ(lost.lost().count(), 2u);
  EXPECT_EQ(lost.lost().detail(),
            "the flow table is full (3 flows): new flows are not kept; raise "
            "--max-flows");
  EXPECT_EQ(lost.seq(), 6u);  // numbered like every event
  EXPECT_EQ(lost.node(), "r1");
  EXPECT_EQ(pipeline.stats().dropped_flows, 2u);

  // Nothing refused: nothing more said. Then each refusal once.
  std::vector<v1::FlowEvent> destroy(1);
  destroy[0].set_type(v1::DESTROY);
  destroy[0].mutable_flow()->set_conntrack_id(1);
  pipeline.Publish(absl::MakeSpan(destroy));
  EXPECT_EQ(sink.seen.size(), 7u);
  batch = news(10, 2);
  pipeline.Publish(absl::MakeSpan(batch));
  ASSERT_EQ(sink.seen.size(), 10u);
  EXPECT_EQ(sink.seen.back().type(), v1::LOST);
  EXPECT_EQ(sink.seen.back().lost().count(), 1u);
  EXPECT_EQ(pipeline.stats().dropped_flows, 3u);
}

TEST(Pipeline, KeepsRecordedSequenceNumbersWhenAsked) {
  FakeClock clock;
  Pipeline pipeline({.keep_source_seq = true}, clock);
  RecordingSink sink;
  pipeline.AddSink(&sink);
  std::vector<v1::FlowEvent> batch(1);
  batch[0].set_seq(77);
  batch[0].set_time_unix_nanos(5);
  pipeline.Publish(absl::MakeSpan(batch));
  EXPECT_EQ(sink.seen[0].seq(), 77u);
  EXPECT_EQ(sink.seen[0].time_unix_nanos(), 5);
}

}  // namespace
}  // namespace flowtop::core

namespace flowtop::core {
namespace {

TEST(Pipeline, DestroyCarriesTheLastKnownStateAndFinalCounters) {
  FakeClock clock(absl::FromUnixSeconds(100));
  Pipeline pipeline({.node = "r1"}, clock);
  RecordingSink sink;
  pipeline.AddSink(&sink);
  std::vector<v1::FlowEvent> batch(2);
  batch[0].set_type(v1::NEW);
  batch[0].mutable_flow()->set_conntrack_id(7);
  batch[0].mutable_flow()->mutable_original()->set_dst_port(443);
  batch[0].mutable_flow()->mutable_enrichment()->set_service("https");
  batch[1].set_type(v1::DESTROY);
  batch[1].mutable_flow()->set_conntrack_id(7);
  batch[1].mutable_flow()->mutable_original_counters()->set_packets(12);
  pipeline.Publish(absl::MakeSpan(batch));
  ASSERT_EQ(sink.seen.size(), 2u);
  const v1::Flow& gone = sink.seen[1].flow();
  EXPECT_EQ(gone.original().dst_port(), 443u);
  EXPECT_EQ(gone.enrichment().service(), "https");
  EXPECT_EQ(gone.original_counters().packets(), 12u);
  EXPECT_EQ(pipeline.WithTable([](const FlowTable& t) { return t.size(); }),
            0u);
}

}  // namespace
}  // namespace flowtop::core

namespace flowtop::core {
namespace {

// A sink's store (core/flow_store.h) over a FlowTable, that fails the test
// when the pipeline calls it outside a run or runs more than kRun events.
class CheckedStore final : public FlowStore {
 public:
  void BeginRun() override {
    EXPECT_FALSE(in_run_);
    in_run_ = true;
    run_events_ = 0;
    ++runs;
  }
  void EndRun() override {
    EXPECT_TRUE(in_run_);
    in_run_ = false;
  }
  bool Apply(const v1::FlowEvent& event) override {
    EXPECT_TRUE(in_run_);
    EXPECT_LE(++run_events_, kRun);
    return table.Apply(event);
  }
  bool IsStaleEnrich(const v1::FlowEvent& event) const override {
    EXPECT_TRUE(in_run_);
    return table.IsStaleEnrich(event);
  }
  bool Find(uint64_t key, v1::Flow& out) const override {
    EXPECT_TRUE(in_run_);
    const v1::Flow* found = table.Find(key);
    if (found != nullptr) out = *found;
    return found != nullptr;
  }
  int64_t last_first_seen() const override {
    EXPECT_TRUE(in_run_);
    return table.last_first_seen();
  }
  size_t size() const override {
    EXPECT_TRUE(in_run_);
    return table.size();
  }
  uint64_t dropped() const override {
    EXPECT_TRUE(in_run_);
    return table.dropped();
  }

  FlowTable table;
  int runs = 0;

 private:
  bool in_run_ = false;
  size_t run_events_ = 0;
};

TEST(Pipeline, KeepsFlowsInASinksStoreAndNoTableOfItsOwn) {
  FakeClock clock(absl::FromUnixSeconds(100));
  Pipeline pipeline({.node = "r1"}, clock);
  CheckedStore store;
  pipeline.KeepFlowsIn(store);
  RecordingSink sink;
  pipeline.AddSink(&sink);

  // 300 NEWs in one batch: three runs of at most kRun.
  std::vector<v1::FlowEvent> batch(300);
  for (uint32_t i = 0; i < batch.size(); ++i) {
    batch[i].set_type(v1::NEW);
    batch[i].mutable_flow()->set_conntrack_id(i + 1);
    batch[i].mutable_flow()->mutable_enrichment()->set_service("https");
  }
  pipeline.Publish(absl::MakeSpan(batch));
  EXPECT_EQ(store.runs, 3);
  EXPECT_EQ(store.table.size(), 300u);
  EXPECT_EQ(pipeline.View().size(), 0u);  // one table: the store's
  EXPECT_EQ(pipeline.stats().flows, 300u);
  ASSERT_EQ(sink.seen.size(), 300u);
  EXPECT_EQ(sink.seen[0].flow().first_seen_unix_nanos(), 100'000'000'000);

  // The store answers what the table would: a stale ENRICH is dropped, a
  // DESTROY that names only the id carries the stored flow.
  clock.Advance(absl::Seconds(1));
  std::vector<v1::FlowEvent> more(2);
  more[0].set_type(v1::ENRICH);
  more[0].mutable_flow()->set_conntrack_id(1);
  more[0].mutable_flow()->set_first_seen_unix_nanos(1);
  more[0].mutable_flow()->mutable_enrichment()->set_service("stale");
  more[1].set_type(v1::DESTROY);
  more[1].mutable_flow()->set_conntrack_id(2);
  pipeline.Publish(absl::MakeSpan(more));
  ASSERT_EQ(sink.seen.size(), 301u);
  EXPECT_EQ(sink.seen[300].type(), v1::DESTROY);
  EXPECT_EQ(sink.seen[300].flow().enrichment().service(), "https");
  EXPECT_EQ(pipeline.stats().stale_enrich, 1u);
  EXPECT_EQ(pipeline.stats().flows, 299u);
  EXPECT_EQ(store.table.Find(1)->enrichment().service(), "https");
}

}  // namespace
}  // namespace flowtop::core
