// The key table (tui/keys.h) walked as a whole: every bound key does
// something where it is bound (or says why it may not), and the help screen
// lists exactly the keys that reach each action.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/fake_clock.h"
#include "gtest/gtest.h"
#include "tui/fake_replay_control.h"
#include "tui/keys.h"
#include "tui/test_flows.h"
#include "tui/view.h"

namespace flowtop::tui {
namespace {

// The situations a key can meet, each with something for every action to
// change (rows above and below the cursor, a sideways scroll, a message, a
// prompt with text, a replay in the middle of its recording).
enum class Situation { kFlows, kProcesses, kHelp, kDetail, kFilterPrompt, kSeekPrompt };

constexpr Situation kSituations[] = {Situation::kFlows,  Situation::kProcesses,
                                     Situation::kHelp,   Situation::kDetail,
                                     Situation::kFilterPrompt, Situation::kSeekPrompt};

// Everything a key may change, as text.
std::string Fingerprint(const ViewState& s, const FakeReplayControl* replay) {
  std::string text = absl::StrCat(
      static_cast<int>(s.view), static_cast<int>(s.screen), static_cast<int>(s.flow_sort),
      static_cast<int>(s.process_sort), s.reverse, s.bits, s.active_only, s.show_src, s.names,
      s.geo, s.paused, s.show_own, s.protocols.tcp, s.protocols.udp, s.protocols.dccp,
      s.protocols.icmp, s.protocols.sctp, s.families.ipv4, s.families.ipv6, "|", s.filter_text,
      "|", s.filter != nullptr, s.editing_filter, "|", s.filter_input, "|", s.editing_seek, "|",
      s.seek_input, "|", s.message, "|", s.cursor, ",", s.top, ",", s.hscroll, ",",
      absl::Uint128High64(s.detail_key), ",", absl::Uint128Low64(s.detail_key));
  if (replay != nullptr) {
    const ReplayStatus r = replay->Status();
    absl::StrAppend(&text, "|", absl::FormatDuration(r.position), ",", r.speed, ",", r.paused,
                    ",", replay->steps);
  }
  return text;
}

class KeyTableTest : public ::testing::Test {
 protected:
  KeyTableTest() {
    const int s = model_.AddSource("local");
    std::vector<v1::FlowEvent> ev;
    for (uint32_t i = 1; i <= 20; ++i) {
      v1::Flow f = testing::TcpFlow(i, "10.0.0.1", 1000 + i, "10.0.0.2", 80);
      testing::SetTraffic(f, i * 100, 0, i, 0);
      testing::SetProcess(f, absl::StrCat("p", i), i);  // 20 processes too
      ev.push_back(testing::Event(v1::NEW, f, 1));
    }
    model_.SinkFor(s).Publish(absl::MakeSpan(ev));
  }

  // Returns the state of `situation` and fills `page` as its frame showed.
  ViewState Prepare(Situation situation, bool replay, PageInfo& page) {
    ViewState state;
    state.cursor = 8;
    state.top = 5;
    state.hscroll = 8;
    state.message = "a note";
    if (situation == Situation::kProcesses) state.view = TableView::kProcesses;
    if (replay) state.replay = replay_.Status();
    RenderResult r = Render(model_.TakeSnapshot(), state, 100, 10);
    state.cursor = r.page.cursor;
    state.top = r.page.top;
    page = r.page;
    switch (situation) {
      case Situation::kHelp: state.screen = Screen::kHelp; break;
      case Situation::kDetail:
        state.screen = Screen::kDetail;
        state.detail_key = page.cursor_flow->Key();
        state.detail_last = page.cursor_flow;
        break;
      case Situation::kFilterPrompt:
        state.editing_filter = true;
        state.filter_input = "dport 80";
        break;
      case Situation::kSeekPrompt:
        state.editing_seek = true;
        state.seek_input = "50%";
        break;
      default: break;
    }
    return state;
  }

  uint32_t WhereOf(Situation s) const {
    switch (s) {
      case Situation::kFlows:
      case Situation::kProcesses: return kInTable;
      case Situation::kHelp:
      case Situation::kDetail: return kInOverlay;
      default: return kInPrompt;
    }
  }

