// Round trips through RecordingWriter and RecordingReader: every event kind,
// with and without zstd, keyframes, unknown fields from newer writers.
#include "replay/writer.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/flow_table.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "replay/crc32c.h"
#include "replay/reader.h"
#include "replay/sample_events.h"

namespace flowtop::replay {
namespace {

using google::protobuf::util::MessageDifferencer;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

v1::RecordingHeader Header() {
  v1::RecordingHeader h;
  h.set_node("r1");
  h.set_tool_version("flowtop test");
  return h;
}

// Reads every block of `path`; returns data events and keyframe events apart.
struct ReadBack {
  std::vector<v1::FlowEvent> events;
  std::vector<v1::FlowEvent> keyframe_events;
  std::vector<Damage> damage;
  size_t blocks = 0;
};

ReadBack ReadAll(const std::string& path) {
  ReadBack out;
  absl::StatusOr<std::unique_ptr<RecordingReader>> reader =
      RecordingReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return out;
  Block block;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&block);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    ++out.blocks;
    auto& dest = block.info.header.keyframe() ? out.keyframe_events : out.events;
    for (size_t i = 0; i < block.size(); ++i) dest.push_back(block.events[i]);
  }
  out.damage = (*reader)->TakeDamage();
  return out;
}

class WriterRoundTrip : public ::testing::TestWithParam<int> {};

TEST_P(WriterRoundTrip, EveryEventKindSurvives) {
  const std::string path = TempPath("every_kind_" + std::to_string(GetParam()));
  WriterOptions options;
  options.zstd_level = GetParam();
  options.block_size = 300;  // several blocks
  absl::StatusOr<std::unique_ptr<RecordingWriter>> writer =
      RecordingWriter::Create(path, Header(), options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  const std::vector<v1::FlowEvent> events = EveryKindOfEvent();
  for (const v1::FlowEvent& e : events) ASSERT_TRUE((*writer)->Append(e).ok());
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_EQ((*writer)->events_written(), events.size());
  EXPECT_GT((*writer)->blocks_written(), 1u);

  ReadBack back = ReadAll(path);
  EXPECT_TRUE(back.damage.empty());
  ASSERT_EQ(back.events.size(), events.size());
  std::vector<bool> seen(v1::EventType_ARRAYSIZE, false);
  for (size_t i = 0; i < events.size(); ++i) {
    std::string diff;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differencer.Compare(events[i], back.events[i])) << diff;
    seen[back.events[i].type()] = true;
  }
  for (int type = 1; type < v1::EventType_ARRAYSIZE; ++type) {
    EXPECT_TRUE(seen[type]) << v1::EventType_Name(type) << " not exercised";
  }
}

INSTANTIATE_TEST_SUITE_P(PlainAndZstd, WriterRoundTrip, ::testing::Values(0, 3));

TEST(WriterTest, CompressionShrinksARealisticStream) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(20000);
  uint64_t sizes[2];
  for (int level : {0, 3}) {
    WriterOptions options;
    options.zstd_level = level;
    const std::string path = TempPath("size_" + std::to_string(level));
    auto writer = RecordingWriter::Create(path, Header(), options);
    ASSERT_TRUE(writer.ok());
    for (const v1::FlowEvent& e : events) ASSERT_TRUE((*writer)->Append(e).ok());
    ASSERT_TRUE((*writer)->Close().ok());
    sizes[level == 0 ? 0 : 1] = (*writer)->bytes_written();
    ReadBack back = ReadAll(path);
    ASSERT_EQ(back.events.size(), events.size());
    EXPECT_TRUE(MessageDifferencer::Equals(back.events.back(), events.back()));
  }
  EXPECT_LT(sizes[1], sizes[0] / 2);
}

TEST(WriterTest, KeyframeHoldsTheWholeTableAsSnapshots) {
  const std::string path = TempPath("keyframe");
  auto writer = RecordingWriter::Create(path, Header(), WriterOptions());
  ASSERT_TRUE(writer.ok());
  core::FlowTable table;
  const std::vector<v1::FlowEvent> events = SyntheticStream(500);
  for (const v1::FlowEvent& e : events) {
    table.Apply(e);
    ASSERT_TRUE((*writer)->Append(e).ok());
  }
  ASSERT_TRUE((*writer)
                  ->WriteKeyframe(table, events.back().seq(),
                                  events.back().time_unix_nanos(), "r1")
                  .ok());
  ASSERT_TRUE((*writer)->Close().ok());
  ReadBack back = ReadAll(path);
  EXPECT_EQ(back.events.size(), events.size());
  ASSERT_EQ(back.keyframe_events.size(), table.size() + 1);
  EXPECT_EQ(back.keyframe_events.back().type(), v1::SNAPSHOT_END);
  core::FlowTable rebuilt;
  for (const v1::FlowEvent& e : back.keyframe_events) {
    EXPECT_EQ(e.seq(), events.back().seq());
    rebuilt.Apply(e);
  }
  ASSERT_EQ(rebuilt.size(), table.size());
  table.ForEach([&](const v1::Flow& flow) {
    const v1::Flow* other = rebuilt.Find(flow.conntrack_id());
    ASSERT_NE(other, nullptr);
    EXPECT_TRUE(MessageDifferencer::Equals(flow, *other));
  });
}

TEST(WriterTest, UnknownFieldsOfNewerWritersAreKept) {
  const std::string path = TempPath("unknown_fields");
  auto writer = RecordingWriter::Create(path, Header(), WriterOptions());
  ASSERT_TRUE(writer.ok());
  v1::FlowEvent event = EveryKindOfEvent()[2];
  event.GetReflection()->MutableUnknownFields(&event)->AddLengthDelimited(
      1000, "a field from the future");
  event.mutable_flow()->GetReflection()->MutableUnknownFields(
      event.mutable_flow())->AddVarint(999, 12345);
  ASSERT_TRUE((*writer)->Append(event).ok());
  ASSERT_TRUE((*writer)->Close().ok());
  ReadBack back = ReadAll(path);
  ASSERT_EQ(back.events.size(), 1u);
  const auto& unknown =
      back.events[0].GetReflection()->GetUnknownFields(back.events[0]);
  ASSERT_EQ(unknown.field_count(), 1);
  EXPECT_EQ(unknown.field(0).length_delimited(), "a field from the future");
  EXPECT_EQ(back.events[0].flow().conntrack_id(), event.flow().conntrack_id());
  EXPECT_EQ(back.events[0].SerializeAsString(), event.SerializeAsString());
}

TEST(WriterTest, RejectsBadOptionsAndPaths) {
  WriterOptions bad;
  bad.zstd_level = 99;
  EXPECT_EQ(RecordingWriter::Create(TempPath("x"), Header(), bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status status =
      RecordingWriter::Create("/nonexistent-dir/file", Header(), WriterOptions())
          .status();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/nonexistent-dir/file"), std::string::npos);
}

}  // namespace
}  // namespace flowtop::replay
