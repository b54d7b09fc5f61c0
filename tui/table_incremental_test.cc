// From one snapshot of a model to the next, SelectFlows redoes the filter
// pass and the per-chunk order only for the chunks that changed (and within
// them, runs a filter again only on rows whose bytes changed); the rest is
// carried over (Snapshot::carried). These tests drive a model with random
// events (new flows, counters and updates that move a row's sort key or
// flip its filter verdict, removals that move the last row into the hole,
// reconnects that re-send a snapshot and sweep the rest) and hold every
// frame's window and totals to a full filter and sort of the same snapshot,
// for several views kept across the rounds (as the screen keeps them).
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

// A model fed with random events of two sources, remembering which flows
// each source has alive.
class RandomModel {
 public:
  explicit RandomModel(uint32_t seed) : rng_(seed) {
    sources_[0] = model_.AddSource("edge-a");
    sources_[1] = model_.AddSource("edge-b");
  }

  Model& model() { return model_; }

  void Fill(int n) {
    for (int s = 0; s < 2; ++s) {
      std::vector<v1::FlowEvent> events;
      for (int i = 0; i < n / 2; ++i) events.push_back(Event(v1::NEW, NewFlow(s), 1));
      Publish(s, events);
    }
  }

  // A few events on random rows of one source.
  void Round() {
    const int s = Pick(2);
    std::vector<v1::FlowEvent> events;
    const int n = 1 + Pick(6);
    for (int i = 0; i < n; ++i) events.push_back(RandomEvent(s));
    Publish(s, events);
  }

  // The source reconnects and re-sends part of its flows (some changed);
  // SNAPSHOT_END sweeps the others.
  void Resync() {
    const int s = Pick(2);
    model_.SetConnected(sources_[s], false, "stream lost");
    model_.SetConnected(sources_[s], true);
    std::vector<uint32_t> kept;
    std::vector<v1::FlowEvent> events;
    for (uint32_t id : live_[s]) {
      if (Pick(4) == 0) continue;
      kept.push_back(id);
      events.push_back(Event(v1::SNAPSHOT, Pick(3) == 0 ? Changed(id) : flows_[s][id], 2));
    }
    v1::FlowEvent end;
    end.set_type(v1::SNAPSHOT_END);
    events.push_back(end);
    Publish(s, events);
    live_[s] = kept;
  }

 private:
  int Pick(int k) { return static_cast<int>(rng_() % static_cast<uint32_t>(k)); }

  void Publish(int s, std::vector<v1::FlowEvent>& events) {
    model_.SinkFor(sources_[s]).Publish(absl::MakeSpan(events));
  }

