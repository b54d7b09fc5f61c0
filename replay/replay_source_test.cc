#include "replay/replay_source.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/fake_clock.h"
#include "core/flow_table.h"
#include "core/pipeline.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "replay/fake_sinks.h"
#include "replay/reader.h"
#include "replay/recorder.h"
#include "replay/sample_events.h"
#include "replay/table_dump.h"

namespace flowtop::replay {
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr absl::Duration kWait = absl::Seconds(30);  // safety net only

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

// Records `events` through a Recorder with a short keyframe interval.
std::string Record(const std::vector<v1::FlowEvent>& events,
                   const std::string& name, int zstd_level = 3,
                   size_t max_block_raw = kMaxBlockRaw) {
  core::FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  RecorderOptions options;
  options.path = TempPath(name);
  options.header.set_node("r1");
  options.writer.zstd_level = zstd_level;
  options.writer.block_size = 2048;
  options.writer.max_block_raw = max_block_raw;
  options.keyframe_interval = absl::Milliseconds(500);
  auto recorder = Recorder::Create(options, clock);
  EXPECT_TRUE(recorder.ok()) << recorder.status();
  std::vector<v1::FlowEvent> copy = events;
  for (size_t i = 0; i < copy.size(); i += 100) {
    (*recorder)->Publish(absl::MakeSpan(copy.data() + i,
                                        std::min<size_t>(100, copy.size() - i)));
  }
  EXPECT_TRUE((*recorder)->Close().ok());
  if (events.back().time_unix_nanos() - events.front().time_unix_nanos() >
      2'000'000'000) {
    EXPECT_GT((*recorder)->stats().keyframes, 1u);  // seeks use keyframes
  }
  return options.path;
}

std::string TableOf(const std::vector<v1::FlowEvent>& events, int64_t until) {
  core::FlowTable table;
  for (const v1::FlowEvent& e : events) {
    if (e.time_unix_nanos() <= until) table.Apply(e);
  }
  return DumpTable(table);
}

// Replays `path` at max speed through a pipeline; returns the table dump.
std::string ReplayTable(const std::string& path) {
  core::FakeClock clock;
  ReplayOptions options;
  options.speed = 0;
  auto source = ReplaySource::Open(path, options, clock);
  EXPECT_TRUE(source.ok()) << source.status();
  core::PipelineOptions popts;
  popts.node = "r1";
  popts.keep_source_seq = true;
  core::Pipeline pipeline(popts, (*source)->recorded_clock());
  EXPECT_TRUE((*source)->Run(pipeline).ok());
  return pipeline.WithTable([](const core::FlowTable& t) { return DumpTable(t); });
}

TEST(ReplaySourceTest, MaxSpeedDeliversEveryEventUnchanged) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(5000);
  const std::string path = Record(events, "max.ftr");
  core::FakeClock clock;
  ReplayOptions options;
  options.speed = 0;
  auto source = ReplaySource::Open(path, options, clock);
  ASSERT_TRUE(source.ok()) << source.status();
  CollectingSink sink;
  ASSERT_TRUE((*source)->Run(sink).ok());
  const std::vector<v1::FlowEvent> got = sink.events();
  ASSERT_EQ(got.size(), events.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(MessageDifferencer::Equals(got[i], events[i])) << i;
  }
  EXPECT_TRUE((*source)->position().finished);
  EXPECT_EQ((*source)->position().seq, events.back().seq());
}

TEST(ReplaySourceTest, SameTableAndRatesEveryRun) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(8000, 7);
  const std::string path = Record(events, "same.ftr");
  const std::string expected = TableOf(events, INT64_MAX);
  EXPECT_NE(expected.find("bytes_per_second"), std::string::npos);
  for (int run = 0; run < 3; ++run) EXPECT_EQ(ReplayTable(path), expected);
}

