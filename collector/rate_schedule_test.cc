#include "collector/rate_schedule.h"

#include "gtest/gtest.h"

namespace flowtop::collector {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(RateScheduleTest, CheapDumpsKeepTheInterval) {
  RateSchedule s(absl::Seconds(1), 0.05);
  // 10 ms per dump is 1% of a core at once a second: within 5%.
  EXPECT_EQ(s.Next(kStart, absl::Milliseconds(10)), kStart + absl::Seconds(1));
  EXPECT_EQ(s.period(), absl::Seconds(1));
  EXPECT_FALSE(s.stretched());
}

TEST(RateScheduleTest, CostlyDumpsStretchThePeriodToTheBudget) {
  RateSchedule s(absl::Seconds(1), 0.05);
  // A million flows: half a second per dump. At 5% of a core the next dump
  // may start 10 s after this one began.
  EXPECT_EQ(s.Next(kStart, absl::Milliseconds(500)), kStart + absl::Seconds(10));
  EXPECT_EQ(s.period(), absl::Seconds(10));
  EXPECT_TRUE(s.stretched());
  // Over any stretch of dumps, CPU / wall time stays at the budget.
  EXPECT_DOUBLE_EQ(absl::FDivDuration(absl::Milliseconds(500), s.period()), 0.05);
}

TEST(RateScheduleTest, TheIntervalComesBackWhenTheTableShrinks) {
  RateSchedule s(absl::Seconds(2), 0.1);
  s.Next(kStart, absl::Seconds(1));
  EXPECT_EQ(s.period(), absl::Seconds(10));
  EXPECT_EQ(s.Next(kStart + absl::Seconds(10), absl::Milliseconds(20)),
            kStart + absl::Seconds(12));
  EXPECT_EQ(s.period(), absl::Seconds(2));
  EXPECT_FALSE(s.stretched());
}

TEST(RateScheduleTest, ThePeriodHasACeiling) {
  RateSchedule s(absl::Seconds(1), 0.01);
  s.Next(kStart, absl::Seconds(30));  // would be 50 minutes
  EXPECT_EQ(s.period(), RateSchedule::kMaxPeriod);
}

TEST(RateScheduleTest, NoBudgetMeansTheInterval) {
  RateSchedule s(absl::Seconds(1), 0);
  EXPECT_EQ(s.Next(kStart, absl::Seconds(3)), kStart + absl::Seconds(1));
  EXPECT_FALSE(s.stretched());
}

}  // namespace
}  // namespace flowtop::collector
