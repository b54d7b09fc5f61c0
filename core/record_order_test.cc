#include "core/record_order.h"

#include <random>
#include <string>
#include <vector>

#include "core/flow_key.h"
#include "core/flow_record.h"
#include "core/flow_sort.h"
#include "core/string_pool.h"
#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

// A kernel-path flow: FlowIdFor's id, `key_high` 0 for a flow without a key.
v1::Flow KernelFlow(uint32_t conntrack_id, uint32_t key_high) {
  v1::Flow f;
  f.set_node("router-1");
  f.set_conntrack_id(conntrack_id);
  if (key_high != 0 || conntrack_id % 2) {
    f.set_key((uint64_t{key_high} << 32) | conntrack_id);
  }
  f.set_id(FlowIdFor(f.node(), f));
  return f;
}

FlowRecord RecordOf(const v1::Flow& flow, StringPool& pool) {
  v1::FlowEvent e;
  e.set_type(v1::NEW);
  *e.mutable_flow() = flow;
  FlowRecord r;
  ApplyFlowEvent(e, pool, r);
  return r;
}

int Sign(int x) { return (x > 0) - (x < 0); }

TEST(IdRank, OrdersLikeTheIdStrings) {
  std::mt19937 rng(5);
  std::vector<uint32_t> ids = {0, 1, 9, 10, 12, 120, 1200, 1201, 13, 99, 100,
                               1000000000u, 4294967295u, 429496729u, 42949672u};
  for (int i = 0; i < 300; ++i) ids.push_back(i % 3 ? rng() : rng() % 5000);
  StringPool pool;
  std::vector<v1::Flow> flows;
  for (uint32_t id : ids) {
    for (uint32_t high : {0u, 1u, 0xabcdefu, 0xffffffffu}) flows.push_back(KernelFlow(id, high));
  }
  std::vector<FlowRecord> records;
  for (const v1::Flow& f : flows) records.push_back(RecordOf(f, pool));
  for (size_t a = 0; a < flows.size(); ++a) {
    ASSERT_TRUE(records[a].has(FlowRecord::kIdDerived)) << flows[a].id();
    for (size_t b = 0; b < flows.size(); ++b) {
      const int want = Sign(flows[a].id().compare(flows[b].id()));
      const absl::uint128 x = IdRank(records[a]), y = IdRank(records[b]);
      const int got = x < y ? -1 : (y < x ? 1 : 0);
      ASSERT_EQ(got, want) << flows[a].id() << " vs " << flows[b].id();
    }
  }
  for (FlowRecord& r : records) ReleaseRecord(pool, r);
}

TEST(SortValue, ComparesLikeFlowOrder) {
  // Values chosen to tie often and to cross signs: FlowOrder on flows with
  // equal ids decides by the key alone, and so must the values.
  std::mt19937 rng(9);
  const double rates[] = {0.0, -0.0, 0.5, 1e300, 3.0, 1e-300};
  const int64_t seen[] = {0, 1, -5, INT64_MIN, INT64_MAX, 1000};
  StringPool pool;
  std::vector<v1::Flow> flows;
  std::vector<FlowRecord> records;
  for (int i = 0; i < 120; ++i) {
    v1::Flow f = KernelFlow(7, 7);
    f.mutable_original_counters()->set_bytes(i % 5 == 0 ? UINT64_MAX / 2 : rng() % 4);
    f.mutable_reply_counters()->set_bytes(rng() % 3);
    f.mutable_original_counters()->set_packets(rng() % 3);
    f.mutable_reply_rate()->set_bytes_per_second(rates[rng() % 6]);
    f.mutable_original_rate()->set_bytes_per_second(rates[rng() % 6]);
    f.set_first_seen_unix_nanos(seen[rng() % 6]);
    flows.push_back(f);
    records.push_back(RecordOf(f, pool));
  }
  for (v1::SortKey key : kValueKeys) {
    for (bool descending : {false, true}) {
      const FlowOrder order(key, descending);
      for (size_t a = 0; a < flows.size(); ++a) {
        for (size_t b = 0; b < flows.size(); ++b) {
          const uint64_t x = SortValue(records[a], key), y = SortValue(records[b], key);
          const bool first = x != y && (descending ? x > y : x < y);
          ASSERT_EQ(first, order(flows[a], flows[b]))
              << "key " << key << " descending " << descending << " flows " << a << ", " << b;
        }
      }
    }
  }
  for (FlowRecord& r : records) ReleaseRecord(pool, r);
}

TEST(RecordBounds, BoundEveryRecordIncluded) {
  StringPool pool;
  RecordBounds bounds;
  EXPECT_TRUE(bounds.empty());
  std::vector<FlowRecord> records;
  for (uint32_t i = 1; i <= 20; ++i) {
    v1::Flow f = KernelFlow(1000 + i * 37, i);
    f.mutable_original_counters()->set_bytes(i * 10);
    f.mutable_original_counters()->set_packets(i);
    f.mutable_original_rate()->set_bytes_per_second(i * 0.5);
    f.set_first_seen_unix_nanos(i * 100);
    records.push_back(RecordOf(f, pool));
    bounds.Include(records.back());
  }
  EXPECT_FALSE(bounds.empty());
  EXPECT_TRUE(bounds.uniform());
  for (v1::SortKey key : kValueKeys) {
    for (const FlowRecord& r : records) {
      EXPECT_LE(bounds.min(key), SortValue(r, key)) << key;
      EXPECT_GE(bounds.max(key), SortValue(r, key)) << key;
    }
  }
  EXPECT_EQ(bounds.min(v1::SORT_BYTES), 10u);
  EXPECT_EQ(bounds.max(v1::SORT_BYTES), 200u);
  absl::uint128 least = absl::Uint128Max();
  for (const FlowRecord& r : records) least = std::min(least, IdRank(r));
  EXPECT_EQ(bounds.min_id_rank(), least);

  // A flow of another node, or with an id of its own, makes ranks moot.
  v1::Flow other = KernelFlow(5, 5);
  other.set_node("router-2");
  other.set_id(FlowIdFor(other.node(), other));
  records.push_back(RecordOf(other, pool));
  RecordBounds mixed = bounds;
  mixed.Include(records.back());
  EXPECT_FALSE(mixed.uniform());
  v1::Flow custom = KernelFlow(6, 6);
  custom.set_id("mine");
  records.push_back(RecordOf(custom, pool));
  RecordBounds own = bounds;
  own.Include(records.back());
  EXPECT_FALSE(own.uniform());
  bounds.Reset();
  EXPECT_TRUE(bounds.empty());
  for (FlowRecord& r : records) ReleaseRecord(pool, r);
}

}  // namespace
}  // namespace flowtop::core