TEST(ReplaySourceTest, PacesByTheInjectedClockAtTheChosenSpeed) {
  // One event per millisecond of recorded time.
  const std::vector<v1::FlowEvent> events = SyntheticStream(400);
  const std::string path = Record(events, "paced.ftr");
  const int64_t t0 = events.front().time_unix_nanos();
  auto count_until = [&](int64_t ns) {
    size_t n = 0;
    for (const auto& e : events) n += e.time_unix_nanos() <= t0 + ns;
    return n;
  };
  for (double speed : {1.0, 4.0}) {
    core::FakeClock clock(absl::FromUnixSeconds(5));
    ReplayOptions options;
    options.speed = speed;
    auto source = ReplaySource::Open(path, options, clock);
    ASSERT_TRUE(source.ok());
    CollectingSink sink;
    std::thread runner([&] { EXPECT_TRUE((*source)->Run(sink).ok()); });
    ASSERT_TRUE((*source)->WaitIdle(kWait));
    EXPECT_EQ(sink.size(), count_until(0));
    for (int step = 1; step <= 5; ++step) {
      clock.Advance(absl::Milliseconds(10));
      (*source)->ClockChanged();
      ASSERT_TRUE((*source)->WaitIdle(kWait));
      EXPECT_EQ(sink.size(), count_until(static_cast<int64_t>(
                                 step * 10'000'000 * speed)))
          << "speed " << speed << " step " << step;
    }
    EXPECT_EQ(absl::ToUnixNanos((*source)->recorded_clock().Now()),
              sink.events().back().time_unix_nanos());
    (*source)->Stop();
    runner.join();
  }
}

TEST(ReplaySourceTest, PauseAndStep) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(300);
  const std::string path = Record(events, "step.ftr");
  core::FakeClock clock;
  ReplayOptions options;
  options.start_paused = true;
  auto source = ReplaySource::Open(path, options, clock);
  ASSERT_TRUE(source.ok());
  CollectingSink sink;
  std::thread runner([&] { EXPECT_TRUE((*source)->Run(sink).ok()); });
  ASSERT_TRUE((*source)->WaitIdle(kWait));
  EXPECT_EQ(sink.size(), 0u);
  (*source)->Step(3);
  ASSERT_TRUE((*source)->WaitIdle(kWait));
  EXPECT_EQ(sink.size(), 3u);
  (*source)->Step();
  ASSERT_TRUE((*source)->WaitIdle(kWait));
  ASSERT_EQ(sink.size(), 4u);
  EXPECT_EQ(sink.events()[3].seq(), events[3].seq());
  // Time does not move a paused replay.
  clock.Advance(absl::Hours(1));
  (*source)->ClockChanged();
  ASSERT_TRUE((*source)->WaitIdle(kWait));
  EXPECT_EQ(sink.size(), 4u);
  EXPECT_TRUE((*source)->position().paused);
  (*source)->SetSpeed(0);
  (*source)->Resume();
  ASSERT_TRUE(sink.WaitFor(events.size(), kWait));
  runner.join();
  EXPECT_EQ(sink.size(), events.size());
}

// Applies what the source delivered to a table, as the pipeline would.
std::string TableFromDelivered(const std::vector<v1::FlowEvent>& delivered) {
  core::FlowTable table;
  for (const v1::FlowEvent& e : delivered) table.Apply(e);
  return DumpTable(table);
}

// The largest number of consecutive keyframe blocks of one seq in `path`.
size_t LongestKeyframe(const std::string& path) {
  auto reader = RecordingReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  BlockInfo info;
  size_t longest = 0, run = 0;
  uint64_t seq = 0;
  while (*(*reader)->NextInfo(&info)) {
    const BlockHeader& h = info.header;
    run = !h.keyframe() ? 0 : (run > 0 && h.first_seq == seq ? run + 1 : 1);
    seq = h.first_seq;
    longest = std::max(longest, run);
  }
  return longest;
}

class SeekTest : public ::testing::TestWithParam<bool> {};

