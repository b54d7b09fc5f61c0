// The recorder's rotation: it never drops recorded events silently. A
// --max-size too small for the keyframe every file starts with is refused
// with the size needed; files deleted by --max-files are counted with the
// events they held.
#include "replay/recorder.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/fake_clock.h"
#include "gtest/gtest.h"
#include "replay/reader.h"
#include "replay/sample_events.h"

namespace flowtop::replay {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

// 4,000 NEW events of distinct flows, one per millisecond: a table the
// size of the one that made 3,141 files of keyframes in 6 s.
std::vector<v1::FlowEvent> ManyFlows(size_t n) {
  std::vector<v1::FlowEvent> events;
  for (size_t i = 0; i < n; ++i) {
    v1::FlowEvent& e = events.emplace_back();
    e.set_seq(i + 1);
    e.set_time_unix_nanos(1'700'000'000'000'000'000 + static_cast<int64_t>(i) * 1'000'000);
    e.set_type(v1::NEW);
    e.set_node("r1");
    *e.mutable_flow() = SampleFlow(static_cast<uint32_t>(i + 1));
  }
  return events;
}

// Recorded (non-keyframe) events in the files F, F.1, ... that exist.
uint64_t EventsOnDisk(const std::string& path, uint64_t* files) {
  uint64_t events = 0;
  *files = 0;
  for (int i = 0;; ++i) {
    const std::string name = i == 0 ? path : absl::StrCat(path, ".", i);
    if (access(name.c_str(), F_OK) != 0) break;
    ++*files;
    auto reader = RecordingReader::Open(name);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) break;
    Block block;
    while (*(*reader)->Next(&block)) {
      if (!block.info.header.keyframe()) events += block.size();
    }
    EXPECT_TRUE((*reader)->TakeDamage().empty()) << name;
  }
  return events;
}

void Remove(const std::string& path) {
  unlink(path.c_str());
  for (int i = 1; i < 100; ++i) unlink(absl::StrCat(path, ".", i).c_str());
}

TEST(RecorderTest, MaxSizeSmallerThanTheKeyframeIsRefused) {
  const std::string path = TempPath("small.ftr");
  Remove(path);
  core::FakeClock clock;
  RecorderOptions options;
  options.path = path;
  options.header.set_node("r1");
  options.max_size_bytes = 64 * 1024;
  options.max_files = 50;
  auto recorder = Recorder::Create(options, clock);
  ASSERT_TRUE(recorder.ok()) << recorder.status();
  std::vector<v1::FlowEvent> events = ManyFlows(4000);
  // In batches, as the pipeline delivers them.
  for (size_t i = 0; i < events.size(); i += 100) {
    (*recorder)->Publish(absl::MakeSpan(events.data() + i, 100));
  }
  const absl::Status status = (*recorder)->Close();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("--max-size"), std::string::npos) << status;
  EXPECT_NE(status.message().find("or more"), std::string::npos) << status;
  const RecorderStats stats = (*recorder)->stats();
  // It stopped at the first rotation that showed it, not after thousands.
  EXPECT_LE(stats.files, 3u);
  EXPECT_EQ(stats.files_deleted, 0u);
  // Everything it recorded before stopping is on disk.
  uint64_t files = 0;
  EXPECT_EQ(EventsOnDisk(path, &files), stats.events);
  EXPECT_EQ(files, stats.files);
  EXPECT_GT(stats.events, 0u);
  Remove(path);
}

