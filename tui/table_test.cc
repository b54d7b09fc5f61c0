#include "tui/table.h"

#include <string>
#include <vector>

#include "core/fake_clock.h"
#include "gtest/gtest.h"
#include "tui/test_flows.h"

namespace flowtop::tui {
namespace {

using testing::Event;

std::vector<uint32_t> Ids(const FlowSelection& sel) {
  std::vector<uint32_t> ids;
  for (const FlowRow* r : sel.rows) ids.push_back(r->flow().conntrack_id());
  return ids;
}

class TableTest : public ::testing::Test {
 protected:
  TableTest() {
    source_ = model_.AddSource("local");
    v1::Flow a = testing::TcpFlow(1, "10.0.0.1", 40000, "192.0.2.1", 443);
    testing::SetTraffic(a, 1000, 9000, 10, 90);        // 10 kB, 100 B/s
    testing::SetProcess(a, "curl", 300);
    testing::SetDst(a, "a.example", "DE", "Berlin");
    v1::Flow b = testing::TcpFlow(2, "10.0.0.1", 40001, "192.0.2.2", 80);
    testing::SetTraffic(b, 500, 500, 400, 100);        // 1 kB, 500 B/s
    testing::SetProcess(b, "curl", 300);
    testing::SetDst(b, "b.example", "US", "");
    v1::Flow c = testing::UdpFlow(3, "10.0.0.1", 5353, "192.0.2.3", 53);
    testing::SetTraffic(c, 50, 50);                    // idle
    testing::SetProcess(c, "resolved", 12);
    v1::Flow d = testing::TcpFlow(4, "2001:db8::1", 50000, "2001:db8::2", 22);
    testing::SetTraffic(d, 100000, 0, 0, 0);           // 100 kB, idle, no process
    for (const v1::Flow& f : {a, b, c, d}) Add(f);
  }
  void Add(const v1::Flow& f) {
    std::vector<v1::FlowEvent> ev = {Event(v1::NEW, f, 1)};
    model_.SinkFor(source_).Publish(absl::MakeSpan(ev));
  }
  FlowSelection Select(size_t first = 0, size_t count = 100) {
    return SelectFlows(model_.TakeSnapshot(), state_, first, count);
  }

  core::FakeClock clock_;
  Model model_{clock_};
  int source_;
  ViewState state_;
};

TEST_F(TableTest, DefaultShowsTcpOfBothFamiliesByRate) {
  FlowSelection sel = Select();
  EXPECT_EQ(sel.total, 3u);  // UDP hidden by default
  EXPECT_EQ(Ids(sel), (std::vector<uint32_t>{2, 1, 4}));
  EXPECT_EQ(sel.totals.original_bytes, 1000u + 500 + 100000);
}

TEST_F(TableTest, ProtocolAndFamilyToggles) {
  state_.protocols.udp = true;
  EXPECT_EQ(Select().total, 4u);
  state_.protocols.tcp = false;
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{3}));
  state_.protocols.tcp = true;
  state_.families.ipv4 = false;
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{4}));
}

TEST_F(TableTest, SortByEachColumnAndReverse) {
  state_.protocols.udp = true;
  state_.flow_sort = Column::kBytes;
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{4, 1, 2, 3}));
  state_.reverse = true;
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{3, 2, 1, 4}));
  state_.reverse = false;
  state_.flow_sort = Column::kPort;
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{4, 3, 2, 1}));
  state_.flow_sort = Column::kProcess;  // named first, then no process
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{1, 2, 3, 4}));
  state_.flow_sort = Column::kProto;
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{1, 2, 4, 3}));
  state_.flow_sort = Column::kGeo;
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{1, 2, 3, 4}));
  state_.flow_sort = Column::kAddress;  // IPv4 (shorter) before IPv6
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{1, 2, 3, 4}));
}

