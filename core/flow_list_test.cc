#include "core/flow_list.h"

#include <random>
#include <string>
#include <vector>

#include "core/flow_filter.h"
#include "core/flow_key.h"
#include "core/flow_sort.h"
#include "core/flow_table.h"
#include "core/record_order.h"
#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

// A table of `n` flows with few distinct counters, rates and times, so that
// many flows tie and the id decides.
void Fill(FlowTable& table, int n) {
  std::mt19937 rng(7);
  for (int i = 0; i < n; ++i) {
    v1::FlowEvent e;
    e.set_type(v1::NEW);
    e.set_seq(i + 1);
    e.set_time_unix_nanos(1000 + rng() % 5);
    v1::Flow& f = *e.mutable_flow();
    f.set_node("r1");
    f.set_conntrack_id(rng());
    f.set_key((uint64_t{rng() | 1} << 32) | f.conntrack_id());
    f.set_id(FlowIdFor(f.node(), f));
    f.set_protocol(i % 3 ? v1::TCP : v1::UDP);
    f.mutable_original()->set_dst_port(rng() % 4);
    f.mutable_original_counters()->set_bytes(rng() % 6);
    f.mutable_original_counters()->set_packets(rng() % 3);
    f.mutable_reply_counters()->set_bytes(rng() % 3);
    f.mutable_original_rate()->set_bytes_per_second((rng() % 4) * 0.5);
    table.Apply(e);
  }
}

std::vector<std::string> Ids(const std::vector<v1::Flow>& flows) {
  std::vector<std::string> ids;
  for (const v1::Flow& f : flows) ids.push_back(f.id());
  return ids;
}

// Every order, both directions, with and without a filter: the same flows in
// the same order as sorting the whole table with FlowOrder. `record_path`:
// only the requests answered from the records (numeric orders, no filter).
void ExpectListsMatchASort(const FlowTable& table, const std::string& what,
                           bool record_path = false) {
  v1::FlowFilter tcp;
  tcp.add_protocol(v1::TCP);
  google::protobuf::RepeatedPtrField<v1::FlowFilter> allow, none;
  *allow.Add() = tcp;
  const FlowMatcher all;
  const FlowMatcher only_tcp = *FlowMatcher::Compile(allow, none);
  const std::vector<v1::Flow> snapshot = table.Snapshot();
  for (int key = v1::SORT_KEY_UNSPECIFIED; key <= v1::SORT_COUNTRY; ++key) {
    if (record_path && !HasSortValue(static_cast<v1::SortKey>(key))) continue;
    for (bool descending : {false, true}) {
      for (const FlowMatcher* matcher : {&all, &only_tcp}) {
        if (record_path && matcher != &all) continue;
        std::vector<v1::Flow> every;
        for (const v1::Flow& f : snapshot) {
          if (matcher->Matches(f)) every.push_back(f);
        }
        SortFlows(static_cast<v1::SortKey>(key), descending, &every);
        for (uint32_t limit : {0u, 1u, 10u, 100u}) {
          if (record_path && limit == 0) continue;  // every flow: no skipping
          const FlowList got = ListTopFlows(table.View(), *matcher,
                                            static_cast<v1::SortKey>(key), descending, limit);
          std::vector<v1::Flow> want = every;
          if (limit != 0 && want.size() > limit) want.resize(limit);
          ASSERT_EQ(Ids(got.flows), Ids(want))
              << what << ": key " << key << " descending " << descending << " limit "
              << limit << " filtered " << (matcher == &only_tcp);
          EXPECT_EQ(got.total, every.size());
        }
      }
    }
  }
}

TEST(ListTopFlows, MatchesASortOfTheWholeTable) {
  FlowTable table;
  Fill(table, 500);
  ExpectListsMatchASort(table, "500 flows");
}

// A flow whose id sorts by string in ways numbers do not: conntrack ids of
// every length ("12" < "120" < "13"), flows without a key, ids that are not
// FlowIdFor's and flows of another node.
v1::FlowEvent Awkward(std::mt19937& rng, int i) {
  static constexpr uint32_t kIds[] = {0, 1, 9, 10, 12, 120, 1200, 13, 99, 100,
                                      4294967295u, 429496729u, 1000000000u};
  v1::FlowEvent e;
  e.set_type(v1::NEW);
  e.set_time_unix_nanos(1000 + rng() % 3);
  v1::Flow& f = *e.mutable_flow();
  f.set_node(i % 17 == 0 ? "r2" : "r1");
  f.set_conntrack_id(i < 13 ? kIds[i] : (i % 2 ? rng() % 2000 : rng()));
  if (i % 5 != 0) f.set_key((uint64_t{rng() % 4} << 32) | f.conntrack_id());
  f.set_id(i % 23 == 0 ? "custom-" + std::to_string(rng() % 100) : FlowIdFor(f.node(), f));
  f.set_protocol(i % 3 ? v1::TCP : v1::UDP);
  f.mutable_original()->set_src_port(i);  // a distinct flow
  f.mutable_original_counters()->set_bytes(rng() % 4);
  f.mutable_original_counters()->set_packets(rng() % 2);
  f.mutable_original_rate()->set_bytes_per_second(i % 7 == 0 ? -0.0 : (rng() % 3) * 0.25);
  return e;
}

TEST(ListTopFlows, IdsThatSortAsStringsNotNumbers) {
  FlowTable table;
  std::mt19937 rng(3);
  for (int i = 0; i < 1000; ++i) table.Apply(Awkward(rng, i));
  ExpectListsMatchASort(table, "awkward ids");
}

// A table big enough that shards hold many flows and most are skipped, then
// changed the ways that leave a shard's bounds loose (counters and rates
// falling, flows leaving) or widen them (new flows, counters rising):
// every answer still equals a full sort.
TEST(ListTopFlows, SkippedShardsNeverHideAWinner) {
  FlowTable table;
  Fill(table, 12000);
  ExpectListsMatchASort(table, "12,000 flows", /*record_path=*/true);
  std::mt19937 rng(11);
  const std::vector<v1::Flow> flows = table.Snapshot();
  for (int round = 0; round < 3; ++round) {
    const FlowTableView held = table.View();  // copy-on-write meanwhile
    for (int i = 0; i < 2000; ++i) {
      const v1::Flow& f = flows[rng() % flows.size()];
      v1::FlowEvent e;
      e.set_type(rng() % 4 == 0 ? v1::DESTROY : v1::COUNTERS);
      e.mutable_flow()->set_conntrack_id(f.conntrack_id());
      e.mutable_flow()->set_key(f.key());
      e.mutable_flow()->mutable_original_counters()->set_bytes(rng() % 8);
      e.mutable_flow()->mutable_original_counters()->set_packets(rng() % 2);
      e.mutable_flow()->mutable_original_rate()->set_bytes_per_second((rng() % 5) * 0.5);
      table.Apply(e);
    }
    for (int i = 0; i < 500; ++i) table.Apply(Awkward(rng, 100000 + round * 1000 + i));
    ExpectListsMatchASort(table, "after round " + std::to_string(round),
                          /*record_path=*/true);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace flowtop::core
