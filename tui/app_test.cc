#include "tui/app.h"

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/fake_clock.h"
#include "core/flow_json.h"
#include "gtest/gtest.h"
#include "tui/fake_terminal.h"
#include "tui/keys.h"
#include "tui/row_store.h"
#include "tui/table.h"
#include "tui/test_flows.h"

namespace flowtop::tui {
namespace {

class AppTest : public ::testing::Test {
 protected:
  AppTest() {
    source_ = model_.AddSource("local");
    std::vector<v1::FlowEvent> ev;
    for (uint32_t i = 1; i <= 5; ++i) {
      v1::Flow f = testing::TcpFlow(i, "10.0.0.1", 1000 + i, "10.0.0.2", i == 3 ? 443 : 80);
      testing::SetTraffic(f, i * 1000, 0, i * 10, 0);
      testing::SetProcess(f, i % 2 ? "curl" : "wget", i % 2 ? 10 : 20);
      ev.push_back(testing::Event(v1::NEW, f, 1));
    }
    model_.SinkFor(source_).Publish(absl::MakeSpan(ev));
  }
  std::string ReadAll(std::FILE* f) {
    std::rewind(f);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
    return out;
  }

  core::FakeClock clock_;
  Model model_{clock_};
  int source_;
};

TEST_F(AppTest, InteractiveLoopAnswersEveryKeyWithAFrame) {
  FakeTerminal term(100, 12, {'<', kKeyTab, '?', 'q', kKeyTab, '/', 'd', 'p', 'o', 'r', 't',
                              ' ', '4', '4', '3', kKeyEnter, kKeyResize, 'q'});
  term.SetResizeTo(60, 8);
  LoopOptions opts;
  ASSERT_TRUE(RunInteractive(model_, ViewState(), opts, clock_, term).ok());
  const std::vector<Frame>& frames = term.frames();
  // One initial frame plus one per key that changed something (q quits).
  ASSERT_EQ(frames.size(), 18u);
  EXPECT_NE(frames[1].Text().find("sort BYTES"), std::string::npos);
  EXPECT_NE(frames[2].Text().find("Processes"), std::string::npos);
  EXPECT_NE(frames[3].Text().find("help"), std::string::npos);
  EXPECT_NE(frames[5].Text().find("Flows"), std::string::npos);
  EXPECT_NE(frames[14].Text().find("filter: dport 44_"), std::string::npos);
  EXPECT_NE(frames[16].Text().find("filter: dport 443"), std::string::npos);
  EXPECT_NE(frames[16].Text().find("flows 1/5"), std::string::npos) << frames[16].Text();
  EXPECT_EQ(frames[17].width, 60);  // redrawn at the new size
}

TEST_F(AppTest, PausedScreenKeepsItsSnapshotWhileDataFlows) {
  // Keys: pause, then a key that redraws, after which new data arrived.
  struct Term : FakeTerminal {
    Term(Model& m, int src) : FakeTerminal(100, 12, {' ', 'b', ' ', 'q'}), model(m), source(src) {}
    int ReadKey(absl::Duration d) override {
      if (++calls == 2) {  // after pausing: a new flow arrives
        std::vector<v1::FlowEvent> ev = {
            testing::Event(v1::NEW, testing::TcpFlow(99, "10.0.0.9", 9, "10.0.0.2", 80), 1)};
        model.SinkFor(source).Publish(absl::MakeSpan(ev));
      }
      return FakeTerminal::ReadKey(d);
    }
    Model& model;
    int source;
    int calls = 0;
  } term(model_, source_);
  ASSERT_TRUE(RunInteractive(model_, ViewState(), LoopOptions(), clock_, term).ok());
  ASSERT_EQ(term.frames().size(), 4u);
  EXPECT_NE(term.frames()[1].Text().find("PAUSED"), std::string::npos);
  EXPECT_NE(term.frames()[2].Text().find("flows 5/5"), std::string::npos);  // still paused
  EXPECT_NE(term.frames()[3].Text().find("flows 6/6"), std::string::npos);  // unpaused: refetch
}

TEST_F(AppTest, ScreenRefreshesFasterWhileTheInitialSnapshotLoads) {
  // The fixture's source has not ended its initial snapshot: the screen
  // refreshes after 250 ms (not the 1 s interval) until SNAPSHOT_END, and
  // then waits the whole interval again.
  struct Term : FakeTerminal {
    Term(Model& m, core::FakeClock& c, int src)
        : FakeTerminal(100, 12, {}), model(m), clock(c), source(src) {}
    int ReadKey(absl::Duration) override {
      std::vector<v1::FlowEvent> ev;
      switch (++calls) {
        case 1:
          ev.push_back(testing::Event(v1::SNAPSHOT, testing::TcpFlow(98, "10.0.0.9", 9, "10.0.0.2", 80), 1));
          break;
        case 2: ev.emplace_back().set_type(v1::SNAPSHOT_END); break;
        case 3:
          ev.push_back(testing::Event(v1::NEW, testing::TcpFlow(99, "10.0.0.9", 8, "10.0.0.2", 80), 1));
          break;
        default: return 'q';
      }
      model.SinkFor(source).Publish(absl::MakeSpan(ev));
      clock.Advance(absl::Milliseconds(300));
      return kKeyNone;
    }
    Model& model;
    core::FakeClock& clock;
    int source;
    int calls = 0;
  } term(model_, clock_, source_);
  ASSERT_TRUE(RunInteractive(model_, ViewState(), LoopOptions(), clock_, term).ok());
  ASSERT_EQ(term.frames().size(), 3u);
  EXPECT_NE(term.frames()[1].Text().find("flows 6/6"), std::string::npos) << term.frames()[1].Text();
  EXPECT_NE(term.frames()[2].Text().find("flows 6/6"), std::string::npos);  // synced now
}

TEST_F(AppTest, BatchPrintsFramesUntilCount) {
  model_.SetEnded(source_);
  std::FILE* out = std::tmpfile();
  LoopOptions opts;
  opts.count = 1;
  ASSERT_TRUE(RunBatch(model_, ViewState(), opts, out).ok());
  const std::string text = ReadAll(out);
  std::fclose(out);
  EXPECT_NE(text.find("flows 5/5"), std::string::npos) << text;
  EXPECT_NE(text.find("PROCESS"), std::string::npos);
  // Every flow is listed (no screen height in batch mode).
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 3u + 5u);
}

TEST_F(AppTest, JsonPrintsOneObjectPerFlowInViewOrder) {
  model_.SetEnded(source_);
  std::FILE* out = std::tmpfile();
  ViewState state;
  state.flow_sort = Column::kBytes;
  state.filter = *FilterExpr::Parse("process curl");
  ASSERT_TRUE(RunJson(model_, state, LoopOptions(), out).ok());
  const std::string text = ReadAll(out);
  std::fclose(out);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  ASSERT_EQ(lines.size(), 3u) << text;  // flows 1, 3, 5 (curl), by bytes
  EXPECT_NE(lines[0].find("\"conntrackId\":5"), std::string::npos) << lines[0];
  EXPECT_NE(lines[2].find("\"conntrackId\":1"), std::string::npos) << lines[2];
  EXPECT_NE(lines[0].find("\"node\":\"local\""), std::string::npos) << lines[0];
}

// --json writes its lines in chunks as it makes them (not the whole
// snapshot as one string): every flow once, in order, across chunks.
TEST_F(AppTest, JsonStreamsEveryFlowAcrossChunks) {
  std::vector<v1::FlowEvent> ev;
  for (uint32_t i = 6; i <= 1500; ++i) {
    v1::Flow f = testing::TcpFlow(i, "10.0.0.1", 1000 + i, "10.0.0.2", 80);
    testing::SetTraffic(f, i, 0, 1, 0);
    ev.push_back(testing::Event(v1::NEW, f, 1));
  }
  model_.SinkFor(source_).Publish(absl::MakeSpan(ev));
  model_.SetEnded(source_);
  std::FILE* out = std::tmpfile();
  ViewState state;
  state.flow_sort = Column::kBytes;
  LoopOptions options;
  options.count = 1;
  ASSERT_TRUE(RunJson(model_, state, options, out).ok());
  const std::string text = ReadAll(out);
  std::fclose(out);
  ASSERT_GT(text.size(), 2u * 64 * 1024);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  EXPECT_EQ(start, text.size());
  ASSERT_EQ(lines.size(), 1500u);
  std::set<int> ids;
  for (const std::string& line : lines) {
    ASSERT_EQ(line.front(), '{') << line;
    ASSERT_EQ(line.back(), '}') << line;
    const size_t at = line.find("\"conntrackId\":");
    ASSERT_NE(at, std::string::npos) << line;
    ids.insert(std::atoi(line.c_str() + at + 14));
  }
  EXPECT_EQ(ids.size(), 1500u);
  EXPECT_EQ(*ids.begin(), 1);
  EXPECT_EQ(*ids.rbegin(), 1500);
}

// --json writes each row as protobuf's printer writes its flow (the long
// way: ToFlow, the source's label for a flow without a node, MakeReadable,
// MessageToJsonString), here with zero counters (present: "{}"), no node
// (a second source's label), an IPv6 flow and one with a process.
TEST_F(AppTest, JsonLinesAreThePrintersLines) {
  const int remote = model_.AddSource("router \"b\"");
  std::vector<v1::FlowEvent> ev;
  v1::Flow v6 = testing::TcpFlow(40, "2001:db8::1", 5000, "2001:db8::2", 22);
  v6.clear_node();
  v6.mutable_original_counters()->Clear();
  ev.push_back(testing::Event(v1::NEW, v6, 2));
  model_.SinkFor(remote).Publish(absl::MakeSpan(ev));
  model_.SetEnded(source_);
  model_.SetEnded(remote);
  std::FILE* out = std::tmpfile();
  ViewState state;
  state.flow_sort = Column::kBytes;
  ASSERT_TRUE(RunJson(model_, state, LoopOptions(), out).ok());
  const std::string text = ReadAll(out);
  std::fclose(out);
  const Snapshot snapshot = model_.TakeSnapshot();
  const FlowSelection sel = SelectFlowIndices(snapshot, state, 0, snapshot.flows.size());
  std::string expected;
  for (uint32_t i : sel.indices) {
    const StoredRow& row = snapshot.flows.stored()[i];
    ASSERT_TRUE(core::AppendFlowJsonByPrinter(row.record, snapshot.flows.pool(),
                                              snapshot.flows.labels()[row.source], expected)
                    .ok());
    expected += '\n';
  }
  ASSERT_EQ(sel.indices.size(), 6u);
  EXPECT_EQ(text, expected);
  EXPECT_NE(text.find(R"("node":"router \"b\"")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("originalCounters":{})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("srcAddr":"2001:db8::1")"), std::string::npos) << text;
}

TEST_F(AppTest, JsonWritesItsFirstSnapshotOnlyOnceTheInitialDumpEnded) {
  // A second source still loading its initial snapshot: a million flows
  // take seconds, far longer than the interval. The first (and, with
  // --count 1, only) snapshot must hold all of it, not what came so far.
  const int loading = model_.AddSource("router");
  model_.SetEnded(source_);
  auto snapshot = [&](uint32_t id) {
    std::vector<v1::FlowEvent> ev = {testing::Event(
        v1::SNAPSHOT, testing::TcpFlow(id, "10.0.1.1", 2000, "10.0.1.2", 80), 1)};
    model_.SinkFor(loading).Publish(absl::MakeSpan(ev));
  };
  snapshot(100);
  std::FILE* out = std::tmpfile();
  LoopOptions opts;
  opts.count = 1;
  opts.interval = absl::Milliseconds(1);
  absl::Status status;
  std::thread json([&] { status = RunJson(model_, ViewState(), opts, out); });
  // Slower than the interval, as a big dump is.
  for (uint32_t id = 101; id <= 103; ++id) {
    absl::SleepFor(absl::Milliseconds(20));
    snapshot(id);
  }
  EXPECT_EQ(model_.TakeSnapshot().LoadingText(), "loading 4");
  std::vector<v1::FlowEvent> end(1);
  end[0].set_type(v1::SNAPSHOT_END);
  model_.SinkFor(loading).Publish(absl::MakeSpan(end));
  json.join();
  ASSERT_TRUE(status.ok()) << status;
  const std::string text = ReadAll(out);
  std::fclose(out);
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 5u + 4u) << text;
  EXPECT_EQ(model_.TakeSnapshot().LoadingText(), "");
}

TEST_F(AppTest, StatusLineSaysLoadingWithTheNodesCount) {
  const int loading = model_.AddSource("router");
  std::vector<v1::FlowEvent> ev(2);
  ev[0].set_type(v1::STATUS);
  ev[0].mutable_status()->set_loading(true);
  ev[0].mutable_status()->set_conntrack_count(1000000);
  ev[1] = testing::Event(v1::SNAPSHOT, testing::TcpFlow(7, "10.0.1.1", 2000, "10.0.1.2", 80), 1);
  model_.SinkFor(loading).Publish(absl::MakeSpan(ev));
  model_.SetEnded(source_);
  FakeTerminal term(120, 12, {'q'});
  ASSERT_TRUE(RunInteractive(model_, ViewState(), LoopOptions(), clock_, term).ok());
  ASSERT_FALSE(term.frames().empty());
  EXPECT_NE(term.frames()[0].Text().find("loading 1/1000000"), std::string::npos)
      << term.frames()[0].Text();
}

TEST_F(AppTest, StatusLineSaysWhenTheCpuBudgetStretchesTheRates) {
  // A million idle flows: the kernel source spaces its rate dumps out to
  // 10 s and says so; when the table shrinks it says the interval is back.
  auto status = [&](int64_t millis, bool stretched) {
    std::vector<v1::FlowEvent> ev(1);
    ev[0].set_type(v1::STATUS);
    ev[0].mutable_status()->set_rate_period_millis(millis);
    ev[0].mutable_status()->set_rate_stretched(stretched);
    model_.SinkFor(source_).Publish(absl::MakeSpan(ev));
  };
  status(10500, true);
  FakeTerminal stretched(120, 12, {'q'});
  ASSERT_TRUE(RunInteractive(model_, ViewState(), LoopOptions(), clock_, stretched).ok());
  ASSERT_FALSE(stretched.frames().empty());
  EXPECT_NE(stretched.frames()[0].Text().find("rates every 10s (CPU budget)"), std::string::npos)
      << stretched.frames()[0].Text();
  status(1000, false);
  FakeTerminal back(120, 12, {'q'});
  ASSERT_TRUE(RunInteractive(model_, ViewState(), LoopOptions(), clock_, back).ok());
  ASSERT_FALSE(back.frames().empty());
  EXPECT_EQ(back.frames()[0].Text().find("rates every"), std::string::npos)
      << back.frames()[0].Text();
}

}  // namespace
}  // namespace flowtop::tui
