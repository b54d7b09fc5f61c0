#include "replay/capture_filter.h"

#include "core/test_events.h"
#include "gtest/gtest.h"
#include "replay/sample_events.h"

namespace flowtop::replay {
namespace {

using core::KeyOnlyEvent;
using core::WholeFlowEvent;

TEST(CaptureFilterTest, KeepsEverythingWithoutSwitches) {
  CaptureFilter filter({}, {});
  EXPECT_TRUE(filter.keeps_everything());
  for (const v1::FlowEvent& e : EveryKindOfEvent()) EXPECT_TRUE(filter.Keep(e));
  EXPECT_TRUE(filter.AsFlowFilters().empty());
}

TEST(CaptureFilterTest, FollowsKeptFlowsThroughEnrichAndCounters) {
  CaptureFilter filter({}, {v1::UDP});
  const v1::Flow tcp = SampleFlow(1);  // 1 % 3 != 0: TCP
  const v1::Flow udp = SampleFlow(3);  // UDP
  ASSERT_EQ(tcp.protocol(), v1::TCP);
  ASSERT_EQ(udp.protocol(), v1::UDP);
  EXPECT_FALSE(filter.Keep(WholeFlowEvent(v1::NEW, tcp)));
  EXPECT_TRUE(filter.Keep(WholeFlowEvent(v1::NEW, udp)));
  EXPECT_FALSE(filter.Keep(KeyOnlyEvent(v1::COUNTERS, 1)));
  EXPECT_TRUE(filter.Keep(KeyOnlyEvent(v1::COUNTERS, 3)));
  EXPECT_TRUE(filter.Keep(KeyOnlyEvent(v1::ENRICH, 3)));
  EXPECT_FALSE(filter.Keep(KeyOnlyEvent(v1::ENRICH, 1)));
  EXPECT_TRUE(filter.Keep(WholeFlowEvent(v1::DESTROY, udp)));
  EXPECT_FALSE(filter.Keep(KeyOnlyEvent(v1::COUNTERS, 3)));  // gone
  EXPECT_FALSE(filter.Keep(WholeFlowEvent(v1::DESTROY, tcp)));
  // Loss and status pass any filter.
  v1::FlowEvent lost;
  lost.set_type(v1::LOST);
  EXPECT_TRUE(filter.Keep(lost));
  ASSERT_EQ(filter.AsFlowFilters().size(), 1u);
  EXPECT_EQ(filter.AsFlowFilters()[0].protocol(0), v1::UDP);
}

TEST(CaptureFilterTest, FamilyAndProtocolCombine) {
  CaptureFilter filter({v1::IPV6}, {v1::TCP});
  EXPECT_FALSE(filter.Keep(WholeFlowEvent(v1::NEW, SampleFlow(1, false))));
  EXPECT_TRUE(filter.Keep(WholeFlowEvent(v1::NEW, SampleFlow(2, true))));
  EXPECT_FALSE(filter.Keep(WholeFlowEvent(v1::NEW, SampleFlow(3, true))));  // UDP
}

}  // namespace
}  // namespace flowtop::replay
