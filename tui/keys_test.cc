#include "tui/keys.h"

#include <string>
#include <vector>

#include "core/fake_clock.h"
#include "gtest/gtest.h"
#include "tui/fake_replay_control.h"
#include "tui/test_flows.h"
#include "tui/view.h"

namespace flowtop::tui {
namespace {

class KeysTest : public ::testing::Test {
 protected:
  KeysTest() {
    const int s = model_.AddSource("local");
    std::vector<v1::FlowEvent> ev;
    for (uint32_t i = 1; i <= 20; ++i) {
      v1::Flow f = testing::TcpFlow(i, "10.0.0.1", 1000 + i, "10.0.0.2", 80);
      testing::SetTraffic(f, i * 100, 0, i, 0);
      testing::SetProcess(f, i % 2 ? "odd" : "even", i % 2 ? 1 : 2);
      ev.push_back(testing::Event(v1::NEW, f, 1));
    }
    model_.SinkFor(s).Publish(absl::MakeSpan(ev));
  }
  // Presses keys, rendering between them as the main loop does.
  uint32_t Press(const std::vector<int>& keys) {
    uint32_t all = 0;
    for (int k : keys) {
      RenderResult r = Render(model_.TakeSnapshot(), state_, 100, 10);  // 6 rows
      state_.cursor = r.page.cursor;
      state_.top = r.page.top;
      all |= HandleKey(state_, k, r.page, replay_);
    }
    return all;
  }
  std::string Screen() { return Render(model_.TakeSnapshot(), state_, 100, 10).frame.Text(); }

