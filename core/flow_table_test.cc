#include "core/flow_table.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

v1::FlowEvent Event(v1::EventType type, uint32_t id, uint64_t seq) {
  v1::FlowEvent event;
  event.set_type(type);
  event.set_seq(seq);
  event.set_time_unix_nanos(1000 * seq);
  event.mutable_flow()->set_conntrack_id(id);
  event.mutable_flow()->set_protocol(v1::TCP);
  return event;
}

TEST(FlowTable, NewUpdateDestroy) {
  FlowTable table;
  ASSERT_TRUE(table.Apply(Event(v1::NEW, 7, 1)));
  ASSERT_NE(table.Find(7), nullptr);
  EXPECT_EQ(table.Find(7)->first_seen_unix_nanos(), 1000);

  v1::FlowEvent update = Event(v1::UPDATE, 7, 2);
  update.mutable_flow()->set_tcp_state(v1::TCP_ESTABLISHED);
  ASSERT_TRUE(table.Apply(update));
  EXPECT_EQ(table.Find(7)->tcp_state(), v1::TCP_ESTABLISHED);
  EXPECT_EQ(table.Find(7)->first_seen_unix_nanos(), 1000);  // kept

  ASSERT_TRUE(table.Apply(Event(v1::DESTROY, 7, 3)));
  EXPECT_EQ(table.Find(7), nullptr);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.last_seq(), 3u);
}

TEST(FlowTable, UpdateKeepsEnrichmentAndRates) {
  FlowTable table;
  table.Apply(Event(v1::NEW, 1, 1));
  v1::FlowEvent enrich = Event(v1::ENRICH, 1, 2);
  enrich.mutable_flow()->mutable_enrichment()->set_service("https");
  table.Apply(enrich);
  v1::FlowEvent counters = Event(v1::COUNTERS, 1, 3);
  counters.mutable_flow()->mutable_original_rate()->set_bytes_per_second(10);
  counters.mutable_flow()->mutable_original_counters()->set_bytes(99);
  table.Apply(counters);
  table.Apply(Event(v1::UPDATE, 1, 4));
  const v1::Flow* flow = table.Find(1);
  ASSERT_NE(flow, nullptr);
  EXPECT_EQ(flow->enrichment().service(), "https");
  EXPECT_EQ(flow->original_rate().bytes_per_second(), 10);
}

// ENRICH events merge like Flow::MergeFrom of their enrichment: nested
// messages merge field by field, later values win, absent fields are kept,
// and the result survives later kernel updates and many merges.
TEST(FlowTable, EnrichMergesLikeMergeFrom) {
  FlowTable table;
  v1::FlowEvent created = Event(v1::NEW, 3, 1);
  created.mutable_flow()->mutable_original()->set_src_port(1234);
  ASSERT_TRUE(table.Apply(created));
  v1::Flow expected = *table.Find(3);

  std::vector<v1::Enrichment> parts(4);
  parts[0].set_service("https");
  parts[0].mutable_src()->mutable_process()->set_pid(42);
  parts[0].mutable_src()->mutable_process()->set_name("curl");
  parts[0].mutable_dst()->mutable_geo()->set_country_code("DE");
  parts[0].mutable_dst()->mutable_process();  // present but empty: "-"
  parts[1].mutable_dst()->set_hostname("example.org");
  parts[2].mutable_src()->set_hostname("client.lan");
  parts[3].set_service("http");  // a later value wins
  uint64_t seq = 2;
  for (const v1::Enrichment& part : parts) {
    v1::FlowEvent enrich = Event(v1::ENRICH, 3, seq++);
    *enrich.mutable_flow()->mutable_enrichment() = part;
    ASSERT_TRUE(table.Apply(enrich));
    expected.mutable_enrichment()->MergeFrom(part);
    const v1::Flow* stored = table.Find(3);
    ASSERT_NE(stored, nullptr);
    EXPECT_EQ(stored->SerializeAsString(), expected.SerializeAsString());
  }
  EXPECT_TRUE(table.Find(3)->enrichment().dst().has_process());
  EXPECT_EQ(table.Find(3)->enrichment().src().process().name(), "curl");
  EXPECT_EQ(table.Find(3)->enrichment().service(), "http");

  // Many merges (past the compaction threshold) keep the same result.
  for (int i = 0; i < 200; ++i) {
    v1::FlowEvent enrich = Event(v1::ENRICH, 3, seq++);
    enrich.mutable_flow()->mutable_enrichment()->mutable_dst()->set_hostname(
        "host-" + std::to_string(i) + ".example.org");
    ASSERT_TRUE(table.Apply(enrich));
    expected.mutable_enrichment()->MergeFrom(enrich.flow().enrichment());
  }
  EXPECT_EQ(table.Find(3)->SerializeAsString(), expected.SerializeAsString());

  // A kernel update keeps the merged enrichment.
  v1::FlowEvent update = Event(v1::UPDATE, 3, seq++);
  update.mutable_flow()->set_tcp_state(v1::TCP_ESTABLISHED);
  ASSERT_TRUE(table.Apply(update));
  EXPECT_EQ(table.Find(3)->enrichment().SerializeAsString(),
            expected.enrichment().SerializeAsString());
  EXPECT_EQ(table.Find(3)->tcp_state(), v1::TCP_ESTABLISHED);

  // ENRICH for an unknown flow adds nothing.
  v1::FlowEvent stray = Event(v1::ENRICH, 99, seq++);
  stray.mutable_flow()->mutable_enrichment()->set_service("ssh");
  ASSERT_TRUE(table.Apply(stray));
  EXPECT_EQ(table.Find(99), nullptr);
  EXPECT_EQ(table.size(), 1u);
}

