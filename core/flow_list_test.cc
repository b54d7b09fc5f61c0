#include "core/flow_list.h"

#include <random>
#include <string>
#include <vector>

#include "core/flow_filter.h"
#include "core/flow_key.h"
#include "core/flow_sort.h"
#include "core/flow_table.h"
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
// the same order as sorting the whole table with FlowOrder.
TEST(ListTopFlows, MatchesASortOfTheWholeTable) {
  FlowTable table;
  Fill(table, 500);
  v1::FlowFilter tcp;
  tcp.add_protocol(v1::TCP);
  google::protobuf::RepeatedPtrField<v1::FlowFilter> allow, none;
  *allow.Add() = tcp;
  const FlowMatcher all;
  const FlowMatcher only_tcp = *FlowMatcher::Compile(allow, none);
  for (int key = v1::SORT_KEY_UNSPECIFIED; key <= v1::SORT_COUNTRY; ++key) {
    for (bool descending : {false, true}) {
      for (const FlowMatcher* matcher : {&all, &only_tcp}) {
        std::vector<v1::Flow> every;
        for (const v1::Flow& f : table.Snapshot()) {
          if (matcher->Matches(f)) every.push_back(f);
        }
        SortFlows(static_cast<v1::SortKey>(key), descending, &every);
        for (uint32_t limit : {0u, 1u, 10u}) {
          const FlowList got = ListTopFlows(table.View(), *matcher,
                                            static_cast<v1::SortKey>(key), descending, limit);
          std::vector<v1::Flow> want = every;
          if (limit != 0 && want.size() > limit) want.resize(limit);
          EXPECT_EQ(Ids(got.flows), Ids(want))
              << "key " << key << " descending " << descending << " limit " << limit
              << " filtered " << (matcher == &only_tcp);
          EXPECT_EQ(got.total, every.size());
        }
      }
    }
  }
}

}  // namespace
}  // namespace flowtop::core