  // A flow with random values in every column (few distinct values, so
  // ties are everywhere).
  v1::Flow Flow(uint32_t id) {
    const char* names[] = {"curl", "sshd", "firefox-esr", "a-very-long-process-name", ""};
    const std::string dst = Pick(3) == 0 ? absl::StrCat("2001:db8::", Pick(40))
                                         : absl::StrCat("192.0.2.", Pick(40));
    const std::string src = dst.find(':') != std::string::npos ? "2001:db8::1" : "10.0.0.1";
    v1::Flow f = Pick(4) == 0 ? testing::UdpFlow(id, src, 1000 + id, dst, 53 + Pick(3))
                              : testing::TcpFlow(id, src, 1000 + id, dst, 80 + Pick(3));
    if (f.has_tcp_state() && Pick(3) == 0) f.set_tcp_state(v1::TCP_TIME_WAIT);
    testing::SetTraffic(f, Pick(50) * 100, Pick(30) * 10, Pick(4) * 1.5, Pick(3) * 0.5);
    if (const char* name = names[Pick(5)]; *name != '\0') testing::SetProcess(f, name, Pick(4));
    testing::SetDst(f, Pick(2) ? "example.org" : "", Pick(2) ? "DE" : "US", "");
    f.set_start_unix_nanos(int64_t{1'700'000'000} * 1'000'000'000 + Pick(5));
    return f;
  }

  v1::Flow NewFlow(int s) {
    const uint32_t id = next_id_++;
    flows_[s].resize(next_id_);
    flows_[s][id] = Flow(id);
    live_[s].push_back(id);
    return flows_[s][id];
  }

  // The same flow (conntrack id) with new values in every column.
  v1::Flow Changed(uint32_t id) { return Flow(id); }

  v1::FlowEvent RandomEvent(int s) {
    if (live_[s].empty() || Pick(8) == 0) return Event(v1::NEW, NewFlow(s), 3);
    const size_t at = static_cast<size_t>(Pick(static_cast<int>(live_[s].size())));
    const uint32_t id = live_[s][at];
    switch (Pick(4)) {
      case 0: {  // removal: the model moves its last row into the hole
        live_[s].erase(live_[s].begin() + static_cast<long>(at));
        return Event(v1::DESTROY, flows_[s][id], 4);
      }
      case 1: {  // counters only: the sort key moves
        v1::Flow c;
        c.set_conntrack_id(id);
        testing::SetTraffic(c, Pick(50) * 100, Pick(30) * 10, Pick(4) * 1.5, Pick(3) * 0.5);
        return Event(v1::COUNTERS, c, 5);
      }
      default:  // state, process, address, traffic: verdicts and keys flip
        flows_[s][id] = Changed(id);
        return Event(v1::UPDATE, flows_[s][id], 6);
    }
  }

  core::FakeClock clock_;
  Model model_{clock_};
  int sources_[2];
  std::mt19937 rng_;
  uint32_t next_id_ = 1;
  std::vector<v1::Flow> flows_[2];
  std::vector<uint32_t> live_[2];
};

// The views a screen keeps across frames: each keeps its filter object, so
// the carried filter pass applies.
std::vector<ViewState> Views() {
  std::vector<ViewState> views;
  const struct {
    Column column;
    bool reverse;
    const char* filter;
    bool active_only;
  } kViews[] = {
      {Column::kRate, false, "", false},
      {Column::kBytes, true, "dport 80,53 and not state TIME_WAIT", false},
      {Column::kProcess, false, "process curl or process sshd", false},
      {Column::kAddress, false, "", true},
      {Column::kAge, true, "not process firefox-esr", false},
  };
  for (const auto& v : kViews) {
    ViewState state;
    state.protocols.udp = true;
    state.flow_sort = v.column;
    state.reverse = v.reverse;
    state.active_only = v.active_only;
    if (*v.filter != '\0') state.filter = *FilterExpr::Parse(v.filter);
    views.push_back(state);
  }
  return views;
}

// The top and the bottom window of `state`, and the totals, against the
// full filter and sort.
void ExpectFullSortAgrees(const Snapshot& snap, const ViewState& state, int round) {
  const std::vector<const FlowRow*> all = FullSort(snap, state);
  const std::string where = absl::StrCat("round ", round, " by ", ColumnTitle(state.flow_sort),
                                         state.reverse ? " reversed" : "", " filter ",
                                         state.filter ? state.filter->DebugString() : "-",
                                         state.active_only ? " active only" : "");
  const FlowSelection top = SelectFlows(snap, state, 0, 30);
  ASSERT_EQ(top.total, all.size()) << where;
  ASSERT_EQ(top.rows, Slice(all, 0, 30)) << where;
  const size_t last = all.size() > 30 ? all.size() - 30 : 0;
  ASSERT_EQ(SelectFlows(snap, state, last, 30).rows, Slice(all, last, 30)) << where;
  Totals sum;
  for (const FlowRow* r : all) {
    ++sum.flows;
    sum.original_bytes += r->hot.original_bytes;
    sum.reply_bytes += r->hot.reply_bytes;
  }
  EXPECT_EQ(top.totals.flows, sum.flows) << where;
  EXPECT_EQ(top.totals.original_bytes, sum.original_bytes) << where;
  EXPECT_EQ(top.totals.reply_bytes, sum.reply_bytes) << where;
}

// Several chunks (1,024 rows each), a few events per round: most chunks
// are carried over, a few are redone, and every frame must still equal the
// full sort. Each view is kept for 20 rounds (a reconnect among them), as
// a screen keeps its sort and filter.
TEST(TableIncrementalTest, EveryFrameEqualsTheFullSortUnderRandomEvents) {
  RandomModel m(7);
  m.Fill(2600);
  const std::vector<ViewState> views = Views();
  Snapshot held;  // the screen holds its last snapshot, as the app does
  for (int round = 0; round < 20 * static_cast<int>(views.size()); ++round) {
    if (round % 20 == 13) {
      m.Resync();
    } else {
      m.Round();
    }
    Snapshot snap = m.model().TakeSnapshot();
    ExpectFullSortAgrees(snap, views[static_cast<size_t>(round / 20)], round);
    if (::testing::Test::HasFatalFailure()) return;
    if (round % 3 != 0) held = std::move(snap);  // sometimes the screen lets go
  }
}

// Events on rows whose verdict under a name filter flips (the carried
// verdict of an unchanged row is reused; a changed row's is not).
TEST(TableIncrementalTest, NameFilterVerdictsFollowUpdatedRows) {
  core::FakeClock clock;
  Model model(clock);
  const int s = model.AddSource("local");
  std::vector<v1::FlowEvent> events;
  for (uint32_t id = 1; id <= 3000; ++id) {
    v1::Flow f = testing::TcpFlow(id, "10.0.0.1", 1000 + id, "192.0.2.1", 443);
    testing::SetTraffic(f, id, 0);
    testing::SetProcess(f, id % 2 ? "curl" : "sshd", 1);
    events.push_back(Event(v1::NEW, f, 1));
  }
  model.SinkFor(s).Publish(absl::MakeSpan(events));
  ViewState state;
  state.flow_sort = Column::kBytes;
  state.filter = *FilterExpr::Parse("process curl");
  ExpectFullSortAgrees(model.TakeSnapshot(), state, 0);
  for (uint32_t round = 1; round <= 20; ++round) {
    // The largest sshd flow becomes curl, and the largest curl flow sshd.
    const uint32_t ids[] = {3000 - 2 * round + 2, 3000 - 2 * round + 1};
    std::vector<v1::FlowEvent> flips;
    for (uint32_t id : ids) {
      v1::Flow f = testing::TcpFlow(id, "10.0.0.1", 1000 + id, "192.0.2.1", 443);
      testing::SetTraffic(f, 100000 + round, 0);
      testing::SetProcess(f, id % 2 ? "sshd" : "curl", 1);
      flips.push_back(Event(v1::UPDATE, f, 2));
    }
    model.SinkFor(s).Publish(absl::MakeSpan(flips));
    const Snapshot snap = model.TakeSnapshot();
    ExpectFullSortAgrees(snap, state, static_cast<int>(round));
    if (::testing::Test::HasFatalFailure()) return;
    EXPECT_EQ(SelectFlows(snap, state, 0, 1).rows[0]->flow().conntrack_id(), ids[0]);
  }
}

// The rows at the head of one chunk's order leave it round after round
// (their bytes drop): the rows behind them, never read since the chunk's
// order was built, must take their places, and the ones that left must
// not come back ahead of those.
TEST(TableIncrementalTest, RowsLeavingAChunksHeadAreReplacedByTheRowsBehindIt) {
  core::FakeClock clock;
  Model model(clock);
  const int s = model.AddSource("local");
  auto flow = [](uint32_t id, uint64_t bytes) {
    v1::Flow f = testing::TcpFlow(id, "10.0.0.1", 1000 + id, "192.0.2.1", 443);
    testing::SetTraffic(f, bytes, 0);
    return f;
  };
  std::vector<v1::FlowEvent> events;
  for (uint32_t id = 1; id <= 1000; ++id) events.push_back(Event(v1::NEW, flow(id, id * 10), 1));
  model.SinkFor(s).Publish(absl::MakeSpan(events));
  ViewState state;
  state.flow_sort = Column::kBytes;
  Snapshot held = model.TakeSnapshot();
  ExpectFullSortAgrees(held, state, 0);
  for (int round = 1; round <= 40; ++round) {
    std::vector<v1::FlowEvent> drops;
    for (const FlowRow* r : Slice(FullSort(held, state), 0, 10)) {
      drops.push_back(Event(v1::UPDATE, flow(r->flow().conntrack_id(), round), 2));
    }
    model.SinkFor(s).Publish(absl::MakeSpan(drops));
    held = model.TakeSnapshot();
    ExpectFullSortAgrees(held, state, round);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace flowtop::tui
