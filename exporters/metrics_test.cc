#include "exporters/metrics.h"

#include "absl/strings/match.h"
#include "exporters/flow_counts.h"
#include "gtest/gtest.h"

namespace flowtop::exporters {
namespace {

v1::FlowEvent Event(v1::EventType type, uint32_t id, uint32_t proto,
                    v1::TcpState state = v1::TCP_STATE_UNSPECIFIED) {
  v1::FlowEvent e;
  e.set_type(type);
  e.mutable_flow()->set_conntrack_id(id);
  e.mutable_flow()->set_protocol_number(proto);
  if (state != v1::TCP_STATE_UNSPECIFIED) e.mutable_flow()->set_tcp_state(state);
  return e;
}

TEST(FlowCountsTest, FollowsNewUpdateDestroy) {
  FlowCounts counts;
  std::vector<v1::FlowEvent> events = {
      Event(v1::NEW, 1, 6, v1::TCP_SYN_SENT),
      Event(v1::NEW, 2, 6, v1::TCP_SYN_SENT),
      Event(v1::UPDATE, 1, 6, v1::TCP_ESTABLISHED),
      Event(v1::NEW, 3, 17),
      Event(v1::NEW, 4, 1),
      Event(v1::UPDATE, 3, 17),
      Event(v1::DESTROY, 4, 1),
      Event(v1::NEW, 5, 250),
      Event(v1::DESTROY, 99, 6),  // unknown: ignored
  };
  counts.Publish(absl::MakeSpan(events));
  std::vector<FlowCount> c = counts.Counts();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].protocol, "tcp");
  EXPECT_EQ(c[0].state, "SYN_SENT");
  EXPECT_EQ(c[0].flows, 1u);
  EXPECT_EQ(c[1].state, "ESTABLISHED");
  EXPECT_EQ(c[2].protocol, "udp");
  EXPECT_EQ(c[2].state, "none");
  EXPECT_EQ(c[3].protocol, "other");
  EXPECT_EQ(counts.total(), 4u);
}

TEST(MetricsTest, RendersEveryFamilyWithBoundedLabels) {
  MetricsSnapshot s;
  s.status.set_node("r\"1");
  s.status.set_version("1.0");
  s.status.set_events_seen(42);
  s.status.mutable_lost()->set_kernel(3);
  s.status.set_resyncs(1);
  s.status.set_ring_capacity(65536);
  s.status.set_ring_fill(100);
  s.status.set_clients_connected(2);
  s.status.set_flows(7);
  s.status.set_conntrack_count(9);
  s.status.set_conntrack_max(262144);
  s.status.mutable_enrichment()->set_queued(5);
  v1::ExportStatus* e = s.status.add_exports();
  e->set_collector("udp://127.0.0.1:4739");
  e->set_records(11);
  e->set_not_sent_records(2);
  s.flows.push_back({"tcp", "ESTABLISHED", 6});
  KernelConntrackCounters k;
  k.found = 8;
  k.early_drop = 4;
  s.kernel = k;
  const std::string text = RenderMetrics(s);
  for (const char* line : {
           "flowtop_build_info{version=\"1.0\",node=\"r\\\"1\"} 1\n",
           "flowtop_events_total 42\n",
           "flowtop_events_lost_total{source=\"kernel\"} 3\n",
           "flowtop_events_lost_total{source=\"ring\"} 0\n",
           "flowtop_resyncs_total 1\n",
           "flowtop_ring_capacity_events 65536\n",
           "flowtop_ring_fill_events 100\n",
           "flowtop_clients 2\n",
           "flowtop_flows 7\n",
           "flowtop_flows_by_state{protocol=\"tcp\",state=\"ESTABLISHED\"} 6\n",
           "flowtop_conntrack_entries 9\n",
           "flowtop_conntrack_max 262144\n",
           "flowtop_enrich_queued_total 5\n",
           "flowtop_ipfix_records_total{collector=\"udp://127.0.0.1:4739\"} 11\n",
           "flowtop_ipfix_not_sent_records_total{collector=\"udp://127.0.0.1:4739\"} 2\n",
           "flowtop_conntrack_stats_up 1\n",
           "flowtop_conntrack_found_total 8\n",
           "flowtop_conntrack_early_drop_total 4\n",
           "# TYPE flowtop_conntrack_drop_total counter\n",
       }) {
    EXPECT_TRUE(absl::StrContains(text, line)) << line << "\nin:\n" << text;
  }
}

TEST(MetricsTest, KernelStatsDownIsAMetricNotAnError) {
  MetricsSnapshot s;
  const std::string text = RenderMetrics(s);
  EXPECT_TRUE(absl::StrContains(text, "flowtop_conntrack_stats_up 0\n"));
  EXPECT_FALSE(absl::StrContains(text, "flowtop_conntrack_found_total"));
  EXPECT_FALSE(absl::StrContains(text, "flowtop_ipfix"));
}

}  // namespace
}  // namespace flowtop::exporters
