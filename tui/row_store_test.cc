// The model's rows read from records (HotOf, RowText) say what the same
// flow says as a v1::Flow (ComputeHot, FlowProcess, its fields), and the
// filters the table applies to records select what they select on flows.
#include "tui/row_store.h"

#include <memory>
#include <string>
#include <vector>

#include "core/flow_record.h"
#include "core/string_pool.h"
#include "gtest/gtest.h"
#include "tui/filter_expr.h"
#include "tui/table.h"
#include "tui/test_flows.h"

namespace flowtop::tui {
namespace {

using core::StringPool;

std::vector<v1::Flow> Flows() {
  v1::Flow a = testing::TcpFlow(1, "10.0.0.1", 40000, "192.0.2.1", 443);
  testing::SetTraffic(a, 1000, 9000, 10, 90);
  testing::SetProcess(a, "curl", 300);
  testing::SetDst(a, "a.example", "de", "Berlin");
  v1::Flow b = testing::UdpFlow(2, "2001:db8::1", 5353, "2001:db8::53", 53);
  testing::SetTraffic(b, 50, 50);
  b.mutable_enrichment()->mutable_dst()->mutable_process()->set_name("resolved");
  b.mutable_enrichment()->mutable_dst()->mutable_process()->set_pid(12);
  b.mutable_enrichment()->mutable_dst()->mutable_process()->set_unit("systemd-resolved.service");
  v1::Flow c = testing::TcpFlow(3, "10.0.0.1", 40001, "198.51.100.7", 22);
  c.set_node("edge");
  c.mutable_enrichment()->set_own_traffic(true);
  v1::Flow d = testing::TcpFlow(4, "10.0.0.1", 40002, "198.51.100.8", 80);
  testing::SetProcess(d, "nginx", 80);
  d.mutable_enrichment()->mutable_dst()->mutable_process()->set_name("backend");
  d.mutable_enrichment()->mutable_dst()->mutable_process()->set_pid(81);
  return {a, b, c, d};
}

class RowStoreTest : public ::testing::Test {
 protected:
  RowStoreTest() {
    for (const v1::Flow& f : Flows()) {
      StoredRow row;
      v1::FlowEvent e = testing::Event(v1::NEW, f, 5);
      core::ApplyFlowEvent(e, *pool_, row.record);
      UpdateOwner(*pool_, row);
      rows_.push_back(row);
      flows_.push_back(f);
      flows_.back().set_first_seen_unix_nanos(5);
    }
  }
  ~RowStoreTest() override {
    for (StoredRow& r : rows_) core::ReleaseRecord(*pool_, r.record);
  }

  std::shared_ptr<StringPool> pool_ = std::make_shared<StringPool>();
  std::vector<StoredRow> rows_;
  std::vector<v1::Flow> flows_;
  std::vector<std::string> labels_ = {"local"};
};

TEST_F(RowStoreTest, HotFieldsAreComputeHotsOfTheFlow) {
  for (size_t i = 0; i < rows_.size(); ++i) {
    const FlowHot want = ComputeHot(flows_[i], TrafficOf(flows_[i]));
    const FlowHot got = HotOf(rows_[i]);
    SCOPED_TRACE(i);
    EXPECT_EQ(want.protocol, got.protocol);
    EXPECT_EQ(want.family, got.family);
    EXPECT_EQ(want.state_case, got.state_case);
    EXPECT_EQ(want.state, got.state);
    EXPECT_EQ(want.src_port, got.src_port);
    EXPECT_EQ(want.dst_port, got.dst_port);
    EXPECT_EQ(want.has_ports, got.has_ports);
    EXPECT_EQ(want.active, got.active);
    EXPECT_EQ(want.has_process, got.has_process);
    EXPECT_EQ(want.outbound, got.outbound);
    EXPECT_EQ(want.own_traffic, got.own_traffic);
    EXPECT_EQ(want.pid, got.pid);
    EXPECT_EQ(want.other_pid, got.other_pid);
    EXPECT_EQ(want.original_bytes, got.original_bytes);
    EXPECT_EQ(want.reply_bytes, got.reply_bytes);
    EXPECT_EQ(want.original_rate, got.original_rate);
    EXPECT_EQ(want.reply_rate, got.reply_rate);
    EXPECT_EQ(want.start_nanos, got.start_nanos);
    EXPECT_EQ(std::string(want.src_country, 2), std::string(got.src_country, 2));
    EXPECT_EQ(std::string(want.dst_country, 2), std::string(got.dst_country, 2));
    EXPECT_EQ(want.conntrack_id, got.conntrack_id);
  }
}

TEST_F(RowStoreTest, TextIsTheFlowsText) {
  RowText text(*pool_, labels_);
  for (size_t i = 0; i < rows_.size(); ++i) {
    const v1::Flow& f = flows_[i];
    const v1::Process* want = FlowProcess(f);
    const v1::Process* got = text.Process(rows_[i]);
    ASSERT_EQ(want == nullptr, got == nullptr) << "flow " << i;
    if (want != nullptr) {
      EXPECT_EQ(want->SerializeAsString(), got->SerializeAsString());
    }
    EXPECT_EQ(text.DstIp(rows_[i]), f.original().dst_ip());
    EXPECT_EQ(text.DstGeo(rows_[i]).SerializeAsString(),
              f.enrichment().dst().geo().SerializeAsString());
    EXPECT_EQ(text.Node(rows_[i]), f.node().empty() ? "local" : f.node());
  }
}

TEST_F(RowStoreTest, FiltersSelectTheSameRowsAsOnFlows) {
  RowText text(*pool_, labels_);
  for (const char* expr :
       {"process curl", "process backend", "unit systemd-resolved", "name a.example",
        "dst 198.51.100.0/24", "host 2001:db8::/32", "node edge", "node local",
        "process curl or process resolved", "not process nginx", "pid 81", "country DE"}) {
    auto filter = FilterExpr::Parse(expr);
    ASSERT_TRUE(filter.ok()) << expr;
    for (size_t i = 0; i < rows_.size(); ++i) {
      const FlowHot hot = HotOf(rows_[i]);
      const bool want = (*filter)->Matches(flows_[i], flows_[i].node().empty() ? "local" : "");
      const bool got = (*filter)->Matches(
          hot, [&]() -> const v1::Flow& { return text.FilterFlow(rows_[i]); },
          [&]() { return text.Node(rows_[i]); });
      EXPECT_EQ(want, got) << expr << " on flow " << i;
    }
  }
}

}  // namespace
}  // namespace flowtop::tui
