#include "replay/summary.h"

#include <string>

#include "gtest/gtest.h"
#include "replay/sample_events.h"

namespace flowtop::replay {
namespace {

TEST(SummaryTest, EveryKindOfEventIsAccounted) {
  Summary summary;
  for (const v1::FlowEvent& e : EveryKindOfEvent()) summary.Add(e);
  summary.Finish();
  EXPECT_EQ(summary.events(), 11u);
  // Flow 100 (curl to 198.51.100.100 in DE) closed with its final counters;
  // the IPv6 snapshot flow 7 is still open at the end.
  const Tally& curl = summary.by_process().at("curl");
  EXPECT_EQ(curl.flows, 1u);
  EXPECT_EQ(curl.bytes, 60u);  // DESTROY carried the flow's final counters
  EXPECT_EQ(summary.by_country().at("DE").flows, 1u);
  EXPECT_EQ(summary.by_country().at("(unknown)").flows, 1u);
  EXPECT_EQ(summary.by_state().at("TIME_WAIT"), 1u);
  EXPECT_EQ(summary.by_state().at("SYN_SENT"), 1u);
  EXPECT_EQ(summary.by_protocol().at("TCP").flows, 2u);
  EXPECT_EQ(summary.lost().at("KERNEL"), 17u);
  EXPECT_EQ(summary.by_talker().at("10.0.0.100").flows, 1u);
  EXPECT_EQ(summary.by_talker().count("2001:db8::a00:7"), 1u);
  v1::RecordingHeader header;
  header.set_node("r1");
  const std::string report = summary.Report(header, 4096, 10);
  EXPECT_NE(report.find("KERNEL          17 lost"), std::string::npos) << report;
  EXPECT_NE(report.find("1 closed, 1 open at end"), std::string::npos) << report;
  EXPECT_NE(report.find("Top talkers"), std::string::npos);
}

TEST(SummaryTest, RanksByBytesAndLimitsRows) {
  Summary summary;
  for (const v1::FlowEvent& e : SyntheticStream(3000)) summary.Add(e);
  summary.Finish();
  v1::RecordingHeader header;
  const std::string report = summary.Report(header, 1, 3);
  const size_t talkers = report.find("Top talkers");
  const size_t processes = report.find("Top processes");
  ASSERT_NE(talkers, std::string::npos);
  ASSERT_NE(processes, std::string::npos);
  // Header line plus three rows.
  const std::string section = report.substr(talkers, processes - talkers);
  EXPECT_EQ(std::count(section.begin(), section.end(), '\n'), 1 + 1 + 3 + 1);
  EXPECT_GT(summary.by_process().at("firefox").bytes, 0u);
}

}  // namespace
}  // namespace flowtop::replay
