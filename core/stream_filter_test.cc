#include "core/stream_filter.h"

#include <string>

#include "core/test_events.h"
#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

using Verdict = StreamFilter::Verdict;

v1::Flow Flow(uint32_t id, v1::L4Protocol protocol, uint32_t dport) {
  v1::Flow f;
  f.set_conntrack_id(id);
  f.set_family(v1::IPV4);
  f.set_protocol(protocol);
  f.mutable_original()->set_src_ip(std::string("\x0a\x00\x00\x01", 4));
  f.mutable_original()->set_dst_ip(std::string("\x0a\x00\x00\x02", 4));
  f.mutable_original()->set_src_port(40000);
  f.mutable_original()->set_dst_port(dport);
  return f;
}

v1::FlowEvent Enrich(uint32_t id, const std::string& process) {
  v1::FlowEvent e = KeyOnlyEvent(v1::ENRICH, id);
  e.mutable_flow()->mutable_enrichment()->mutable_src()->mutable_process()
      ->set_name(process);
  return e;
}

StreamFilter Filter(const std::string& allow_text_proto_field, bool deny = false) {
  FilterList allow, deny_list;
  v1::FlowFilter& f = deny ? *deny_list.Add() : *allow.Add();
  if (allow_text_proto_field == "udp") f.add_protocol(v1::UDP);
  if (allow_text_proto_field == "dport443") f.add_dst_port(443);
  if (allow_text_proto_field == "curl") f.add_process_name("curl");
  if (allow_text_proto_field == "counters") f.add_event_type(v1::COUNTERS);
  absl::StatusOr<FlowMatcher> m = FlowMatcher::Compile(allow, deny_list);
  EXPECT_TRUE(m.ok()) << m.status();
  return StreamFilter(*std::move(m));
}

TEST(StreamFilterTest, WithoutFiltersEverythingPasses) {
  StreamFilter filter{FlowMatcher()};
  v1::FlowEvent unused;
  EXPECT_TRUE(filter.PassesAll());
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 9), &unused), Verdict::kPass);
}

TEST(StreamFilterTest, TupleFieldsDecideByKey) {
  StreamFilter filter = Filter("udp");
  EXPECT_FALSE(filter.merges());
  v1::FlowEvent unused;
  const v1::Flow tcp = Flow(1, v1::TCP, 80), udp = Flow(3, v1::UDP, 53);
  EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::NEW, tcp), &unused), Verdict::kDrop);
  EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::NEW, udp), &unused), Verdict::kPass);
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 1), &unused), Verdict::kDrop);
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 3), &unused), Verdict::kPass);
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::ENRICH, 3), &unused), Verdict::kPass);
  EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::DESTROY, udp), &unused), Verdict::kPass);
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 3), &unused), Verdict::kDrop);
  EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::DESTROY, tcp), &unused), Verdict::kDrop);
  v1::FlowEvent lost;
  lost.set_type(v1::LOST);
  EXPECT_EQ(filter.Decide(lost, &unused), Verdict::kPass);
}

// A flow that stops matching (here its port changes on an UPDATE, as a
// state filter would see TIME_WAIT) loses its later partial events but
// still gets its DESTROY, because the client was given the flow.
TEST(StreamFilterTest, AFlowThatStopsMatchingStillGetsItsDestroy) {
  for (const char* field : {"dport443", "curl"}) {
    SCOPED_TRACE(field);
    StreamFilter filter = Filter(field);
    v1::FlowEvent full;
    v1::Flow flow = Flow(5, v1::TCP, 443);
    if (std::string(field) == "curl") {
      flow.mutable_enrichment()->mutable_src()->mutable_process()->set_name("curl");
    }
    EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::NEW, flow), &full), Verdict::kPass);
    v1::Flow changed = flow;
    changed.mutable_original()->set_dst_port(80);
    changed.mutable_enrichment()->mutable_src()->mutable_process()->set_name("wget");
    EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::UPDATE, changed), &full), Verdict::kDrop);
    EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 5), &full), Verdict::kDrop);
    EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::DESTROY, changed), &full), Verdict::kPass);
  }
}

TEST(StreamFilterTest, DenyDropsLaterEventsOfDeniedFlows) {
  StreamFilter filter = Filter("udp", /*deny=*/true);
  v1::FlowEvent unused;
  EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::NEW, Flow(3, v1::UDP, 53)), &unused),
            Verdict::kDrop);
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 3), &unused), Verdict::kDrop);
  EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::NEW, Flow(4, v1::TCP, 80)), &unused),
            Verdict::kPass);
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 4), &unused), Verdict::kPass);
}

// A process filter is met only once ENRICH names the process: the client
// then gets the whole merged flow as an UPDATE, and its later events.
TEST(StreamFilterTest, EnrichmentFieldsMatchTheMergedFlow) {
  StreamFilter filter = Filter("curl");
  EXPECT_TRUE(filter.merges());
  v1::FlowEvent full;
  EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::NEW, Flow(7, v1::TCP, 443)), &full),
            Verdict::kDrop);
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 7), &full), Verdict::kDrop);
  v1::FlowEvent enrich = Enrich(7, "curl");
  enrich.set_seq(42);
  ASSERT_EQ(filter.Decide(enrich, &full), Verdict::kPassMerged);
  EXPECT_EQ(full.type(), v1::UPDATE);
  EXPECT_EQ(full.seq(), 42u);
  EXPECT_EQ(full.flow().original().dst_port(), 443u);
  EXPECT_EQ(full.flow().enrichment().src().process().name(), "curl");
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 7), &full), Verdict::kPass);
  EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::DESTROY, Flow(7, v1::TCP, 443)), &full),
            Verdict::kPass);
}

TEST(StreamFilterTest, EventTypeFiltersMerge) {
  StreamFilter filter = Filter("counters");
  EXPECT_TRUE(filter.merges());
  v1::FlowEvent full;
  EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::NEW, Flow(8, v1::TCP, 22)), &full),
            Verdict::kDrop);
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 8), &full), Verdict::kPassMerged);
  EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 8), &full), Verdict::kPass);
}

TEST(StreamFilterTest, SentSnapshotFlowsAreFollowed) {
  for (const char* field : {"udp", "curl"}) {
    SCOPED_TRACE(field);
    StreamFilter filter = Filter(field);
    v1::Flow flow = Flow(9, v1::UDP, 53);
    flow.mutable_enrichment()->mutable_src()->mutable_process()->set_name("curl");
    filter.Sent(WholeFlowEvent(v1::SNAPSHOT, flow));
    v1::FlowEvent full;
    EXPECT_EQ(filter.Decide(KeyOnlyEvent(v1::COUNTERS, 9), &full), Verdict::kPass);
    EXPECT_EQ(filter.Decide(WholeFlowEvent(v1::DESTROY, flow), &full), Verdict::kPass);
  }
}

}  // namespace
}  // namespace flowtop::core