TEST_F(TableTest, WindowMatchesFullSort) {
  // 1000 flows with pseudo-random byte counts: every window of the
  // nth_element path equals the same slice of a full sort.
  for (uint32_t i = 10; i < 1010; ++i) {
    v1::Flow f = testing::TcpFlow(i, "10.1.0.1", i, "10.2.0.1", 80);
    testing::SetTraffic(f, (i * 7919u) % 1009u, 0);
    Add(f);
  }
  state_.flow_sort = Column::kBytes;
  FlowSelection all = Select(0, 10000);
  ASSERT_EQ(all.total, 1003u);
  for (size_t first : {0u, 1u, 17u, 500u, 995u}) {
    FlowSelection win = Select(first, 20);
    ASSERT_EQ(win.total, 1003u);
    std::vector<uint32_t> expect;
    for (size_t i = first; i < std::min<size_t>(first + 20, all.rows.size()); ++i) {
      expect.push_back(all.rows[i]->flow().conntrack_id());
    }
    EXPECT_EQ(Ids(win), expect) << "first=" << first;
  }
  EXPECT_TRUE(Select(2000, 20).rows.empty());
}

TEST_F(TableTest, ActiveOnlyAndFilter) {
  state_.active_only = true;
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{2, 1}));
  state_.active_only = false;
  state_.filter = *FilterExpr::Parse("dport 443 or dport 22");
  EXPECT_EQ(Ids(Select()), (std::vector<uint32_t>{1, 4}));
}

TEST_F(TableTest, OwnDnsTrafficIsHiddenUnlessAsked) {
  v1::Flow own = testing::UdpFlow(60, "10.0.0.1", 40000, "10.0.0.53", 53);
  own.mutable_enrichment()->set_own_traffic(true);
  Add(own);
  state_.protocols.udp = true;
  EXPECT_EQ(Select().total, 4u);
  state_.show_own = true;
  EXPECT_EQ(Select().total, 5u);
}

TEST_F(TableTest, ProcessAggregation) {
  state_.protocols.udp = true;
  state_.view = TableView::kProcesses;
  ProcessSelection sel = SelectProcesses(model_.TakeSnapshot(), state_, 0, 10);
  ASSERT_EQ(sel.total, 3u);
  // By total bytes: (no process) 100 kB, curl 11 kB, resolved 100 B.
  EXPECT_EQ(sel.rows[0].name, "");
  EXPECT_EQ(sel.rows[1].name, "curl");
  EXPECT_EQ(sel.rows[1].pid, 300u);
  EXPECT_EQ(sel.rows[1].flows, 2u);
  EXPECT_EQ(sel.rows[1].tx_bytes, 1500u);
  EXPECT_EQ(sel.rows[1].rx_bytes, 9500u);
  EXPECT_DOUBLE_EQ(sel.rows[1].tx_rate, 410.0);
  EXPECT_DOUBLE_EQ(sel.rows[1].rx_rate, 190.0);
  EXPECT_EQ(sel.rows[2].name, "resolved");
  state_.process_sort = Column::kProcess;
  sel = SelectProcesses(model_.TakeSnapshot(), state_, 0, 10);
  EXPECT_EQ(sel.rows[0].name, "curl");
  EXPECT_EQ(sel.rows[2].name, "");
}

TEST_F(TableTest, InboundFlowCountsReplyAsTransmit) {
  // A server process owns the destination end: what it receives is the
  // original direction.
  v1::Flow in = testing::TcpFlow(50, "198.51.100.1", 33000, "10.0.0.1", 8080);
  testing::SetTraffic(in, 700, 30);
  in.mutable_enrichment()->mutable_dst()->mutable_process()->set_name("server");
  in.mutable_enrichment()->mutable_dst()->mutable_process()->set_pid(5);
  Add(in);
  state_.filter = *FilterExpr::Parse("process server");
  state_.view = TableView::kProcesses;
  ProcessSelection sel = SelectProcesses(model_.TakeSnapshot(), state_, 0, 10);
  ASSERT_EQ(sel.rows.size(), 1u);
  EXPECT_EQ(sel.rows[0].rx_bytes, 700u);
  EXPECT_EQ(sel.rows[0].tx_bytes, 30u);
}

}  // namespace
}  // namespace flowtop::tui
