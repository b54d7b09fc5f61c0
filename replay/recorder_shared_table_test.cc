// A recorder without a filter reads the pipeline's table for its keyframes
// instead of keeping a second copy of every flow: each keyframe must still
// be exactly the table the recorded events before it make.
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/fake_clock.h"
#include "core/flow_key.h"
#include "core/flow_table.h"
#include "core/pipeline.h"
#include "gtest/gtest.h"
#include "replay/reader.h"
#include "replay/recorder.h"
#include "replay/sample_events.h"

namespace flowtop::replay {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

// Batches of NEW, COUNTERS and DESTROY events (one batch a second), so
// that keyframes fall where a batch ends and flows leave between them.
void PublishChurn(core::Pipeline& pipeline) {
  std::mt19937 rng(7);
  std::vector<uint32_t> live;
  uint32_t next_id = 1;
  for (int batch = 0; batch < 80; ++batch) {
    std::vector<v1::FlowEvent> events;
    const int64_t time = 1'700'000'000'000'000'000 + int64_t{batch} * 1'000'000'000;
    auto add = [&](v1::EventType type, uint32_t id) {
      v1::FlowEvent& e = events.emplace_back();
      e.set_type(type);
      e.set_time_unix_nanos(time + static_cast<int64_t>(events.size()));
      *e.mutable_flow() = SampleFlow(id);
      if (type == v1::COUNTERS) {
        e.mutable_flow()->mutable_original_counters()->set_bytes(rng() % 100000);
      }
    };
    for (int i = 0; i < 12; ++i) {
      live.push_back(next_id);
      add(v1::NEW, next_id++);
    }
    for (int i = 0; i < 12 && !live.empty(); ++i) add(v1::COUNTERS, live[rng() % live.size()]);
    for (int i = 0; i < 11 && !live.empty(); ++i) {
      const size_t at = rng() % live.size();
      add(v1::DESTROY, live[at]);
      live.erase(live.begin() + static_cast<long>(at));
    }
    pipeline.Publish(absl::MakeSpan(events));
  }
}

std::map<uint64_t, std::string> ByKey(const std::vector<v1::Flow>& flows) {
  std::map<uint64_t, std::string> out;
  for (const v1::Flow& f : flows) out[core::FlowKey(f)] = f.SerializeAsString();
  return out;
}

TEST(RecorderSharedTable, KeyframesAreTheTableOfTheEventsBeforeThem) {
  const std::string path = TempPath("shared_table.ftr");
  core::FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  core::Pipeline pipeline(core::PipelineOptions{}, clock);
  RecorderOptions options;
  options.path = path;
  options.keyframe_interval = absl::Seconds(2);
  options.table = &pipeline.PublishedTable();
  auto recorder = Recorder::Create(options, clock);
  ASSERT_TRUE(recorder.ok()) << recorder.status();
  pipeline.AddSink(recorder->get());
  PublishChurn(pipeline);
  EXPECT_EQ((*recorder)->stats().flows, pipeline.View().size());
  ASSERT_TRUE((*recorder)->Close().ok());

  // Replay the file: every keyframe against the table of the events so far.
  auto reader = RecordingReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  core::FlowTable replayed;
  Block block;
  int keyframes = 0;
  uint64_t last_seq = 0;
  while (*(*reader)->Next(&block)) {
    if (!block.info.header.keyframe()) {
      for (size_t i = 0; i < block.size(); ++i) {
        replayed.Apply(block.events[i]);
        last_seq = block.events[i].seq();
      }
      continue;
    }
    ++keyframes;
    EXPECT_EQ(block.info.header.first_seq, last_seq);
    std::vector<v1::Flow> keyframe;
    for (size_t i = 0; i < block.size(); ++i) {
      if (block.events[i].type() == v1::SNAPSHOT) keyframe.push_back(block.events[i].flow());
    }
    EXPECT_EQ(ByKey(keyframe), ByKey(replayed.Snapshot()))
        << "keyframe " << keyframes << " as of seq " << last_seq;
    // Written in conntrack id order, each flow built as it is written.
    for (size_t i = 1; i < keyframe.size(); ++i) {
      EXPECT_LE(keyframe[i - 1].conntrack_id(), keyframe[i].conntrack_id());
    }
  }
  EXPECT_GE(keyframes, 3);
}

// With a filter the recorder keeps its own table (the pipeline's holds
// flows it did not record), and the keyframes hold only recorded flows.
TEST(RecorderSharedTable, AFilterKeepsATableOfItsOwn) {
  const std::string path = TempPath("filtered_table.ftr");
  core::FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  core::Pipeline pipeline(core::PipelineOptions{}, clock);
  RecorderOptions options;
  options.path = path;
  options.keyframe_interval = absl::Seconds(2);
  options.table = &pipeline.PublishedTable();
  options.filter = [](const v1::FlowEvent& e) { return e.flow().conntrack_id() % 2 == 0; };
  auto recorder = Recorder::Create(options, clock);
  ASSERT_TRUE(recorder.ok()) << recorder.status();
  pipeline.AddSink(recorder->get());
  PublishChurn(pipeline);
  EXPECT_LT((*recorder)->stats().flows, pipeline.View().size());
  ASSERT_TRUE((*recorder)->Close().ok());
  auto reader = RecordingReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  Block block;
  int keyframes = 0;
  while (*(*reader)->Next(&block)) {
    if (!block.info.header.keyframe()) continue;
    ++keyframes;
    for (size_t i = 0; i < block.size(); ++i) {
      if (block.events[i].type() != v1::SNAPSHOT) continue;
      EXPECT_EQ(block.events[i].flow().conntrack_id() % 2, 0u);
    }
  }
  EXPECT_GE(keyframes, 1);
}

}  // namespace
}  // namespace flowtop::replay
