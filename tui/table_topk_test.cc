// SelectFlows picks a screen of rows without sorting the table (a bounded
// heap near either end, selection in the middle, windows remembered with
// the snapshot). These tests hold it to a full sort by FlowBefore over the
// rows Passes() admits, on random tables, for every flow column, both
// directions and windows anywhere in the list.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/fake_clock.h"
#include "gtest/gtest.h"
#include "tui/table.h"
#include "tui/test_flows.h"

namespace flowtop::tui {
namespace {

using testing::Event;

std::vector<const FlowRow*> FullSort(const Snapshot& snap, const ViewState& state) {
  std::vector<const FlowRow*> rows;
  for (const FlowRow* r : snap.flows) {
    if (Passes(*r, state)) rows.push_back(r);
  }
  std::sort(rows.begin(), rows.end(), [&state](const FlowRow* a, const FlowRow* b) {
    return FlowBefore(*a, *b, state.flow_sort, state.reverse);
  });
  return rows;
}

std::vector<const FlowRow*> Slice(const std::vector<const FlowRow*>& all, size_t first,
                                  size_t count) {
  if (first >= all.size()) return {};
  return {all.begin() + static_cast<long>(first),
          all.begin() + static_cast<long>(std::min(all.size(), first + count))};
}

class TopKTest : public ::testing::Test {
 protected:
  // `n` flows over two sources with few distinct values per column, so
  // ties (and the tie-breaking by source and key) are everywhere.
  void Fill(int n, uint32_t seed) {
    const int sources[] = {model_.AddSource("edge-b"), model_.AddSource("edge-a")};
    std::mt19937 rng(seed);
    auto pick = [&rng](int k) { return static_cast<int>(rng() % static_cast<uint32_t>(k)); };
    const char* names[] = {"curl", "sshd", "firefox-esr", "a-very-long-process-name", ""};
    const char* countries[] = {"DE", "US", "", "FR"};
    const char* cities[] = {"Berlin", "", "Paris", "A city with a long name"};
    std::vector<v1::FlowEvent> events[2];
    for (int i = 0; i < n; ++i) {
      const uint32_t id = static_cast<uint32_t>(1 + i / 2);  // the same ids in both sources
      const std::string dst = pick(3) == 0 ? absl::StrCat("2001:db8::", pick(50))
                                           : absl::StrCat("192.0.2.", pick(50));
      const std::string src = dst.find(':') != std::string::npos ? "2001:db8::1" : "10.0.0.1";
      v1::Flow f = pick(4) == 0 ? testing::UdpFlow(id, src, 1000 + i, dst, 53 + pick(3))
                                : testing::TcpFlow(id, src, 1000 + i, dst, 80 + pick(3));
      if (f.has_tcp_state() && pick(3) == 0) f.set_tcp_state(v1::TCP_TIME_WAIT);
      testing::SetTraffic(f, pick(5) * 100, pick(3) * 10, pick(4) * 1.5, pick(2) * 0.5);
      if (const char* name = names[pick(5)]; *name != '\0') testing::SetProcess(f, name, pick(4));
      testing::SetDst(f, "", countries[pick(4)], cities[pick(4)]);
      f.set_start_unix_nanos(int64_t{1'700'000'000} * 1'000'000'000 + pick(5));
      events[i % 2].push_back(Event(v1::NEW, f, 1));
    }
    for (int s = 0; s < 2; ++s) model_.SinkFor(sources[s]).Publish(absl::MakeSpan(events[s]));
  }

  core::FakeClock clock_;
  Model model_{clock_};
};

const Column kFlowColumns[] = {Column::kNode,  Column::kProcess, Column::kPid,
                               Column::kUnit,  Column::kProto,   Column::kState,
                               Column::kAge,   Column::kAddress, Column::kPort,
                               Column::kGeo,   Column::kBytes,   Column::kRate};

TEST_F(TopKTest, EveryWindowEqualsTheFullSortForEveryColumnAndDirection) {
  Fill(600, 1);
  ViewState state;
  state.protocols.udp = true;
  for (Column column : kFlowColumns) {
    for (bool reverse : {false, true}) {
      state.flow_sort = column;
      state.reverse = reverse;
      const Snapshot snap = model_.TakeSnapshot();
      const std::vector<const FlowRow*> all = FullSort(snap, state);
      ASSERT_EQ(all.size(), 600u);
      for (size_t first : {size_t{0}, size_t{1}, size_t{37}, size_t{299}, size_t{560},
                           size_t{590}, size_t{599}, size_t{600}, size_t{700}}) {
        const FlowSelection sel = SelectFlows(snap, state, first, 25);
        EXPECT_EQ(sel.total, 600u);
        EXPECT_EQ(sel.rows, Slice(all, first, 25))
            << ColumnTitle(column) << (reverse ? " reversed" : "") << " first " << first;
      }
    }
  }
}

TEST_F(TopKTest, FilterAndSortTogether) {
  Fill(500, 2);
  ViewState state;
  state.protocols.udp = true;
  state.filter = *FilterExpr::Parse("dport 80,53 and not process sshd");
  for (Column column : {Column::kBytes, Column::kProcess, Column::kAddress}) {
    state.flow_sort = column;
    const Snapshot snap = model_.TakeSnapshot();
    const std::vector<const FlowRow*> all = FullSort(snap, state);
    ASSERT_GT(all.size(), 50u);
    ASSERT_LT(all.size(), 400u);
    const FlowSelection sel = SelectFlows(snap, state, 0, all.size());
    EXPECT_EQ(sel.rows, all) << ColumnTitle(column);
    uint64_t bytes = 0;
    for (const FlowRow* r : all) bytes += r->hot.original_bytes;
    EXPECT_EQ(sel.totals.original_bytes, bytes);
    EXPECT_EQ(sel.totals.flows, all.size());
  }
}

TEST_F(TopKTest, TheSameSnapshotAnswersEachViewStateForItself) {
  // One snapshot, remembered windows: changing the filter, the sort or the
  // direction between frames must never serve the previous answer.
  Fill(300, 3);
  const Snapshot snap = model_.TakeSnapshot();
  ViewState state;
  state.flow_sort = Column::kBytes;
  const std::vector<const FlowRow*> by_bytes = FullSort(snap, state);
  EXPECT_EQ(SelectFlows(snap, state, 0, 20).rows, Slice(by_bytes, 0, 20));
  EXPECT_EQ(SelectFlows(snap, state, 5, 20).rows, Slice(by_bytes, 5, 20));  // a cursor move
  state.reverse = true;
  EXPECT_EQ(SelectFlows(snap, state, 5, 20).rows, Slice(FullSort(snap, state), 5, 20));
  state.protocols.udp = true;
  EXPECT_EQ(SelectFlows(snap, state, 5, 20).rows, Slice(FullSort(snap, state), 5, 20));
  state.filter = *FilterExpr::Parse("country DE");
  const FlowSelection de = SelectFlows(snap, state, 0, 1000);
  EXPECT_EQ(de.rows, FullSort(snap, state));
  state.filter = *FilterExpr::Parse("country DE");  // same text, new expression object
  EXPECT_EQ(SelectFlows(snap, state, 0, 1000).rows, de.rows);
  state.filter = *FilterExpr::Parse("country US");
  EXPECT_EQ(SelectFlows(snap, state, 0, 1000).rows, FullSort(snap, state));
}

TEST_F(TopKTest, ANewSnapshotSeesChangedRows) {
  const int source = model_.AddSource("local");
  std::vector<v1::FlowEvent> events;
  for (uint32_t id = 1; id <= 100; ++id) {
    v1::Flow f = testing::TcpFlow(id, "10.0.0.1", 1000 + id, "192.0.2.1", 443);
    testing::SetTraffic(f, id, 0);
    events.push_back(Event(v1::NEW, f, 1));
  }
  model_.SinkFor(source).Publish(absl::MakeSpan(events));
  ViewState state;
  state.flow_sort = Column::kBytes;
  EXPECT_EQ(SelectFlows(model_.TakeSnapshot(), state, 0, 1).rows[0]->flow().conntrack_id(), 100u);
  v1::Flow f = testing::TcpFlow(7, "10.0.0.1", 1007, "192.0.2.1", 443);
  testing::SetTraffic(f, 5000, 0);
  std::vector<v1::FlowEvent> update = {Event(v1::UPDATE, f, 2)};
  model_.SinkFor(source).Publish(absl::MakeSpan(update));
  const FlowSelection sel = SelectFlows(model_.TakeSnapshot(), state, 0, 1);
  EXPECT_EQ(sel.rows[0]->flow().conntrack_id(), 7u);
  EXPECT_EQ(sel.totals.original_bytes, 5050u - 7 + 5000);
}

TEST_F(TopKTest, PagingAtTheEndAndDeepInALargeTable) {
  // More rows than the heap serves from either end, so the middle of the
  // list takes the selection path.
  const int source = model_.AddSource("local");
  const uint32_t n = 40'000;
  std::vector<v1::FlowEvent> events;
  events.reserve(n);
  for (uint32_t id = 1; id <= n; ++id) {
    v1::Flow f = testing::TcpFlow(id, "10.0.0.1", id % 60000, "192.0.2.1", 443);
    testing::SetTraffic(f, (uint64_t{id} * 7919u) % 100'003u, 0);
    events.push_back(Event(v1::NEW, f, 1));
  }
  model_.SinkFor(source).Publish(absl::MakeSpan(events));
  ViewState state;
  state.flow_sort = Column::kBytes;
  const Snapshot snap = model_.TakeSnapshot();
  const std::vector<const FlowRow*> all = FullSort(snap, state);
  for (size_t first : {size_t{0}, size_t{19'990}, size_t{n - 50}, size_t{n - 1}}) {
    EXPECT_EQ(SelectFlows(snap, state, first, 50).rows, Slice(all, first, 50)) << first;
  }
  // Everything from a rank to the end (--json and --batch ask for all):
  // sorted whole, not by partial_sort.
  for (size_t first : {size_t{0}, size_t{100}}) {
    EXPECT_EQ(SelectFlows(snap, state, first, n).rows, Slice(all, first, n)) << first;
  }
}

}  // namespace
}  // namespace flowtop::tui
