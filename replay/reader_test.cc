// The reader against damaged files: truncation at every byte, flipped bytes
// everywhere, files that are not recordings, versions from the future.
#include "replay/reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "core/flow_table.h"
#include "gtest/gtest.h"
#include "replay/crc32c.h"
#include "replay/format.h"
#include "replay/sample_events.h"
#include "replay/writer.h"

namespace flowtop::replay {
namespace {

using google::protobuf::util::MessageDifferencer;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Writes `events` to a fresh recording with small blocks; returns its bytes.
// With `keyframe_after` > 0, a keyframe of the table after that many events
// follows them.
std::string MakeRecording(const std::vector<v1::FlowEvent>& events,
                          int zstd_level, size_t block_size = 400,
                          size_t keyframe_after = 0) {
  const std::string path = TempPath("source.ftr");
  WriterOptions options;
  options.zstd_level = zstd_level;
  options.block_size = block_size;
  v1::RecordingHeader header;
  header.set_node("r1");
  auto writer = RecordingWriter::Create(path, header, options);
  EXPECT_TRUE(writer.ok()) << writer.status();
  core::FlowTable table;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_TRUE((*writer)->Append(events[i]).ok());
    table.Apply(events[i]);
    if (i + 1 == keyframe_after) {
      EXPECT_TRUE((*writer)->WriteKeyframe(table, events[i].seq(),
                                           events[i].time_unix_nanos(), "r1").ok());
    }
  }
  EXPECT_TRUE((*writer)->Close().ok());
  return ReadFile(path);
}

struct Outcome {
  absl::Status open;
  std::vector<v1::FlowEvent> events;  // of data blocks
  size_t keyframes = 0;               // keyframe blocks read
  size_t blocks = 0;                  // blocks read, keyframes included
  std::vector<Damage> damage;
};

Outcome ReadPath(const std::string& path, size_t size, bool decode_ahead) {
  Outcome out;
  auto reader = RecordingReader::Open(path);
  out.open = reader.status();
  if (!reader.ok()) return out;
  (*reader)->SetDecodeAhead(decode_ahead);
  const size_t bytes_size = size;
  Block block;
  // Each Next() either returns a block or moves past damage, so the number of
  // calls is bounded by the file size; the bound makes a loop a failure.
  for (size_t calls = 0; calls <= bytes_size; ++calls) {
    absl::StatusOr<bool> more = (*reader)->Next(&block);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    ++out.blocks;
    if (block.info.header.keyframe()) {
      ++out.keyframes;
      continue;
    }
    for (size_t i = 0; i < block.size(); ++i) out.events.push_back(block.events[i]);
  }
  out.damage = (*reader)->TakeDamage();
  EXPECT_EQ((*reader)->position(), (*reader)->file_size());
  return out;
}

// Reads the bytes as a recording, plainly and with decode-ahead: both must
// give the same events and the same damage, in the same order.
Outcome ReadBoth(const std::string& path, size_t size);

Outcome ReadBytes(const std::string& bytes, const std::string& name = "t.ftr") {
  const std::string path = TempPath(name);
  WriteFile(path, bytes);
  return ReadBoth(path, bytes.size());
}

Outcome ReadBoth(const std::string& path, size_t size) {
  Outcome plain = ReadPath(path, size, false);
  Outcome ahead = ReadPath(path, size, true);
  EXPECT_EQ(plain.open, ahead.open);
  EXPECT_EQ(plain.events.size(), ahead.events.size());
  for (size_t i = 0; i < std::min(plain.events.size(), ahead.events.size()); ++i) {
    EXPECT_EQ(plain.events[i].SerializeAsString(), ahead.events[i].SerializeAsString());
  }
  EXPECT_EQ(plain.damage.size(), ahead.damage.size());
  for (size_t i = 0; i < std::min(plain.damage.size(), ahead.damage.size()); ++i) {
    EXPECT_EQ(plain.damage[i].message, ahead.damage[i].message);
    EXPECT_EQ(plain.damage[i].events_lost, ahead.damage[i].events_lost);
  }
  return plain;
}

// Every event read must be the original event with that seq.
void ExpectSubsetOfOriginal(const std::vector<v1::FlowEvent>& read,
                            const std::vector<v1::FlowEvent>& original) {
  std::map<uint64_t, const v1::FlowEvent*> by_seq;
  for (const v1::FlowEvent& e : original) by_seq[e.seq()] = &e;
  uint64_t last = 0;
  for (const v1::FlowEvent& e : read) {
    auto it = by_seq.find(e.seq());
    ASSERT_NE(it, by_seq.end()) << "invented seq " << e.seq();
    // Byte comparison: far cheaper than MessageDifferencer over thousands
    // of damaged variants, and serialization of equal messages is stable.
    EXPECT_EQ(e.SerializeAsString(), it->second->SerializeAsString());
    EXPECT_GT(e.seq(), last) << "out of order";
    last = e.seq();
  }
}

TEST(ReaderTest, EmptyFile) {
  Outcome out = ReadBytes("");
  EXPECT_EQ(out.open.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.open.message().find("empty file"), std::string::npos) << out.open;
}

TEST(ReaderTest, FileThatIsNotOurs) {
  Outcome out = ReadBytes("#!/bin/sh\necho hello, this is a shell script\n");
  EXPECT_EQ(out.open.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.open.message().find("not a flowtop recording"), std::string::npos)
      << out.open;
  EXPECT_NE(out.open.message().find("byte offset 0"), std::string::npos);
}

TEST(ReaderTest, MissingFileNamesThePath) {
  auto reader = RecordingReader::Open(TempPath("does-not-exist.ftr"));
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(reader.status().message().find("does-not-exist.ftr"),
            std::string::npos);
}

TEST(ReaderTest, HeaderFromTheFuture) {
  std::string bytes = MakeRecording(EveryKindOfEvent(), 0);
  bytes[8] = 7;  // major 7
  Outcome out = ReadBytes(bytes);
  EXPECT_EQ(out.open.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(out.open.message().find("7.0 is newer than this flowtop"),
            std::string::npos)
      << out.open;
}

// Where TruncationRecoversEveryCompleteBlock cuts a file: at every byte of
// the file header and of the first block (its header, payload and the next
// block's header: every kind of cut), and around every later block's
// start (its whole header, and a few bytes of the payload before it) and
// in the middle of its payload, and at every one of the last bytes. Cutting
// at every byte of every block found nothing more and took minutes.
std::set<size_t> CutPoints(const std::set<size_t>& block_starts, size_t size) {
  std::set<size_t> cuts;
  const size_t first_block = *block_starts.begin();
  const size_t second_block = *std::next(block_starts.begin());
  for (size_t i = 0; i <= second_block + kBlockHeaderSize + 4 && i <= size; ++i) cuts.insert(i);
  size_t previous = first_block;
  for (size_t start : block_starts) {
    cuts.insert(previous + (start - previous) / 2);
    for (size_t i = start > 4 ? start - 4 : 0; i <= start + kBlockHeaderSize + 4; ++i) {
      if (i <= size) cuts.insert(i);
    }
    previous = start;
  }
  for (size_t i = size > 64 ? size - 64 : 0; i <= size; ++i) cuts.insert(i);
  return cuts;
}

TEST(ReaderTest, TruncationRecoversEveryCompleteBlock) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(30);
  for (int level : {0, 3}) {
    // Data blocks, a keyframe block, more data blocks: every block kind,
    // stored plainly and compressed.
    const std::string bytes = MakeRecording(events, level, 400, 12);
    const std::string header = EncodeFileHeader([] {
      v1::RecordingHeader h;
      h.set_node("r1");
      return h;
    }());
    std::set<size_t> block_ends = {header.size()};
    size_t keyframes = 0;
    {
      const std::string path = TempPath("ends.ftr");
      WriteFile(path, bytes);
      auto reader = RecordingReader::Open(path);
      ASSERT_TRUE(reader.ok());
      BlockInfo info;
      while (*(*reader)->NextInfo(&info)) {
        block_ends.insert((*reader)->position());
        keyframes += info.header.keyframe();
      }
    }
    ASSERT_EQ(keyframes, 1u);
    ASSERT_GT(block_ends.size(), 8u);
    // Longest first: the file is written once and cut shorter in place
    // (writing a file per cut was most of the time).
    const std::string path = TempPath("cut.ftr");
    WriteFile(path, bytes);
    const std::set<size_t> cuts = CutPoints(block_ends, bytes.size());
    for (auto it = cuts.rbegin(); it != cuts.rend(); ++it) {
      const size_t len = *it;
      ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(len)), 0);
      Outcome out = ReadBoth(path, len);
      if (len < header.size()) {
        EXPECT_FALSE(out.open.ok()) << len;
        continue;
      }
      ASSERT_TRUE(out.open.ok()) << out.open;
      ExpectSubsetOfOriginal(out.events, events);
      // What was read is a prefix; the tail is reported, never silent.
      for (size_t i = 0; i < out.events.size(); ++i) {
        ASSERT_EQ(out.events[i].seq(), events[i].seq());
      }
      if (len == bytes.size()) {
        EXPECT_EQ(out.events.size(), events.size());
        EXPECT_EQ(out.keyframes, 1u);
        EXPECT_TRUE(out.damage.empty());
      } else if (block_ends.count(len) == 0) {
        ASSERT_EQ(out.damage.size(), 1u) << "len " << len;
        EXPECT_TRUE(out.damage[0].truncated_tail);
        EXPECT_NE(out.damage[0].message.find("byte offset"), std::string::npos);
        // A cut inside a block whose header survived says how many it lost.
        EXPECT_LE(out.events.size() + out.damage[0].events_lost, events.size());
      } else {
        // A cut between blocks looks like a clean end: nothing to report,
        // and every block before it was read.
        EXPECT_TRUE(out.damage.empty()) << "len " << len;
        EXPECT_EQ(out.blocks, static_cast<size_t>(std::distance(
                                  block_ends.begin(), block_ends.find(len))))
            << "len " << len;
      }
    }
  }
}

