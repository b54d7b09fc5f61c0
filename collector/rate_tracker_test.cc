#include "collector/rate_tracker.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"

namespace flowtop::collector {
namespace {

v1::Flow Sample(uint32_t id, uint64_t op, uint64_t ob, uint64_t rp,
                uint64_t rb) {
  v1::Flow f;
  f.set_conntrack_id(id);
  f.mutable_original_counters()->set_packets(op);
  f.mutable_original_counters()->set_bytes(ob);
  f.mutable_reply_counters()->set_packets(rp);
  f.mutable_reply_counters()->set_bytes(rb);
  return f;
}

TEST(RateTracker, RatesAreDeltasOverTime) {
  RateTracker t;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  t.BeginSample(t0);
  v1::Flow f = Sample(1, 10, 1000, 5, 500);
  EXPECT_TRUE(t.Observe(f));  // first sight: counters are news
  EXPECT_FALSE(f.has_original_rate());
  t.EndSample();

  t.BeginSample(t0 + absl::Seconds(2));
  f = Sample(1, 30, 5000, 7, 900);
  EXPECT_TRUE(t.Observe(f));
  EXPECT_DOUBLE_EQ(f.original_rate().packets_per_second(), 10);
  EXPECT_DOUBLE_EQ(f.original_rate().bytes_per_second(), 2000);
  EXPECT_DOUBLE_EQ(f.reply_rate().packets_per_second(), 1);
  EXPECT_DOUBLE_EQ(f.reply_rate().bytes_per_second(), 200);
  t.EndSample();

  // Idle: one publication of the zero rate, then silence.
  t.BeginSample(t0 + absl::Seconds(3));
  f = Sample(1, 30, 5000, 7, 900);
  EXPECT_TRUE(t.Observe(f));
  EXPECT_DOUBLE_EQ(f.original_rate().bytes_per_second(), 0);
  t.EndSample();
  t.BeginSample(t0 + absl::Seconds(4));
  f = Sample(1, 30, 5000, 7, 900);
  EXPECT_FALSE(t.Observe(f));
  t.EndSample();
}

TEST(RateTracker, CounterResetCountsFromZero) {
  RateTracker t;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  t.BeginSample(t0);
  v1::Flow f = Sample(1, 100, 100000, 0, 0);
  t.Observe(f);
  t.EndSample();
  t.BeginSample(t0 + absl::Seconds(1));
  f = Sample(1, 4, 400, 0, 0);  // zeroed, then 4 packets
  EXPECT_TRUE(t.Observe(f));
  EXPECT_DOUBLE_EQ(f.original_rate().packets_per_second(), 4);
  EXPECT_DOUBLE_EQ(f.original_rate().bytes_per_second(), 400);
  EXPECT_GE(f.original_rate().bytes_per_second(), 0);
}

TEST(RateTracker, VanishedFlowsAreForgotten) {
  RateTracker t;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  t.BeginSample(t0);
  v1::Flow a = Sample(1, 1, 1, 1, 1), b = Sample(2, 1, 1, 1, 1);
  t.Observe(a);
  t.Observe(b);
  EXPECT_EQ(t.EndSample(), 0u);
  t.BeginSample(t0 + absl::Seconds(1));
  a = Sample(1, 2, 2, 2, 2);
  t.Observe(a);
  EXPECT_EQ(t.EndSample(), 1u);
  EXPECT_EQ(t.size(), 1u);
  // The id comes back (reused): it starts over, no bogus rate.
  t.BeginSample(t0 + absl::Seconds(2));
  b = Sample(2, 50, 50, 0, 0);
  EXPECT_TRUE(t.Observe(b));
  EXPECT_FALSE(b.has_original_rate());
}

TEST(RateTracker, RememberedFlowsArePublishedOnlyOnceTheyMove) {
  // The initial dump announced these counters: an idle flow is no news.
  RateTracker t;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  t.BeginSample(t0);
  t.Remember(Sample(1, 10, 1000, 5, 500));
  t.Remember(Sample(2, 1, 100, 0, 0));
  EXPECT_EQ(t.EndSample(), 0u);
  EXPECT_EQ(t.size(), 2u);

  t.BeginSample(t0 + absl::Seconds(2));
  v1::Flow idle = Sample(1, 10, 1000, 5, 500);
  EXPECT_FALSE(t.Observe(idle));
  v1::Flow moved = Sample(2, 3, 500, 0, 0);
  EXPECT_TRUE(t.Observe(moved));
  EXPECT_DOUBLE_EQ(moved.original_rate().packets_per_second(), 1);
  EXPECT_DOUBLE_EQ(moved.original_rate().bytes_per_second(), 200);
  t.EndSample();

  // The moved flow stops: its zero rate is news once; the idle one never.
  t.BeginSample(t0 + absl::Seconds(3));
  idle = Sample(1, 10, 1000, 5, 500);
  EXPECT_FALSE(t.Observe(idle));
  moved = Sample(2, 3, 500, 0, 0);
  EXPECT_TRUE(t.Observe(moved));
  EXPECT_DOUBLE_EQ(moved.original_rate().bytes_per_second(), 0);
  t.EndSample();
}

TEST(RateTracker, FlowsWithoutCountersAreNeverPublishedButTracked) {
  // Accounting was off when the flow began: no counters, nothing to
  // publish, but a later sample must still say when it is gone.
  RateTracker t;
  t.BeginSample(absl::FromUnixSeconds(1));
  v1::Flow f;
  f.set_conntrack_id(3);
  EXPECT_FALSE(t.Observe(f));
  EXPECT_EQ(t.size(), 1u);
  t.EndSample();
  t.BeginSample(absl::FromUnixSeconds(2));
  EXPECT_FALSE(t.Observe(f));
  EXPECT_EQ(t.EndSample(), 0u);
  EXPECT_EQ(t.size(), 1u);
}

TEST(RateTracker, EndSampleNamesTheFlowsGoneFromTheDump) {
  RateTracker t;
  const absl::Time t0 = absl::FromUnixSeconds(100);
  t.BeginSample(t0);
  v1::Flow counted = Sample(1, 1, 100, 1, 100);
  t.Remember(counted);
  v1::Flow uncounted;
  uncounted.set_conntrack_id(2);
  t.Remember(uncounted);
  v1::Flow stays = Sample(3, 1, 100, 1, 100);
  t.Remember(stays);
  EXPECT_EQ(t.EndSample(), 0u);

  t.BeginSample(t0 + absl::Seconds(1));
  t.Observe(stays);
  std::vector<uint64_t> gone;
  EXPECT_EQ(t.EndSample([&](uint64_t key) { gone.push_back(key); }), 2u);
  std::sort(gone.begin(), gone.end());
  EXPECT_EQ(gone, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(t.size(), 1u);
}

}  // namespace
}  // namespace flowtop::collector
