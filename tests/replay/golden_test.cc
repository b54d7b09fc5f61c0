// Golden replays of recordings made from the real kernel in a network
// namespace (fixtures/, made by fixtures/make_fixture.sh): every run gives
// the same flow table, counters, rates, pipeline counts and summary as the
// committed golden file, whether played straight through, paced by a clock,
// or entered by seeking.
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/fake_clock.h"
#include "core/pipeline.h"
#include "gtest/gtest.h"
#include "replay/replay_source.h"
#include "replay/table_dump.h"
#include "tests/replay/golden_frames.h"
#include "tests/replay/golden_report.h"

namespace flowtop::replay {
namespace {

constexpr char kFixtureDir[] = "tests/replay/fixtures/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The "== table at ..." sections of a golden file, in order.
std::vector<std::string> TableSections(const std::string& golden) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(golden, "== ")) {
    if (absl::StartsWith(part, "table at ")) {
      out.emplace_back(part.substr(part.find('\n') + 1));
    }
  }
  return out;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string recording() const { return kFixtureDir + GetParam() + ".ftr"; }
  std::string golden() const { return ReadFile(kFixtureDir + GetParam() + ".golden"); }
};

TEST_P(GoldenTest, EveryRunMatchesTheGoldenFile) {
  const std::string expected = golden();
  ASSERT_FALSE(expected.empty()) << "missing golden file for " << GetParam();
  for (int run = 0; run < 3; ++run) {
    absl::StatusOr<std::string> report = GoldenReport(recording());
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_EQ(*report, expected) << "run " << run;
  }
  // A real capture: flows, rates and counters are there to compare.
  EXPECT_NE(expected.find("bytes_per_second"), std::string::npos);
  EXPECT_NE(expected.find("TCP"), std::string::npos);
}

TEST_P(GoldenTest, PacedReplayPassesThroughTheGoldenTables) {
  const std::vector<std::string> tables = TableSections(golden());
  absl::StatusOr<std::vector<absl::Time>> checkpoints = Checkpoints(recording());
  ASSERT_TRUE(checkpoints.ok());
  ASSERT_EQ(tables.size(), checkpoints->size());
  const absl::Time start = absl::FromUnixSeconds(1'000'000);
  core::FakeClock clock(start);
  ReplayOptions options;
  options.speed = 1;
  auto source = ReplaySource::Open(recording(), options, clock);
  ASSERT_TRUE(source.ok()) << source.status();
  const absl::Time first = (*source)->position().first_event;
  core::PipelineOptions popts;
  popts.keep_source_seq = true;
  core::Pipeline pipeline(popts, (*source)->recorded_clock());
  std::thread runner([&] { EXPECT_TRUE((*source)->Run(pipeline).ok()); });
  // Let it start (and anchor its pacing) at `start` before time moves.
  ASSERT_TRUE((*source)->WaitIdle(absl::Minutes(1)));
  for (size_t i = 0; i < checkpoints->size(); ++i) {
    clock.Set(start + ((*checkpoints)[i] - first));
    (*source)->ClockChanged();
    ASSERT_TRUE((*source)->WaitIdle(absl::Minutes(1)));
    EXPECT_EQ(pipeline.WithTable([](const core::FlowTable& t) { return DumpTable(t); }),
              tables[i])
        << "checkpoint " << i;
  }
  runner.join();  // the last checkpoint is the last event: Run has ended
}

TEST_P(GoldenTest, RenderedFramesMatchTheGoldenFile) {
  const std::string expected = ReadFile(kFixtureDir + GetParam() + ".frames");
  ASSERT_FALSE(expected.empty()) << "missing golden frames for " << GetParam();
  for (int run = 0; run < 3; ++run) {
    absl::StatusOr<std::string> frames = GoldenFrames(recording());
    ASSERT_TRUE(frames.ok()) << frames.status();
    ASSERT_EQ(*frames, expected) << "run " << run;
  }
}

INSTANTIATE_TEST_SUITE_P(KernelCaptures, GoldenTest, ::testing::Values("kernel_ns"));

}  // namespace
}  // namespace flowtop::replay