TEST(FlowTable, EnrichForAnEarlierFlowWithTheSameIdIsStale) {
  FlowTable table;
  v1::FlowEvent first = Event(v1::NEW, 5, 1);
  first.set_time_unix_nanos(1000);
  ASSERT_TRUE(table.Apply(first));
  EXPECT_EQ(table.last_first_seen(), 1000);
  v1::FlowEvent end = Event(v1::DESTROY, 5, 2);
  table.Apply(end);
  EXPECT_EQ(table.last_first_seen(), 0);
  v1::FlowEvent second = Event(v1::NEW, 5, 3);
  second.set_time_unix_nanos(2000);
  table.Apply(second);
  EXPECT_EQ(table.last_first_seen(), 2000);

  auto enrich = [](int64_t first_seen, const char* service) {
    v1::FlowEvent e = Event(v1::ENRICH, 5, 0);
    e.mutable_flow()->set_first_seen_unix_nanos(first_seen);
    e.mutable_flow()->mutable_enrichment()->set_service(service);
    return e;
  };
  // Meant for the first flow: stale, and Apply leaves the new one alone.
  EXPECT_TRUE(table.IsStaleEnrich(enrich(1000, "https")));
  table.Apply(enrich(1000, "https"));
  EXPECT_EQ(table.Find(5)->enrichment().service(), "");
  // Meant for this one, or naming no flow (older recordings): applied.
  EXPECT_FALSE(table.IsStaleEnrich(enrich(2000, "domain")));
  table.Apply(enrich(2000, "domain"));
  EXPECT_EQ(table.Find(5)->enrichment().service(), "domain");
  EXPECT_FALSE(table.IsStaleEnrich(enrich(0, "ssh")));
  table.Apply(enrich(0, "ssh"));
  EXPECT_EQ(table.Find(5)->enrichment().service(), "ssh");
  // An UPDATE keeps the first-seen time, so later enrichment still applies.
  v1::FlowEvent update = Event(v1::UPDATE, 5, 4);
  update.set_time_unix_nanos(3000);
  table.Apply(update);
  EXPECT_EQ(table.last_first_seen(), 2000);
  EXPECT_FALSE(table.IsStaleEnrich(enrich(2000, "dns")));
}

TEST(FlowTable, UpdateForUnknownFlowInsertsIt) {
  FlowTable table;
  ASSERT_TRUE(table.Apply(Event(v1::UPDATE, 5, 1)));
  EXPECT_NE(table.Find(5), nullptr);
}

TEST(FlowTable, FullTableCountsDroppedFlows) {
  FlowTable table(/*max_flows=*/2);
  EXPECT_TRUE(table.Apply(Event(v1::NEW, 1, 1)));
  EXPECT_TRUE(table.Apply(Event(v1::NEW, 2, 2)));
  EXPECT_FALSE(table.Apply(Event(v1::NEW, 3, 3)));
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.dropped(), 1u);
  // A flow already present is still updated when the table is full.
  EXPECT_TRUE(table.Apply(Event(v1::NEW, 2, 4)));
  EXPECT_EQ(table.dropped(), 1u);
}

}  // namespace
}  // namespace flowtop::core

namespace flowtop::core {
namespace {

TEST(FlowTable, UpdateWithoutCountersKeepsCountersAndStartTime) {
  FlowTable table;
  v1::FlowEvent snap;
  snap.set_type(v1::SNAPSHOT);
  snap.mutable_flow()->set_conntrack_id(4);
  snap.mutable_flow()->mutable_original_counters()->set_packets(10);
  snap.mutable_flow()->set_start_unix_nanos(123);
  table.Apply(snap);
  v1::FlowEvent update;
  update.set_type(v1::UPDATE);
  update.mutable_flow()->set_conntrack_id(4);
  update.mutable_flow()->set_tcp_state(v1::TCP_FIN_WAIT);
  table.Apply(update);
  const v1::Flow* f = table.Find(4);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->tcp_state(), v1::TCP_FIN_WAIT);
  EXPECT_EQ(f->original_counters().packets(), 10u);
  EXPECT_EQ(f->start_unix_nanos(), 123);
  EXPECT_FALSE(f->has_reply_counters());  // absent stays absent
  int seen = 0;
  table.ForEach([&](const v1::Flow& flow) {
    ++seen;
    EXPECT_EQ(flow.conntrack_id(), 4u);
  });
  EXPECT_EQ(seen, 1);
  ASSERT_EQ(table.Snapshot().size(), 1u);
  EXPECT_EQ(table.Snapshot()[0].tcp_state(), v1::TCP_FIN_WAIT);
}

}  // namespace
}  // namespace flowtop::core