TEST(RecorderTest, FilesDeletedByMaxFilesAreCounted) {
  const std::string path = TempPath("deleted.ftr");
  Remove(path);
  core::FakeClock clock;
  RecorderOptions options;
  options.path = path;
  options.header.set_node("r1");
  options.writer.block_size = 4096;
  options.max_size_bytes = 64 * 1024;
  options.max_files = 3;
  auto recorder = Recorder::Create(options, clock);
  ASSERT_TRUE(recorder.ok()) << recorder.status();
  // ~20 live flows: keyframes stay small, files hold events.
  std::vector<v1::FlowEvent> events = SyntheticStream(20000, 5);
  (*recorder)->Publish(absl::MakeSpan(events));
  ASSERT_TRUE((*recorder)->Close().ok());
  const RecorderStats stats = (*recorder)->stats();
  EXPECT_EQ(stats.events, events.size());
  EXPECT_GT(stats.files, 3u);
  EXPECT_EQ(stats.files_deleted, stats.files - 3);
  uint64_t files = 0;
  const uint64_t kept = EventsOnDisk(path, &files);
  EXPECT_EQ(files, 3u);
  EXPECT_GT(stats.events_deleted, 0u);
  // Every recorded event is either on disk or counted as deleted.
  EXPECT_EQ(kept + stats.events_deleted, stats.events);
  Remove(path);
}

// The data blocks of `path` (keyframes left out), in file order.
std::vector<BlockHeader> DataBlocks(const std::string& path) {
  std::vector<BlockHeader> blocks;
  auto reader = RecordingReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return blocks;
  Block block;
  while (*(*reader)->Next(&block)) {
    if (!block.info.header.keyframe()) blocks.push_back(block.info.header);
  }
  EXPECT_TRUE((*reader)->TakeDamage().empty());
  return blocks;
}

// Idle flows send no events: without an end mark, a recording of them
// replayed as 0 s long however long it ran.
TEST(RecorderTest, CloseMarksWhenTheRecordingEnded) {
  const std::string path = TempPath("idle.ftr");
  Remove(path);
  core::FakeClock clock(absl::FromUnixSeconds(1'000));
  RecorderOptions options;
  options.path = path;
  options.header.set_node("r1");
  auto recorder = Recorder::Create(options, clock);
  ASSERT_TRUE(recorder.ok()) << recorder.status();
  std::vector<v1::FlowEvent> events = ManyFlows(3);
  (*recorder)->Publish(absl::MakeSpan(events));
  // The node's clock is not ours: the mark counts from the last event's
  // arrival, on the recorder's clock.
  clock.Advance(absl::Seconds(5));
  ASSERT_TRUE((*recorder)->Close().ok());
  const std::vector<BlockHeader> blocks = DataBlocks(path);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].event_count, 3u);
  const BlockHeader& mark = blocks[1];
  EXPECT_EQ(mark.event_count, 0u);
  EXPECT_EQ(mark.raw_size, 0u);
  EXPECT_EQ(mark.first_seq, 3u);
  EXPECT_EQ(mark.last_seq, 3u);
  EXPECT_EQ(mark.first_time_unix_nanos,
            events.back().time_unix_nanos() + 5'000'000'000);
  EXPECT_EQ(mark.last_time_unix_nanos, mark.first_time_unix_nanos);
  uint64_t files = 0;
  EXPECT_EQ(EventsOnDisk(path, &files), 3u);
  Remove(path);
}

// A recording ended by its event limit ends at its last event.
TEST(RecorderTest, NoEndMarkAfterTheEventLimit) {
  const std::string path = TempPath("limit.ftr");
  Remove(path);
  core::FakeClock clock(absl::FromUnixSeconds(1'000));
  RecorderOptions options;
  options.path = path;
  options.header.set_node("r1");
  options.max_events = 3;
  auto recorder = Recorder::Create(options, clock);
  ASSERT_TRUE(recorder.ok()) << recorder.status();
  std::vector<v1::FlowEvent> events = ManyFlows(5);
  (*recorder)->Publish(absl::MakeSpan(events));
  clock.Advance(absl::Seconds(5));
  ASSERT_TRUE((*recorder)->Close().ok());
  const std::vector<BlockHeader> blocks = DataBlocks(path);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].event_count, 3u);
  Remove(path);
}

}  // namespace
}  // namespace flowtop::replay
