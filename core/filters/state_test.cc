#include "core/filters/state.h"

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

std::vector<StateValue> Named(const char* text) {
  std::vector<StateValue> out;
  for (const auto& [c, v] : StatesNamed(*ParseStateName(text))) out.emplace_back(c, v);
  return out;
}

TEST(StateFilterTest, ANameCoversEveryProtocolThatHasIt) {
  const std::vector<StateValue> established = Named("established");
  v1::Flow tcp, sctp, dccp;
  tcp.set_tcp_state(v1::TCP_ESTABLISHED);
  sctp.set_sctp_state(v1::SCTP_ESTABLISHED);
  dccp.set_dccp_state(v1::DCCP_OPEN);
  for (const v1::Flow* f : {&tcp, &sctp}) {
    const StateValue s = StateOf(*f);
    EXPECT_TRUE(StateIn(established, s.first, s.second));
    EXPECT_EQ(FlowStateName(*f), "ESTABLISHED");
  }
  const StateValue open = StateOf(dccp);
  EXPECT_FALSE(StateIn(established, open.first, open.second));
}

TEST(StateFilterTest, StatelessFlowsNeverMatch) {
  v1::Flow udp;
  const StateValue none = StateOf(udp);
  EXPECT_EQ(none, StateValue(0, 0));
  EXPECT_FALSE(StateIn(Named("close"), none.first, none.second));
  EXPECT_EQ(FlowStateName(udp), "");
}

TEST(StateFilterTest, SpellingsAndErrors) {
  EXPECT_EQ(*ParseStateName("time-wait"), "TIME_WAIT");
  EXPECT_EQ(*ParseStateName("Cookie_Wait"), "COOKIE_WAIT");
  EXPECT_FALSE(ParseStateName("ESTABLISH").ok());
  EXPECT_FALSE(ParseStateName("UNSPECIFIED").ok());
}

}  // namespace
}  // namespace flowtop::core