TEST(ReaderTest, FlippedBytesAnywhereNeverCrashOrInvent) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(20);
  for (int level : {0, 3}) {
    const std::string bytes = MakeRecording(events, level);
    // The file is written once; each byte is flipped in place and back.
    const std::string path = TempPath("flip.ftr");
    WriteFile(path, bytes);
    const int fd = open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    for (size_t pos = 0; pos < bytes.size(); ++pos) {
      const char flipped = static_cast<char>(bytes[pos] ^ 0x5A);
      ASSERT_EQ(pwrite(fd, &flipped, 1, static_cast<off_t>(pos)), 1);
      Outcome out = ReadBoth(path, bytes.size());
      ASSERT_EQ(pwrite(fd, &bytes[pos], 1, static_cast<off_t>(pos)), 1);
      if (!out.open.ok()) continue;  // the file header was hit: clear error
      ExpectSubsetOfOriginal(out.events, events);
      if (out.events.size() < events.size()) {
        EXPECT_FALSE(out.damage.empty()) << "silent loss, flip at " << pos;
      }
      EXPECT_FALSE(out.damage.empty()) << "flip at " << pos << " unnoticed";
    }
    close(fd);
  }
}

// One flipped byte in the file header used to lose the whole file, although
// every block was intact: the blocks carry what a reader needs.
TEST(ReaderTest, DamagedFileHeaderIsRecoveredFromTheBlocks) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(40);
  for (int level : {0, 3}) {
    const std::string bytes = MakeRecording(events, level);
    const size_t first_block = bytes.find("FTBK");
    ASSERT_NE(first_block, std::string::npos);
    for (size_t pos = 0; pos < first_block; ++pos) {
      if (pos == 8 || pos == 9) continue;  // major version: "newer", refused
      std::string damaged = bytes;
      damaged[pos] ^= static_cast<char>(0x5A);
      Outcome out = ReadBytes(damaged);
      ASSERT_TRUE(out.open.ok()) << "flip at " << pos << ": " << out.open;
      ASSERT_EQ(out.events.size(), events.size()) << "flip at " << pos;
      ExpectSubsetOfOriginal(out.events, events);
      ASSERT_EQ(out.damage.size(), 1u) << "flip at " << pos;
      EXPECT_EQ(out.damage[0].offset, 0u);
      EXPECT_EQ(out.damage[0].events_lost, 0u);
      EXPECT_NE(out.damage[0].message.find("file header damaged"), std::string::npos)
          << out.damage[0].message;
      EXPECT_NE(out.damage[0].message.find("node 'r1'"), std::string::npos)
          << out.damage[0].message;
    }
  }
  // The recovered header: node from the events, start from the first block.
  std::string damaged = MakeRecording(events, 0);
  damaged[20] ^= 0x01;
  const std::string path = TempPath("header.ftr");
  WriteFile(path, damaged);
  auto reader = RecordingReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->header().node(), "r1");
  EXPECT_EQ((*reader)->header().start_unix_nanos(), events.front().time_unix_nanos());
  EXPECT_EQ((*reader)->data_offset(), damaged.find("FTBK"));
  ASSERT_TRUE((*reader)->header_damage().has_value());
}