TEST_P(SeekTest, SeekForwardAndBackGivesTheTableAtThatTime) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(6000, 3);
  const std::string path = Record(events, "seek.ftr");
  const int64_t t0 = events.front().time_unix_nanos();
  core::FakeClock clock;
  ReplayOptions options;
  options.start_paused = true;
  options.use_keyframes = GetParam();
  auto source = ReplaySource::Open(path, options, clock);
  ASSERT_TRUE(source.ok());
  CollectingSink sink;
  std::thread runner([&] { EXPECT_TRUE((*source)->Run(sink).ok()); });
  for (int64_t ms : {4500, 1200, 5999, 0, 2500, 10, 3333}) {
    const int64_t t = t0 + ms * 1'000'000;
    (*source)->SeekTo(absl::FromUnixNanos(t));
    ASSERT_TRUE((*source)->WaitIdle(kWait));
    EXPECT_EQ(TableFromDelivered(sink.events()),
              ms == 0 ? TableOf(events, t0 - 1) : TableOf(events, t))
        << "seek to +" << ms << "ms";
    EXPECT_EQ(absl::ToUnixNanos((*source)->recorded_clock().Now()), t);
  }
  // After a seek, stepping continues with the next recorded event.
  const size_t before = sink.size();
  (*source)->Step();
  ASSERT_TRUE((*source)->WaitIdle(kWait));
  ASSERT_EQ(sink.size(), before + 1);
  EXPECT_EQ(sink.events().back().seq(), events[3334].seq());
  (*source)->Stop();
  runner.join();
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutKeyframes, SeekTest, ::testing::Bool());

// A keyframe larger than a block (about 2M flows; here a 2 KiB bound) spans
// several keyframe blocks, and a seek through it rebuilds the whole table
// (such keyframes were skipped silently).
TEST(ReplaySourceTest, SeekThroughKeyframesLargerThanABlock) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(6000, 3);
  const std::string path = Record(events, "bigkey.ftr", 3, 2048);
  ASSERT_GT(LongestKeyframe(path), 3u);
  const int64_t t0 = events.front().time_unix_nanos();
  core::FakeClock clock;
  ReplayOptions options;
  options.start_paused = true;
  auto source = ReplaySource::Open(path, options, clock);
  ASSERT_TRUE(source.ok());
  CollectingSink sink;
  std::thread runner([&] { EXPECT_TRUE((*source)->Run(sink).ok()); });
  for (int64_t ms : {4500, 1200, 5999, 2500, 3333}) {
    const int64_t t = t0 + ms * 1'000'000;
    (*source)->SeekTo(absl::FromUnixNanos(t));
    ASSERT_TRUE((*source)->WaitIdle(kWait));
    EXPECT_EQ(TableFromDelivered(sink.events()), TableOf(events, t))
        << "seek to +" << ms << "ms";
  }
  (*source)->Stop();
  runner.join();
}

TEST(ReplaySourceTest, LoopStartsOverWithTheSameTable) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(1000, 5);
  const std::string path = Record(events, "loop.ftr");
  core::FakeClock clock;
  ReplayOptions options;
  options.speed = 0;
  options.loop = true;
  auto source = ReplaySource::Open(path, options, clock);
  ASSERT_TRUE(source.ok());
  ReplaySource* raw = source->get();
  // Stop once the third pass is under way.
  CollectingSink sink([&](size_t n) {
    if (n >= 2 * events.size() + 500) raw->Stop();
  });
  ASSERT_TRUE(raw->Run(sink).ok());
  const std::vector<v1::FlowEvent> got = sink.events();
  size_t resyncs = 0;
  size_t end_of_first_pass = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].type() == v1::RESYNC_END && ++resyncs == 1) end_of_first_pass = i;
  }
  EXPECT_GE(resyncs, 2u);
  // Right after the first loop the table is empty again, as at the start.
  std::vector<v1::FlowEvent> prefix(got.begin(), got.begin() + end_of_first_pass + 1);
  EXPECT_EQ(TableFromDelivered(prefix), "flows 0\n");
  // And a whole second pass gives the same table as the first.
  std::vector<v1::FlowEvent> two(got.begin(),
                                 got.begin() + end_of_first_pass + 1 + events.size());
  EXPECT_EQ(TableFromDelivered(two), TableOf(events, INT64_MAX));
}