  core::FakeClock clock_;
  Model model_{clock_};
  FakeReplayControl replay_{absl::Minutes(5)};
};

TEST_F(KeyTableTest, EveryBoundKeyChangesSomethingWhereItIsBound) {
  std::set<std::pair<const KeyBinding*, int>> reached;
  for (bool replay : {false, true}) {
    for (Situation situation : kSituations) {
      if (situation == Situation::kSeekPrompt && !replay) continue;
      for (const KeyBinding& b : KeyBindings()) {
        for (int key : b.keys) {
          if (FindBinding(key, WhereOf(situation), replay) != &b) continue;
          reached.insert({&b, key});
          replay_ = FakeReplayControl(absl::Minutes(5));
          replay_.SeekTo(absl::Minutes(2));
          PageInfo page;
          ViewState state = Prepare(situation, replay, page);
          const std::string before = Fingerprint(state, replay ? &replay_ : nullptr);
          const uint32_t action = HandleKey(state, key, page, replay ? &replay_ : nullptr);
          const std::string after = Fingerprint(state, replay ? &replay_ : nullptr);
          const std::string where = absl::StrCat(b.name, " key ", KeyName(key), " situation ",
                                                 static_cast<int>(situation), " replay ", replay);
          EXPECT_NE(action, kNothing) << where;
          if (b.no_op != nullptr) continue;  // documented: may change nothing
          EXPECT_TRUE((action & kQuit) != 0 || before != after) << where << "\n" << before;
        }
      }
    }
  }
  // No key is bound where nothing can reach it.
  for (const KeyBinding& b : KeyBindings()) {
    for (int key : b.keys) {
      EXPECT_TRUE(reached.count({&b, key})) << b.name << " key " << KeyName(key);
    }
  }
}

TEST_F(KeyTableTest, BindingsAreNamedAndDocumented) {
  std::set<std::string> names;
  for (const KeyBinding& b : KeyBindings()) {
    EXPECT_TRUE(names.insert(b.name).second) << "two actions named " << b.name;
    EXPECT_NE(std::string(b.help), "") << b.name;
    EXPECT_FALSE(b.keys.empty()) << b.name;
    EXPECT_NE(b.scope & kEverywhere, 0u) << b.name << " is bound nowhere";
  }
}

TEST_F(KeyTableTest, HelpListsExactlyTheKeysThatReachEachAction) {
  for (bool replay : {false, true}) {
    const std::vector<KeyHelpSection> help = KeyHelp(replay);
    // Every key the help names runs the action it is listed with.
    std::set<std::pair<const KeyBinding*, std::string>> listed;
    for (const KeyHelpSection& section : help) {
      for (const KeyHelpEntry& entry : section.entries) {
        for (const std::string& name : entry.keys) {
          listed.insert({entry.binding, name});
          bool runs = false;
          for (int key : entry.binding->keys) {
            runs |=
                KeyName(key) == name && FindBinding(key, section.where, replay) == entry.binding;
          }
          EXPECT_TRUE(runs) << section.title << ": " << name << " " << entry.binding->help;
        }
      }
    }
    // Every key that reaches an action anywhere is listed with it.
    for (const KeyBinding& b : KeyBindings()) {
      for (int key : b.keys) {
        for (uint32_t where : {kInTable, kInOverlay, kInPrompt}) {
          if (FindBinding(key, where, replay) != &b) continue;
          EXPECT_TRUE(listed.count({&b, KeyName(key)}))
              << b.name << " key " << KeyName(key) << " replay " << replay;
        }
      }
    }
  }
}

TEST_F(KeyTableTest, HelpScreenShowsTheGeneratedLines) {
  for (bool replay : {false, true}) {
    ViewState state;
    state.screen = Screen::kHelp;
    if (replay) state.replay = replay_.Status();
    const std::string screen = Render(model_.TakeSnapshot(), state, 160, 60).frame.Text();
    for (const std::string& line : KeyHelpLines(replay, 160)) {
      EXPECT_NE(screen.find(line), std::string::npos) << line << "\n" << screen;
    }
    // The replay keys only in replay mode; 'g' seeks there, so the live
    // "first / last row" lists Home End G without it.
    EXPECT_EQ(screen.find("seek 10 s back / forward") != std::string::npos, replay) << screen;
    EXPECT_EQ(screen.find("Home End G ") != std::string::npos, replay) << screen;
  }
}

}  // namespace
}  // namespace flowtop::tui