// Without an intact block there is nothing to recover: the header's error.
TEST(ReaderTest, DamagedFileHeaderWithoutBlocksIsAnError) {
  v1::RecordingHeader header;
  header.set_node("r1");
  std::string bytes = EncodeFileHeader(header);
  bytes[18] ^= 0x01;
  Outcome out = ReadBytes(bytes);
  EXPECT_EQ(out.open.code(), absl::StatusCode::kDataLoss) << out.open;
  EXPECT_NE(out.open.message().find("file header damaged"), std::string::npos)
      << out.open;
}

TEST(ReaderTest, ResyncsAfterADamagedBlockHeader) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(200);
  std::string bytes = MakeRecording(events, 0);
  // Find the second block and smash its signature and sizes.
  const size_t first = bytes.find("FTBK");
  const size_t second = bytes.find("FTBK", first + 1);
  ASSERT_NE(second, std::string::npos);
  for (size_t i = 0; i < 12; ++i) bytes[second + i] = 'X';
  Outcome out = ReadBytes(bytes);
  ASSERT_TRUE(out.open.ok());
  ExpectSubsetOfOriginal(out.events, events);
  ASSERT_EQ(out.damage.size(), 1u);
  EXPECT_EQ(out.damage[0].offset, second);
  EXPECT_NE(out.damage[0].message.find("resynchronised at byte offset"),
            std::string::npos)
      << out.damage[0].message;
  // Everything after the damaged block is back.
  EXPECT_EQ(out.events.back().seq(), events.back().seq());
  EXPECT_GT(out.events.size(), events.size() / 2);
}