TEST(ReplaySourceTest, DamageBecomesLostEventsAndPlaybackContinues) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(3000);
  const std::string path = Record(events, "damaged.ftr", 0);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(5000);
    f.put('\x42');
  }
  core::FakeClock clock;
  ReplayOptions options;
  options.speed = 0;
  auto source = ReplaySource::Open(path, options, clock);
  ASSERT_TRUE(source.ok());
  CollectingSink sink;
  ASSERT_TRUE((*source)->Run(sink).ok());
  size_t lost_events = 0;
  uint64_t lost_count = 0;
  size_t data = 0;
  for (const v1::FlowEvent& e : sink.events()) {
    if (e.type() == v1::LOST) {
      ++lost_events;
      lost_count += e.lost().count();
      EXPECT_EQ(e.lost().source(), v1::RECORDING);
      EXPECT_NE(e.lost().detail().find("byte offset"), std::string::npos)
          << e.lost().detail();
    } else {
      ++data;
    }
  }
  EXPECT_EQ(lost_events, 1u);
  EXPECT_GT(lost_count, 0u);
  EXPECT_EQ(data + lost_count, events.size());
  EXPECT_EQ(sink.events().back().seq(), events.back().seq());
  EXPECT_EQ((*source)->position().damaged_blocks, 1u);
}

TEST(ReplaySourceTest, RotatedFilesEachReplayFromTheirKeyframe) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(20000, 9);
  core::FakeClock clock;
  RecorderOptions options;
  options.path = TempPath("rot.ftr");
  options.header.set_node("r1");
  options.writer.block_size = 4096;
  options.max_size_bytes = 100 * 1024;
  options.max_files = 3;
  auto recorder = Recorder::Create(options, clock);
  ASSERT_TRUE(recorder.ok());
  std::vector<v1::FlowEvent> copy = events;
  (*recorder)->Publish(absl::MakeSpan(copy));
  ASSERT_TRUE((*recorder)->Close().ok());
  EXPECT_GT((*recorder)->stats().files, 3u);
  EXPECT_FALSE(std::ifstream(options.path + ".3").good());
  ASSERT_TRUE(std::ifstream(options.path + ".2").good());
  // The live file ends where the events end and starts from the table the
  // capture had then: replaying it alone gives the final table.
  EXPECT_EQ(ReplayTable(options.path), TableOf(events, INT64_MAX));
  // The older file ends where the newer one starts.
  auto older = ReplaySource::Open(options.path + ".1", ReplayOptions(), clock);
  ASSERT_TRUE(older.ok());
  EXPECT_EQ((*older)->header().file_index() + 1,
            (*ReplaySource::Open(options.path, ReplayOptions(), clock))->header().file_index());
}