  core::FakeClock clock_;
  Model model_{clock_};
  ViewState state_;
  ReplayControl* replay_ = nullptr;  // set: replay mode
};

TEST_F(KeysTest, QuitOnlyFromTheTable) {
  EXPECT_EQ(Press({'?'}), kRedraw);
  EXPECT_EQ(state_.screen, Screen::kHelp);
  EXPECT_EQ(Press({'q'}), kRedraw);  // leaves help
  EXPECT_EQ(state_.screen, Screen::kTable);
  EXPECT_EQ(Press({'q'}), kQuit);
}

TEST_F(KeysTest, CursorMovesAndPages) {
  Press({'j', 'j', kKeyDown});
  EXPECT_EQ(state_.cursor, 3u);
  Press({'k'});
  EXPECT_EQ(state_.cursor, 2u);
  Press({'d'});
  EXPECT_EQ(state_.cursor, 8u);
  Press({'G'});
  RenderResult r = Render(model_.TakeSnapshot(), state_, 100, 10);
  EXPECT_EQ(r.page.cursor, 19u);
  EXPECT_EQ(r.page.top, 14u);
  Press({'u', 'g'});
  EXPECT_EQ(state_.cursor, 0u);
  Press({kKeyUp});  // cannot go above the first row
  EXPECT_EQ(state_.cursor, 0u);
}

TEST_F(KeysTest, SortKeysAndReverse) {
  EXPECT_EQ(state_.flow_sort, Column::kRate);
  Press({'<'});
  EXPECT_EQ(state_.flow_sort, Column::kBytes);
  Press({'>', '>'});
  EXPECT_EQ(state_.flow_sort, Column::kProcess);  // wraps around
  Press({'<', 'r'});
  EXPECT_TRUE(state_.reverse);
  EXPECT_NE(Screen().find("RATE^"), std::string::npos) << Screen();
}

TEST_F(KeysTest, FilterPromptAppliesOrReportsErrors) {
  Press({'/'});
  EXPECT_TRUE(state_.editing_filter);
  for (char c : std::string("dport x")) Press({c});
  Press({kKeyEnter});
  EXPECT_TRUE(state_.editing_filter);
  EXPECT_EQ(state_.message, "at column 7: expected a port number after 'dport', got 'x'");
  Press({kKeyBackspace});
  for (char c : std::string("80 and sport 1005")) Press({c});
  Press({kKeyEnter});
  EXPECT_FALSE(state_.editing_filter);
  EXPECT_EQ(state_.filter_text, "dport 80 and sport 1005");
  EXPECT_EQ(Render(model_.TakeSnapshot(), state_, 100, 10).page.rows_total, 1u);
  // 'q' typed at the prompt is text, not quit.
  Press({'/'});
  EXPECT_EQ(Press({'q'}), kRedraw);
  Press({kKeyEscape});
  EXPECT_FALSE(state_.editing_filter);
  EXPECT_EQ(state_.filter_text, "dport 80 and sport 1005");  // Esc keeps the old filter
  Press({'/', kKeyCtrlU, kKeyEnter});  // empty clears
  EXPECT_EQ(state_.filter, nullptr);
}

TEST_F(KeysTest, TogglesAndPause) {
  Press({'b', 'a', 's', 'n', 'U', 'T', 'I', 'D', 'S'});
  EXPECT_TRUE(state_.bits);
  EXPECT_TRUE(state_.active_only);
  EXPECT_TRUE(state_.show_src);
  EXPECT_FALSE(state_.names);
  EXPECT_TRUE(state_.protocols.udp);
  EXPECT_FALSE(state_.protocols.tcp);
  EXPECT_TRUE(state_.protocols.icmp && state_.protocols.dccp && state_.protocols.sctp);
  EXPECT_EQ(Press({' '}), kRedraw);
  EXPECT_TRUE(state_.paused);
  EXPECT_EQ(Press({' '}), kRedraw | kRefetch);
}

TEST_F(KeysTest, EnterOpensDetailAndProcessDrillDown) {
  Press({'j', kKeyEnter});
  EXPECT_EQ(state_.screen, Screen::kDetail);
  ASSERT_NE(state_.detail_last, nullptr);
  EXPECT_EQ(state_.detail_last->flow().conntrack_id(), 19u);  // 2nd by rate
  Press({kKeyEscape, kKeyTab});
  EXPECT_EQ(state_.view, TableView::kProcesses);
  Press({kKeyEnter});  // first process by bytes: "even" (pid 2)
  EXPECT_EQ(state_.view, TableView::kFlows);
  EXPECT_EQ(state_.filter_text, "pid 2");
  EXPECT_EQ(Render(model_.TakeSnapshot(), state_, 100, 10).page.rows_total, 10u);
}

TEST_F(KeysTest, TimeTravelKeysSteerTheReplay) {
  FakeReplayControl fake(absl::Minutes(5));
  replay_ = &fake;
  state_.replay = fake.Status();
  EXPECT_EQ(Press({'}'}), kRedraw | kRefetch);
  EXPECT_EQ(fake.Status().position, absl::Seconds(60));
  Press({']', ']', '['});
  EXPECT_EQ(fake.Status().position, absl::Seconds(70));
  Press({'{', '{'});
  EXPECT_EQ(fake.Status().position, absl::ZeroDuration());  // clamped at the start
  Press({'}', '}', '}', '}', '}', '}'});
  EXPECT_EQ(fake.Status().position, absl::Minutes(5));  // clamped at the end
  Press({'g'});
  EXPECT_EQ(fake.Status().position, absl::ZeroDuration());
  EXPECT_EQ(state_.cursor, 0u);

  // '.' pauses a playing replay first, then steps one event per press.
  Press({'.'});
  EXPECT_TRUE(fake.Status().paused);
  EXPECT_EQ(fake.steps, 0u);
  Press({'.', '.'});
  EXPECT_EQ(fake.steps, 2u);
  // Space pauses the replay, not the display.
  Press({' '});
  EXPECT_FALSE(fake.Status().paused);
  EXPECT_FALSE(state_.paused);

  Press({'+', '+'});
  EXPECT_EQ(fake.Status().speed, 4.0);
  Press({'-', '-', '-'});
  EXPECT_EQ(fake.Status().speed, 0.5);
  Press({'m'});
  EXPECT_EQ(fake.Status().speed, 0.0);
  Press({'+'});
  EXPECT_EQ(fake.Status().speed, 0.0);  // max stays max

  // The status line and the help show the replay.
  Press({'-', '}', ' '});
  EXPECT_NE(Screen().find("replay 00:01:00 / 00:05:00  x1024  PAUSED"), std::string::npos)
      << Screen();
  Press({'?'});
  const std::string help = Render(model_.TakeSnapshot(), state_, 100, 60).frame.Text();
  EXPECT_NE(help.find("seek 10 s back / forward"), std::string::npos) << help;
}

std::vector<int> Typed(const std::string& text) {
  std::vector<int> keys(text.begin(), text.end());
  keys.push_back(kKeyEnter);
  return keys;
}

TEST_F(KeysTest, SeekPromptJumpsToATypedTime) {
  FakeReplayControl fake(absl::Minutes(5), absl::FromUnixSeconds(1700000000));
  replay_ = &fake;
  state_.replay = fake.Status();
  EXPECT_EQ(Press({'t'}), kRedraw);
  EXPECT_TRUE(state_.editing_seek);
  EXPECT_NE(Screen().find("seek to ("), std::string::npos) << Screen();
  // Keys go to the prompt, not to the replay or the table.
  EXPECT_EQ(Press(Typed("90s")), kRedraw | kRefetch);
  EXPECT_FALSE(state_.editing_seek);
  EXPECT_EQ(fake.Status().position, absl::Seconds(90));
  Press({'t'});
  Press(Typed("-30s"));
  EXPECT_EQ(fake.Status().position, absl::Seconds(60));
  Press({'t'});
  Press(Typed("+4m"));
  EXPECT_EQ(fake.Status().position, absl::Minutes(4));
  Press({'t'});
  Press(Typed("50%"));
  EXPECT_EQ(fake.Status().position, absl::Seconds(150));
  Press({'t'});
  Press(Typed("2023-11-14T22:15:20Z"));  // 1700000000 + 2 min
  EXPECT_EQ(fake.Status().position, absl::Minutes(2));
  Press({'t'});
  Press(Typed("99h"));  // clamped to the end
  EXPECT_EQ(fake.Status().position, absl::Minutes(5));

  // A bad entry says what to type, stays open and moves nothing.
  Press({'t'});
  Press(Typed("soon"));
  EXPECT_TRUE(state_.editing_seek);
  EXPECT_NE(state_.message.find("type 90s or +5m"), std::string::npos) << state_.message;
  EXPECT_NE(Screen().find("not a duration or a time"), std::string::npos) << Screen();
  EXPECT_EQ(fake.Status().position, absl::Minutes(5));
  // Backspace and Ctrl-U edit; Escape closes without seeking.
  Press({kKeyCtrlU, '1', '0', 'x', kKeyBackspace});
  EXPECT_EQ(state_.seek_input, "10");
  Press({kKeyEscape});
  EXPECT_FALSE(state_.editing_seek);
  EXPECT_TRUE(state_.message.empty());
  EXPECT_EQ(fake.Status().position, absl::Minutes(5));
  // A time outside the recording is refused with its range.
  Press({'t'});
  Press(Typed("2023-11-14T23:00:00Z"));
  EXPECT_NE(state_.message.find("outside the recording"), std::string::npos) << state_.message;
  Press({kKeyEscape});
}

TEST(ParseSeekTarget, FormsAndErrors) {
  ReplayStatus st;
  st.first_event = absl::FromUnixSeconds(1000);
  st.length = absl::Hours(2);
  st.position = absl::Minutes(30);
  EXPECT_EQ(*ParseSeekTarget("1h30m", st), absl::Minutes(90));
  EXPECT_EQ(*ParseSeekTarget(" +0s ", st), absl::ZeroDuration());
  EXPECT_EQ(*ParseSeekTarget("-45m", st), absl::ZeroDuration());  // clamped
  EXPECT_EQ(*ParseSeekTarget("100%", st), absl::Hours(2));
  EXPECT_EQ(*ParseSeekTarget("1970-01-01T00:20:00Z", st), absl::Minutes(3) + absl::Seconds(20));
  for (const char* bad : {"", "-", "%", "150%", "-5%", "+1970-01-01T00:20:00Z", "5 minutes",
                          "-1970-01-01T00:20:00Z"}) {
    EXPECT_FALSE(ParseSeekTarget(bad, st).ok()) << bad;
  }
}

TEST_F(KeysTest, TimeTravelKeysDoNothingLive) {
  Press({'j', 'j'});
  EXPECT_EQ(Press({']'}), kNothing);
  EXPECT_EQ(Press({'[', '{', '}', '+', '-', 'm', 't'}), kNothing);  // ('.' sorts, as '>')
  EXPECT_FALSE(state_.editing_seek);
  Press({'g'});  // first row, as before
  EXPECT_EQ(state_.cursor, 0u);
  EXPECT_EQ(Screen().find("replay "), std::string::npos);
  Press({'?'});
  const std::string help = Render(model_.TakeSnapshot(), state_, 100, 60).frame.Text();
  EXPECT_NE(help.find("this help"), std::string::npos) << help;
  EXPECT_EQ(help.find("seek 10 s"), std::string::npos) << help;
}

}  // namespace
}  // namespace flowtop::tui
