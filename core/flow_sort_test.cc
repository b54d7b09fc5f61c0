#include "core/flow_sort.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

v1::Flow Make(const std::string& id, uint64_t bytes, int64_t first_seen,
              uint32_t dst_port) {
  v1::Flow f;
  f.set_id(id);
  f.mutable_original_counters()->set_bytes(bytes);
  f.mutable_reply_counters()->set_bytes(1);
  f.set_first_seen_unix_nanos(first_seen);
  f.mutable_original()->set_dst_port(dst_port);
  return f;
}

std::vector<std::string> Ids(const std::vector<v1::Flow>& flows) {
  std::vector<std::string> ids;
  for (const auto& f : flows) ids.push_back(f.id());
  return ids;
}

TEST(FlowSort, ByBytesBothDirections) {
  std::vector<v1::Flow> flows = {Make("a", 50, 1, 80), Make("b", 10, 2, 22),
                                 Make("c", 30, 3, 443)};
  SortFlows(v1::SORT_BYTES, false, &flows);
  EXPECT_EQ(Ids(flows), (std::vector<std::string>{"b", "c", "a"}));
  SortFlows(v1::SORT_BYTES, true, &flows);
  EXPECT_EQ(Ids(flows), (std::vector<std::string>{"a", "c", "b"}));
}

TEST(FlowSort, AgeAscendingIsYoungestFirst) {
  std::vector<v1::Flow> flows = {Make("old", 0, 1, 0), Make("new", 0, 9, 0)};
  SortFlows(v1::SORT_AGE, false, &flows);
  EXPECT_EQ(Ids(flows), (std::vector<std::string>{"new", "old"}));
}

TEST(FlowSort, TiesBrokenByIdEvenDescending) {
  std::vector<v1::Flow> flows = {Make("z", 5, 0, 443), Make("a", 5, 0, 443),
                                 Make("m", 5, 0, 80)};
  SortFlows(v1::SORT_DST_PORT, true, &flows);
  EXPECT_EQ(Ids(flows), (std::vector<std::string>{"a", "z", "m"}));
}

TEST(FlowSort, UnspecifiedSortsById) {
  std::vector<v1::Flow> flows = {Make("b", 0, 0, 0), Make("a", 0, 0, 0)};
  SortFlows(v1::SORT_KEY_UNSPECIFIED, false, &flows);
  EXPECT_EQ(Ids(flows), (std::vector<std::string>{"a", "b"}));
  SortFlows(v1::SORT_KEY_UNSPECIFIED, true, &flows);
  EXPECT_EQ(Ids(flows), (std::vector<std::string>{"b", "a"}));
}

TEST(FlowSort, ByStateAndProcessAndCountry) {
  v1::Flow a = Make("a", 0, 0, 0), b = Make("b", 0, 0, 0);
  a.set_tcp_state(v1::TCP_TIME_WAIT);
  b.set_tcp_state(v1::TCP_ESTABLISHED);
  EXPECT_TRUE(FlowOrder(v1::SORT_STATE)(b, a));
  a.mutable_enrichment()->mutable_src()->mutable_process()->set_name("zsh");
  b.mutable_enrichment()->mutable_dst()->mutable_process()->set_name("curl");
  EXPECT_TRUE(FlowOrder(v1::SORT_PROCESS)(b, a));
  a.mutable_enrichment()->mutable_dst()->mutable_geo()->set_country_code("AT");
  b.mutable_enrichment()->mutable_dst()->mutable_geo()->set_country_code("US");
  EXPECT_TRUE(FlowOrder(v1::SORT_COUNTRY)(a, b));
}

}  // namespace
}  // namespace flowtop::core
