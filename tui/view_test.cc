// Golden frames: fixed flows rendered off-screen and compared with the
// expected screens in tui/testdata/. To regenerate after a deliberate
// change: FLOWTOP_UPDATE_GOLDEN=$PWD/tui/testdata bazel test //tui:view_test
// --test_env=FLOWTOP_UPDATE_GOLDEN (then review the diff).
#include "tui/view.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/fake_clock.h"
#include "gtest/gtest.h"
#include "tui/test_flows.h"
#include "tui/text.h"

namespace flowtop::tui {
namespace {

using testing::Event;
using testing::Ip;

constexpr int64_t kNow = 1'790'000'000;  // seconds

std::string Golden(const std::string& name, const std::string& actual) {
  const char* update = std::getenv("FLOWTOP_UPDATE_GOLDEN");
  if (update != nullptr && *update != '\0') {
    std::ofstream(std::string(update) + "/" + name + ".txt") << actual;
    return actual;
  }
  std::ifstream in("tui/testdata/" + name + ".txt");
  EXPECT_TRUE(in.good()) << "missing golden file tui/testdata/" << name << ".txt";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ViewTest : public ::testing::Test {
 protected:
  ViewTest() {
    local_ = model_.AddSource("local");
    const int64_t t = kNow * 1'000'000'000;
    v1::Flow curl = testing::TcpFlow(101, "10.0.0.5", 51000, "93.184.216.34", 443);
    testing::SetProcess(curl, "curl", 4242);
    testing::SetDst(curl, "example.org", "US", "Los Angeles");
    curl.mutable_enrichment()->set_service("https");
    testing::SetTraffic(curl, 1200, 45000, 100, 2400);
    curl.set_start_unix_nanos(t - 303'000'000'000);
    curl.mutable_status()->set_assured(true);
    curl.mutable_status()->set_seen_reply(true);
    curl.mutable_status()->set_confirmed(true);

    v1::Flow ff = testing::TcpFlow(102, "2001:db8::5", 40222, "2a00:1450:4001:82b::200e", 443);
    testing::SetProcess(ff, "firefox-esr", 1001);
    testing::SetDst(ff, "fra16s48-in-x0e.1e100.net", "DE", "Frankfurt am Main");
    testing::SetTraffic(ff, 200'000, 5'200'000, 500, 12'000);
    ff.set_start_unix_nanos(t - 45'000'000'000);

    v1::Flow ssh = testing::TcpFlow(103, "198.51.100.23", 60000, "10.0.0.5", 22);
    ssh.mutable_enrichment()->mutable_dst()->mutable_process()->set_name("sshd");
    ssh.mutable_enrichment()->mutable_dst()->mutable_process()->set_pid(800);
    ssh.mutable_enrichment()->mutable_src()->mutable_geo()->set_country_code("NL");
    ssh.mutable_enrichment()->set_service("ssh");
    testing::SetTraffic(ssh, 30'000, 90'000, 0, 0);
    ssh.set_start_unix_nanos(t - 7'500'000'000'000);

    v1::Flow dns = testing::UdpFlow(104, "192.168.1.20", 40000, "8.8.8.8", 53);
    dns.mutable_reply()->set_dst_ip(Ip("203.0.113.1"));
    dns.mutable_reply()->set_dst_port(61000);
    dns.mutable_status()->set_src_nat(true);
    testing::SetDst(dns, "dns.google", "US", "");
    testing::SetTraffic(dns, 80, 160, 0, 0);
    dns.set_start_unix_nanos(t - 12'000'000'000);
    dns.set_timeout_seconds(17);

    v1::Flow utf = testing::TcpFlow(105, "10.0.0.5", 51002, "192.0.2.80", 80);
    utf.set_tcp_state(v1::TCP_TIME_WAIT);
    testing::SetProcess(utf, "wget", 5000);
    testing::SetDst(utf, "m\xC3\xBCnchen.example", "DE", "M\xC3\xBCnchen");
    testing::SetTraffic(utf, 700, 9'000, 0, 0);
    utf.set_start_unix_nanos(t - 2'000'000'000);

    v1::Flow evil = testing::TcpFlow(106, "10.0.0.5", 51003, "192.0.2.81", 8443);
    testing::SetDst(evil, "\xE6\x9D\xB1\xE4\xBA\xAC.\x1b[31mevil", "JP", "\xE6\x9D\xB1\xE4\xBA\xAC");
    testing::SetTraffic(evil, 10, 10, 0, 0);
    evil.set_start_unix_nanos(t - 1'000'000'000);

    for (const v1::Flow& f : {curl, ff, ssh, dns, utf, evil}) Add(local_, f);
    clock_.Set(absl::FromUnixSeconds(kNow));
  }
  void Add(int source, const v1::Flow& f) {
    std::vector<v1::FlowEvent> ev = {Event(v1::NEW, f, kNow * 1'000'000'000 - 60'000'000'000)};
    model_.SinkFor(source).Publish(absl::MakeSpan(ev));
  }
  std::string Screen(int w, int h) {
    RenderResult r = Render(model_.TakeSnapshot(), state_, w, h, "local");
    EXPECT_LE(static_cast<int>(r.frame.lines.size()), h);
    for (const Line& l : r.frame.lines) EXPECT_EQ(DisplayWidth(l.Text()), w) << l.Text();
    return r.frame.Text();
  }

  core::FakeClock clock_;
  Model model_{clock_};
  int local_;
  ViewState state_;
};

TEST_F(ViewTest, FlowsDefault) {
  const std::string s = Screen(120, 12);
  EXPECT_EQ(s, Golden("flows_default", s));
}

TEST_F(ViewTest, FlowsAllProtocolsSourceRowNumeric) {
  state_.protocols.udp = true;
  state_.show_src = true;
  state_.names = false;
  state_.bits = true;
  const std::string s = Screen(120, 16);
  EXPECT_EQ(s, Golden("flows_src_numeric_bits", s));
}

TEST_F(ViewTest, NarrowTerminalDropsColumns) {
  const std::string s = Screen(60, 9);
  EXPECT_EQ(s, Golden("flows_narrow", s));
}

TEST_F(ViewTest, TinyTerminal) {
  EXPECT_EQ(Screen(30, 5), "too small 30x5, need 40x6\n");
}

TEST_F(ViewTest, Processes) {
  state_.view = TableView::kProcesses;
  state_.protocols.udp = true;
  const std::string s = Screen(100, 10);
  EXPECT_EQ(s, Golden("processes", s));
}

TEST_F(ViewTest, SeveralNodesDisconnectedLostPaused) {
  const int r2 = model_.AddSource("r2:7070");
  v1::Flow f = testing::TcpFlow(101, "10.9.0.1", 33333, "10.9.0.2", 5432);
  testing::SetTraffic(f, 5000, 5000, 50, 50);
  Add(r2, f);
  std::vector<v1::FlowEvent> lost(1);
  lost[0].set_type(v1::LOST);
  lost[0].mutable_lost()->set_count(42);
  model_.SinkFor(r2).Publish(absl::MakeSpan(lost));
  const int r3 = model_.AddSource("r3:7070");
  model_.SetConnected(r3, false, "connection refused");
  state_.paused = true;
  const std::string s = Screen(130, 11);
  EXPECT_EQ(s, Golden("nodes", s));
}

TEST_F(ViewTest, Help) {
  state_.screen = Screen::kHelp;
  const std::string s = Screen(80, 24);
  EXPECT_EQ(s, Golden("help", s));
}

TEST_F(ViewTest, DetailOfNatFlow) {
  state_.screen = Screen::kDetail;
  state_.detail_key = absl::MakeUint128(static_cast<uint32_t>(local_), 104);
  const std::string s = Screen(90, 18);
  EXPECT_EQ(s, Golden("detail_nat", s));
}

TEST_F(ViewTest, DetailOfClosedFlowShowsLastCopy) {
  ViewState st;
  Snapshot before = model_.TakeSnapshot();
  RenderResult r = Render(before, st, 120, 12);
  ASSERT_NE(r.page.cursor_flow, nullptr);
  st.screen = Screen::kDetail;
  st.detail_key = r.page.cursor_flow->Key();
  st.detail_last = r.page.cursor_flow;
  std::vector<v1::FlowEvent> destroy = {Event(v1::DESTROY, r.page.cursor_flow->flow())};
  model_.SinkFor(local_).Publish(absl::MakeSpan(destroy));
  const std::string text = Render(model_.TakeSnapshot(), st, 120, 20).frame.Text();
  EXPECT_NE(text.find("[closed]"), std::string::npos) << text;
  EXPECT_NE(text.find("fra16s48-in-x0e.1e100.net"), std::string::npos) << text;
}

TEST_F(ViewTest, FilterPromptWithError) {
  state_.editing_filter = true;
  state_.filter_input = "dport foo";
  state_.message = "at column 7: expected a port number after 'dport', got 'foo'";
  const std::string s = Screen(100, 8);
  EXPECT_EQ(s, Golden("filter_prompt", s));
}

TEST_F(ViewTest, CursorIsClampedAndScrolls) {
  state_.protocols.udp = true;
  state_.cursor = 99;
  RenderResult r = Render(model_.TakeSnapshot(), state_, 120, 7);  // 3 rows
  EXPECT_EQ(r.page.rows_total, 6u);
  EXPECT_EQ(r.page.page_rows, 3u);
  EXPECT_EQ(r.page.cursor, 5u);
  EXPECT_EQ(r.page.top, 3u);
}

TEST_F(ViewTest, Batch) {
  state_.protocols.udp = true;
  const std::string s = RenderBatch(model_.TakeSnapshot(), state_, 0, "local");
  EXPECT_EQ(s, Golden("batch", s));
}

// --batch writes its text a piece at a time (never the whole table's text
// at once): the pieces are the text RenderBatch returns, each at most about
// 64 KiB, and a failed write ends it.
TEST_F(ViewTest, BatchIsWrittenInPiecesAndStopsAtAFailedWrite) {
  for (uint32_t i = 0; i < 2000; ++i) {
    Add(local_, testing::TcpFlow(1000 + i, "10.1.0.1", 10000 + i, "10.2.0.1", 443));
  }
  const Snapshot snap = model_.TakeSnapshot();
  const std::string whole = RenderBatch(snap, state_, 0, "local");
  ASSERT_GT(whole.size(), 3u * 64 * 1024);
  std::vector<std::string> pieces;
  ASSERT_TRUE(WriteBatch(snap, state_, 0, "local", [&](absl::string_view piece) {
                pieces.emplace_back(piece);
                return absl::OkStatus();
              }).ok());
  ASSERT_GE(pieces.size(), 3u);
  std::string joined;
  for (const std::string& p : pieces) {
    EXPECT_LE(p.size(), 64u * 1024 + 1024);
    joined += p;
  }
  EXPECT_EQ(joined, whole);

  int calls = 0;
  const absl::Status st = WriteBatch(snap, state_, 0, "local", [&](absl::string_view) {
    ++calls;
    return absl::UnavailableError("closed pipe");
  });
  EXPECT_EQ(st, absl::UnavailableError("closed pipe"));
  EXPECT_EQ(calls, 1);
}

// Units and containers: the UNIT column appears when a row has one, the
// processes view groups them, the detail view names the cgroup.
TEST_F(ViewTest, UnitsAndContainers) {
  const std::string id = "3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a";
  v1::Flow web = testing::TcpFlow(107, "10.0.0.9", 40000, "10.0.0.5", 80);
  v1::Process* nginx = web.mutable_enrichment()->mutable_dst()->mutable_process();
  nginx->set_name("nginx");
  nginx->set_pid(321);
  nginx->set_cgroup("/system.slice/nginx.service");
  nginx->set_unit("nginx.service");
  nginx->set_attributed_by("listener");
  testing::SetTraffic(web, 100, 100, 0, 0);
  v1::Flow app = testing::TcpFlow(108, "172.17.0.2", 40001, "93.184.216.34", 443);
  testing::SetProcess(app, "node", 777);
  v1::Process* node = app.mutable_enrichment()->mutable_src()->mutable_process();
  node->set_container_id(id);
  node->set_container_runtime("docker");
  node->set_cgroup("/system.slice/docker-" + id + ".scope");
  node->set_attributed_by("ebpf");
  testing::SetTraffic(app, 100, 100, 0, 0);
  Add(local_, web);
  Add(local_, app);

  const std::string flows = RenderBatch(model_.TakeSnapshot(), state_, 0, "local");
  EXPECT_NE(flows.find("UNIT"), std::string::npos) << flows;
  EXPECT_NE(flows.find("nginx.service"), std::string::npos) << flows;
  EXPECT_NE(flows.find("docker:3f2a9c1e5b7d "), std::string::npos) << flows;

  state_.view = TableView::kProcesses;
  const std::string procs = RenderBatch(model_.TakeSnapshot(), state_, 0, "local");
  EXPECT_NE(procs.find("UNIT"), std::string::npos) << procs;
  EXPECT_NE(procs.find("docker:3f2a9c1e5b7d"), std::string::npos) << procs;

  state_.view = TableView::kFlows;
  state_.screen = Screen::kDetail;
  state_.detail_key = (uint64_t{static_cast<uint32_t>(local_)} << 32) | 108;
  const std::string detail = Screen(200, 20);
  EXPECT_NE(detail.find("container docker " + id), std::string::npos) << detail;
  EXPECT_NE(detail.find("(by ebpf)"), std::string::npos) << detail;
}

}  // namespace
}  // namespace flowtop::tui
