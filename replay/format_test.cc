#include "replay/format.h"

#include <string>
#include <vector>

#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "replay/crc32c.h"
#include "replay/sample_events.h"

namespace flowtop::replay {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::RecordingHeader SampleHeader() {
  v1::RecordingHeader h;
  h.set_node("r1");
  h.set_start_unix_nanos(1'700'000'000'000'000'000);
  h.set_tool_version("flowtop 0.1.0");
  h.mutable_options()->set_source("kernel");
  h.mutable_options()->set_compression("zstd");
  h.mutable_options()->set_compression_level(3);
  return h;
}

TEST(FormatTest, FileHeaderRoundTrip) {
  const std::string bytes = EncodeFileHeader(SampleHeader());
  EXPECT_EQ(bytes.substr(0, 8), std::string(kFileMagic, 8));
  absl::StatusOr<size_t> size = FileHeaderSize(bytes);
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, bytes.size());
  absl::StatusOr<DecodedFileHeader> decoded = DecodeFileHeader(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->major, kFormatMajor);
  EXPECT_EQ(decoded->minor, kFormatMinor);
  EXPECT_TRUE(MessageDifferencer::Equals(decoded->header, SampleHeader()));
}

TEST(FormatTest, FileHeaderErrorsAreSpecific) {
  std::string bytes = EncodeFileHeader(SampleHeader());
  // Not ours.
  EXPECT_EQ(FileHeaderSize("GIF89a and more bytes").status().code(),
            absl::StatusCode::kInvalidArgument);
  // A newer major version.
  std::string future = bytes;
  future[8] = 2;
  absl::Status status = FileHeaderSize(future).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("2.0 is newer"), std::string::npos) << status;
  // A flipped bit in the header message.
  std::string damaged = bytes;
  damaged[kFilePreambleSize + 2] ^= 0x10;
  EXPECT_EQ(DecodeFileHeader(damaged).status().code(),
            absl::StatusCode::kDataLoss);
  // Truncated.
  EXPECT_EQ(DecodeFileHeader(bytes.substr(0, bytes.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(FormatTest, NewerMinorVersionWithUnknownHeaderFieldsReads) {
  v1::RecordingHeader header = SampleHeader();
  header.GetReflection()->MutableUnknownFields(&header)->AddVarint(900, 7);
  std::string bytes = EncodeFileHeader(header);
  bytes[10] = 9;  // minor 9: a later writer
  bytes.resize(bytes.size() - 4);
  const uint32_t crc = Crc32c(bytes);
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(crc >> (8 * i)));
  absl::StatusOr<DecodedFileHeader> decoded = DecodeFileHeader(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->minor, 9);
  EXPECT_EQ(decoded->header.node(), "r1");
  // The field we do not know is kept, not dropped.
  const auto& unknown =
      decoded->header.GetReflection()->GetUnknownFields(decoded->header);
  ASSERT_EQ(unknown.field_count(), 1);
  EXPECT_EQ(unknown.field(0).number(), 900);
  EXPECT_EQ(unknown.field(0).varint(), 7u);
}

TEST(FormatTest, BlockHeaderRoundTripAndChecks) {
  BlockHeader h;
  h.flags = kBlockFlagZstd | kBlockFlagKeyframe;
  h.stored_size = 1234;
  h.raw_size = 5678;
  h.event_count = 42;
  h.payload_crc = 0xDEADBEEF;
  h.first_seq = 1ull << 40;
  h.last_seq = (1ull << 40) + 41;
  h.first_time_unix_nanos = -5;
  h.last_time_unix_nanos = 1'700'000'000'000'000'000;
  const std::string bytes = EncodeBlockHeader(h);
  ASSERT_EQ(bytes.size(), kBlockHeaderSize);
  absl::StatusOr<BlockHeader> d = DecodeBlockHeader(bytes);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->flags, h.flags);
  EXPECT_EQ(d->stored_size, h.stored_size);
  EXPECT_EQ(d->raw_size, h.raw_size);
  EXPECT_EQ(d->event_count, h.event_count);
  EXPECT_EQ(d->payload_crc, h.payload_crc);
  EXPECT_EQ(d->first_seq, h.first_seq);
  EXPECT_EQ(d->last_seq, h.last_seq);
  EXPECT_EQ(d->first_time_unix_nanos, h.first_time_unix_nanos);
  EXPECT_EQ(d->last_time_unix_nanos, h.last_time_unix_nanos);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] ^= 0x01;
    EXPECT_FALSE(DecodeBlockHeader(damaged).ok()) << "flipped byte " << i;
  }
}

TEST(FormatTest, EventsRoundTripAndRejectGarbage) {
  const std::vector<v1::FlowEvent> events = EveryKindOfEvent();
  std::string payload;
  for (const v1::FlowEvent& e : events) AppendEvent(e, payload);
  std::vector<v1::FlowEvent> decoded;
  ASSERT_TRUE(DecodeEvents(payload, events.size(), &decoded).ok());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(decoded[i], events[i])) << i;
  }
  EXPECT_FALSE(DecodeEvents(payload, events.size() + 1, &decoded).ok());
  EXPECT_FALSE(DecodeEvents(payload, events.size() - 1, &decoded).ok());
  EXPECT_FALSE(DecodeEvents(payload.substr(0, payload.size() - 3),
                            events.size(), &decoded).ok());
  EXPECT_FALSE(DecodeEvents(std::string(8, '\xff'), 1, &decoded).ok());
}

// Counts and sizes in a block header are bounded by the bytes present, so a
// crafted header cannot make a reader allocate gigabytes.
TEST(FormatTest, BlockBoundsComeFromTheBytesPresent) {
  std::vector<v1::FlowEvent> decoded;
  EXPECT_TRUE(absl::IsDataLoss(
      DecodeEvents(std::string(28, '\0'), 0xFFFFFFFFu, &decoded)));
  EXPECT_TRUE(absl::IsDataLoss(DecodeEvents(std::string(28, '\0'), 5000000, &decoded)));
  EXPECT_LE(decoded.size(), 28u);
  BlockHeader h;
  h.raw_size = 100;
  h.stored_size = 100;
  h.event_count = 101;  // more events than bytes
  EXPECT_TRUE(absl::IsDataLoss(DecodeBlockHeader(EncodeBlockHeader(h)).status()));
  h.event_count = 100;
  EXPECT_TRUE(DecodeBlockHeader(EncodeBlockHeader(h)).ok());
  h.flags = kBlockFlagZstd;  // 53 KB that claim to expand beyond 64x
  h.stored_size = 53 * 1024;
  h.raw_size = 53 * 1024 * kMaxCompressionRatio + 1;
  EXPECT_TRUE(absl::IsDataLoss(DecodeBlockHeader(EncodeBlockHeader(h)).status()));
  h.raw_size = 53 * 1024 * kMaxCompressionRatio;
  EXPECT_TRUE(DecodeBlockHeader(EncodeBlockHeader(h)).ok());
  h.flags = 0;
  h.stored_size = h.raw_size = kMaxBlockRaw + 1;
  EXPECT_TRUE(absl::IsDataLoss(DecodeBlockHeader(EncodeBlockHeader(h)).status()));
}

}  // namespace
}  // namespace flowtop::replay