// A rotated file starts from a keyframe; one larger than a block spans
// several, and the file alone still replays to the capture's table (the
// keyframe was skipped silently, so the file started from an empty table).
TEST(ReplaySourceTest, RotatedFileStartsFromAKeyframeLargerThanABlock) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(20000, 9);
  core::FakeClock clock;
  RecorderOptions options;
  options.path = TempPath("rotbig.ftr");
  options.header.set_node("r1");
  options.writer.block_size = 4096;
  options.writer.max_block_raw = 4096;
  options.max_size_bytes = 400 * 1024;
  options.max_files = 3;
  auto recorder = Recorder::Create(options, clock);
  ASSERT_TRUE(recorder.ok());
  std::vector<v1::FlowEvent> copy = events;
  (*recorder)->Publish(absl::MakeSpan(copy));
  ASSERT_TRUE((*recorder)->Close().ok()) << (*recorder)->Close();
  EXPECT_GT((*recorder)->stats().files, 1u);
  EXPECT_GE((*recorder)->stats().keyframes, (*recorder)->stats().files - 1);
  ASSERT_GT(LongestKeyframe(options.path), 1u);
  EXPECT_EQ(ReplayTable(options.path), TableOf(events, INT64_MAX));
  // Every flow of the leading keyframe's blocks reaches the sink first.
  auto reader = RecordingReader::Open(options.path);
  ASSERT_TRUE(reader.ok());
  BlockInfo info;
  size_t keyframe_flows = 0;
  while (*(*reader)->NextInfo(&info) && info.header.keyframe()) {
    keyframe_flows += info.header.event_count;
  }
  ASSERT_GT(keyframe_flows, 1u);
  --keyframe_flows;  // SNAPSHOT_END
  ReplayOptions replay;
  replay.speed = 0;
  auto source = ReplaySource::Open(options.path, replay, clock);
  ASSERT_TRUE(source.ok());
  CollectingSink sink;
  ASSERT_TRUE((*source)->Run(sink).ok());
  size_t snapshots = 0;
  for (const v1::FlowEvent& e : sink.events()) {
    if (e.type() != v1::SNAPSHOT) break;
    ++snapshots;
  }
  EXPECT_EQ(snapshots, keyframe_flows);
}

// A recording whose flows stayed idle for 5 s after the last event: its
// end mark makes the replay last those 5 s (it used to end at once, a
// recording of idle flows replaying as 0 s long), and no event is added.
TEST(ReplaySourceTest, IdleTailReplaysUntilTheEndMark) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(50);
  core::FakeClock record_clock(absl::FromUnixSeconds(1'700'000'000));
  RecorderOptions ropts;
  ropts.path = TempPath("idle_tail.ftr");
  ropts.header.set_node("r1");
  auto recorder = Recorder::Create(ropts, record_clock);
  ASSERT_TRUE(recorder.ok()) << recorder.status();
  std::vector<v1::FlowEvent> copy = events;
  (*recorder)->Publish(absl::MakeSpan(copy));
  record_clock.Advance(absl::Seconds(5));
  ASSERT_TRUE((*recorder)->Close().ok());
  const absl::Time end =
      absl::FromUnixNanos(events.back().time_unix_nanos()) + absl::Seconds(5);

  core::FakeClock clock(absl::FromUnixSeconds(5));
  ReplayOptions options;
  options.speed = 1;
  auto source = ReplaySource::Open(ropts.path, options, clock);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->position().last_event, end);
  CollectingSink sink;
  std::thread runner([&] { EXPECT_TRUE((*source)->Run(sink).ok()); });
  ASSERT_TRUE((*source)->WaitIdle(kWait));  // paced from the first event
  const absl::Duration span = absl::Nanoseconds(
      events.back().time_unix_nanos() - events.front().time_unix_nanos());
  clock.Advance(span);
  (*source)->ClockChanged();
  ASSERT_TRUE((*source)->WaitIdle(kWait));
  EXPECT_EQ(sink.size(), events.size());
  EXPECT_FALSE((*source)->position().finished);
  clock.Advance(absl::Seconds(4));
  (*source)->ClockChanged();
  ASSERT_TRUE((*source)->WaitIdle(kWait));
  EXPECT_FALSE((*source)->position().finished);
  clock.Advance(absl::Seconds(1));
  (*source)->ClockChanged();
  ASSERT_TRUE((*source)->WaitIdle(kWait));
  const ReplayPosition at_end = (*source)->position();
  EXPECT_TRUE(at_end.finished);
  (*source)->Stop();
  runner.join();
  EXPECT_EQ(at_end.now, end);
  EXPECT_EQ((*source)->recorded_clock().Now(), end);
  // Every event, unchanged, and nothing else.
  const std::vector<v1::FlowEvent> got = sink.events();
  ASSERT_EQ(got.size(), events.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(MessageDifferencer::Equals(got[i], events[i])) << i;
  }
}

}  // namespace
}  // namespace flowtop::replay