TEST(ReaderTest, DamagedPayloadCountsItsLostEvents) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(200);
  std::string bytes = MakeRecording(events, 3);
  const size_t first = bytes.find("FTBK");
  bytes[first + kBlockHeaderSize + 5] ^= 0x01;
  Outcome out = ReadBytes(bytes);
  ASSERT_EQ(out.damage.size(), 1u);
  EXPECT_EQ(out.damage[0].offset, first);
  EXPECT_EQ(out.events.size() + out.damage[0].events_lost, events.size());
  EXPECT_NE(out.damage[0].message.find("checksum mismatch"), std::string::npos);
}

// A later minor version may grow the block header and add flags; the reader
// skips header bytes it does not know and reports blocks it cannot decode.
TEST(ReaderTest, LongerBlockHeadersOfNewerMinorsRead) {
  const std::vector<v1::FlowEvent> events = EveryKindOfEvent();
  std::string payload;
  for (const v1::FlowEvent& e : events) AppendEvent(e, payload);
  BlockHeader h;
  h.stored_size = h.raw_size = static_cast<uint32_t>(payload.size());
  h.event_count = static_cast<uint32_t>(events.size());
  h.payload_crc = Crc32c(payload);
  h.first_seq = events.front().seq();
  h.last_seq = events.back().seq();
  std::string block = EncodeBlockHeader(h);
  block.resize(block.size() - 4);  // drop the CRC, grow, re-checksum
  block[5] = static_cast<char>(kBlockHeaderSize + 8);
  block += "newfield";
  uint32_t crc = Crc32c(block);
  for (int i = 0; i < 4; ++i) block.push_back(static_cast<char>(crc >> (8 * i)));
  // A second block with an unknown flag (0x80) the reader must skip.
  std::string unknown = EncodeBlockHeader(h);
  unknown[4] = static_cast<char>(0x80);
  unknown.resize(unknown.size() - 4);
  crc = Crc32c(unknown);
  for (int i = 0; i < 4; ++i) unknown.push_back(static_cast<char>(crc >> (8 * i)));
  v1::RecordingHeader header;
  header.set_node("r1");
  const std::string bytes =
      EncodeFileHeader(header) + block + payload + unknown + payload;
  Outcome out = ReadBytes(bytes);
  ASSERT_TRUE(out.open.ok()) << out.open;
  EXPECT_EQ(out.events.size(), events.size());
  ASSERT_EQ(out.damage.size(), 1u);
  EXPECT_NE(out.damage[0].message.find("newer format"), std::string::npos);
}

TEST(ReaderTest, NextInfoWalksBlockHeadersOnly) {
  const std::vector<v1::FlowEvent> events = SyntheticStream(300);
  const std::string path = TempPath("info.ftr");
  WriteFile(path, MakeRecording(events, 3));
  auto reader = RecordingReader::Open(path);
  ASSERT_TRUE(reader.ok());
  BlockInfo info;
  uint64_t count = 0;
  uint64_t last_seq = 0;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->NextInfo(&info);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    EXPECT_EQ(info.header.first_seq, last_seq + 1);
    last_seq = info.header.last_seq;
    count += info.header.event_count;
  }
  EXPECT_EQ(count, events.size());
}

}  // namespace
}  // namespace flowtop::replay
