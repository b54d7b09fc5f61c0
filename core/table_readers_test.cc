// Readers of the table (ListFlows, GetFlows snapshots, --json) walk a
// FlowTableView: a consistent picture that never stops the event path.
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/fake_clock.h"
#include "core/flow_table.h"
#include "core/pipeline.h"
#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

v1::FlowEvent Event(v1::EventType type, uint32_t id) {
  v1::FlowEvent e;
  e.set_type(type);
  e.mutable_flow()->set_conntrack_id(id);
  e.mutable_flow()->set_protocol(v1::UDP);
  e.mutable_flow()->mutable_original_counters()->set_bytes(id);
  e.mutable_flow()->mutable_enrichment()->mutable_src()->set_hostname(
      "host-" + std::to_string(id) + ".example");
  return e;
}

void Publish(Pipeline& pipeline, v1::FlowEvent e) {
  std::vector<v1::FlowEvent> batch{std::move(e)};
  pipeline.Publish(absl::MakeSpan(batch));
}

// A reader stopped mid-walk (a latch in its callback) while the writer
// applies 1,000 events through the pipeline: every event must get through,
// and the reader must keep seeing the table as it was when it began.
TEST(TableReaders, EventsKeepMovingWhileAReaderIsStoppedMidWalk) {
  FakeClock clock(absl::FromUnixSeconds(100));
  Pipeline pipeline({.node = "r1"}, clock);
  for (uint32_t id = 1; id <= 100; ++id) Publish(pipeline, Event(v1::NEW, id));

  absl::Notification in_walk, release;
  std::set<uint32_t> seen;
  std::set<std::string> hostnames;
  uint64_t seen_seq = 0;
  std::thread reader([&] {
    const FlowTableView view = pipeline.View();  // as ListFlows takes it
    seen_seq = view.last_seq();
    view.ForEach([&](const v1::Flow& f) {
      if (seen.empty()) {
        in_walk.Notify();
        release.WaitForNotification();
      }
      seen.insert(f.conntrack_id());
      hostnames.insert(f.enrichment().src().hostname());
      EXPECT_EQ(f.original_counters().bytes(), f.conntrack_id());  // not the writer's later value
    });
  });
  in_walk.WaitForNotification();

  absl::Notification written;
  std::thread writer([&] {
    for (uint32_t id = 101; id <= 600; ++id) Publish(pipeline, Event(v1::NEW, id));
    for (uint32_t id = 1; id <= 250; ++id) Publish(pipeline, Event(v1::DESTROY, id));
    for (uint32_t id = 251; id <= 500; ++id) {
      v1::FlowEvent counters = Event(v1::COUNTERS, id);
      counters.mutable_flow()->mutable_original_counters()->set_bytes(1'000'000);
      Publish(pipeline, counters);
    }
    written.Notify();
  });
  // Not a timing: the writer has no reason to wait at all; the bound only
  // turns a writer stuck behind the reader into a failure instead of a hang.
  const bool moved = written.WaitForNotificationWithTimeout(absl::Seconds(60));
  EXPECT_TRUE(moved) << "the event path waited for a reader";
  if (moved) {
    EXPECT_EQ(pipeline.stats().events, 1100u);
    EXPECT_EQ(pipeline.stats().flows, 350u);
  }
  release.Notify();
  writer.join();
  reader.join();

  // The reader saw exactly the table of its moment, strings and all (the
  // hostnames of flows destroyed meanwhile too).
  EXPECT_EQ(seen_seq, 100u);
  ASSERT_EQ(seen.size(), 100u);
  EXPECT_EQ(*seen.begin(), 1u);
  EXPECT_EQ(*seen.rbegin(), 100u);
  EXPECT_EQ(hostnames.size(), 100u);
  EXPECT_EQ(hostnames.count("host-1.example"), 1u);
  // And a new view sees the writer's table.
  const FlowTableView after = pipeline.View();
  EXPECT_EQ(after.size(), 350u);
  EXPECT_EQ(after.last_seq(), 1100u);
}

// The copy-on-write underneath: a view keeps its picture through inserts,
// updates and removals, and the pool keeps the strings it names.
TEST(TableReaders, AViewIsAFixedPictureOfTheTable) {
  FlowTable table;
  for (uint32_t id = 1; id <= 2000; ++id) table.Apply(Event(v1::NEW, id));
  const FlowTableView view = table.View();
  for (uint32_t id = 1; id <= 2000; id += 2) table.Apply(Event(v1::DESTROY, id));
  for (uint32_t id = 2001; id <= 3000; ++id) table.Apply(Event(v1::NEW, id));
  v1::FlowEvent renamed = Event(v1::ENRICH, 2);
  renamed.mutable_flow()->mutable_enrichment()->mutable_src()->set_hostname("renamed.example");
  table.Apply(renamed);

  std::set<uint32_t> ids;
  view.ForEach([&](const v1::Flow& f) {
    ids.insert(f.conntrack_id());
    EXPECT_EQ(f.enrichment().src().hostname(),
              "host-" + std::to_string(f.conntrack_id()) + ".example");
  });
  EXPECT_EQ(ids.size(), 2000u);
  EXPECT_EQ(*ids.rbegin(), 2000u);
  EXPECT_EQ(view.size(), 2000u);
  EXPECT_EQ(table.size(), 2000u);
  EXPECT_EQ(table.Find(2)->enrichment().src().hostname(), "renamed.example");
  EXPECT_EQ(table.Find(1), nullptr);
  // Removal moves records within their shard: every key still finds its own.
  for (uint32_t id = 1; id <= 3000; ++id) {
    const v1::Flow* f = table.Find(id);
    if (id <= 2000 && id % 2 == 1) {
      EXPECT_EQ(f, nullptr) << id;
    } else {
      ASSERT_NE(f, nullptr) << id;
      EXPECT_EQ(f->conntrack_id(), id);
    }
  }
}

}  // namespace
}  // namespace flowtop::core
