// The recording file format's byte layout (replay/FORMAT.md), in one place.
//
// A recording is a file header (magic, major/minor version, a
// RecordingHeader protobuf, CRC32C) followed by blocks. Each block has a fixed
// little-endian header with its own CRC32C and a payload of length-delimited
// FlowEvents, optionally zstd-compressed, with the payload's CRC32C. Keyframe
// blocks hold a SNAPSHOT of the whole flow table so readers can seek.
// The writer and reader use only these functions to produce and check bytes,
// so the layout is written down exactly once in code.
#ifndef FLOWTOP_REPLAY_FORMAT_H_
#define FLOWTOP_REPLAY_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"
#include "flowtop/v1/recording.pb.h"
#include "replay/event_decoder.h"

namespace flowtop::replay {

// "\x89FTR\r\n\x1a\n": the high byte and the line endings catch files that
// went through a text-mode transfer, like PNG's signature.
inline constexpr char kFileMagic[8] = {'\x89', 'F',    'T',    'R',
                                       '\r',   '\n',   '\x1a', '\n'};
// A reader reads every file of its major version (it ignores what later
// minors add); a larger major means the layout changed incompatibly.
inline constexpr uint16_t kFormatMajor = 1;
inline constexpr uint16_t kFormatMinor = 0;
// Magic, major, minor, header payload length.
inline constexpr size_t kFilePreambleSize = 16;
inline constexpr uint32_t kMaxHeaderPayload = 1u << 20;

inline constexpr char kBlockMagic[4] = {'F', 'T', 'B', 'K'};
// The block header size written by this version; readers accept larger
// headers from later minors and skip the extra bytes before the CRC.
inline constexpr size_t kBlockHeaderSize = 60;
// Payloads beyond this are treated as damage (a corrupt length field must not
// make a reader allocate gigabytes).
inline constexpr uint32_t kMaxBlockPayload = 1u << 30;
// What a reader will allocate for one block, whatever its header says: the
// decompressed payload is at most kMaxBlockRaw bytes and at most
// kMaxCompressionRatio times the bytes stored (a 53 KB block must not expand
// to 1 GB), and it holds at most kMaxBlockEvents events, never more than
// one per payload byte. The writer never writes a block beyond these (it
// stores a block uncompressed rather than beyond the ratio).
inline constexpr uint32_t kMaxBlockRaw = 256u << 20;
inline constexpr uint32_t kMaxCompressionRatio = 64;
inline constexpr uint32_t kMaxBlockEvents = 1u << 22;

inline constexpr uint8_t kBlockFlagZstd = 0x01;
inline constexpr uint8_t kBlockFlagKeyframe = 0x02;
inline constexpr uint8_t kKnownBlockFlags = kBlockFlagZstd | kBlockFlagKeyframe;

struct BlockHeader {
  uint8_t flags = 0;
  uint8_t header_size = kBlockHeaderSize;
  uint32_t stored_size = 0;  // payload bytes in the file
  uint32_t raw_size = 0;     // payload bytes after decompression
  uint32_t event_count = 0;
  uint32_t payload_crc = 0;  // CRC32C of the stored payload
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  int64_t first_time_unix_nanos = 0;
  int64_t last_time_unix_nanos = 0;

  bool zstd() const { return flags & kBlockFlagZstd; }
  bool keyframe() const { return flags & kBlockFlagKeyframe; }
};

// Returns the file header bytes (preamble, RecordingHeader, CRC32C).
std::string EncodeFileHeader(const v1::RecordingHeader& header);

struct DecodedFileHeader {
  uint16_t major = 0;
  uint16_t minor = 0;
  v1::RecordingHeader header;
  size_t size = 0;  // bytes the file header occupies; blocks start here
};

// Returns how many bytes the file header starting at `prefix` occupies, given
// at least kFilePreambleSize bytes. INVALID_ARGUMENT when the magic is wrong,
// FAILED_PRECONDITION when the major version is newer than ours,
// DATA_LOSS when the header length is implausible.
absl::StatusOr<size_t> FileHeaderSize(absl::string_view prefix);

// Decodes a complete file header (FileHeaderSize bytes). Errors as
// FileHeaderSize, plus DATA_LOSS for a checksum mismatch or an unparsable
// RecordingHeader.
absl::StatusOr<DecodedFileHeader> DecodeFileHeader(absl::string_view bytes);

// Returns the kBlockHeaderSize bytes of `header` (header_size is forced to
// kBlockHeaderSize), with its CRC32C.
std::string EncodeBlockHeader(const BlockHeader& header);

// Returns the header size a block claims, given at least kBlockHeaderSize
// bytes: DATA_LOSS when the magic is missing or the size is too small.
absl::StatusOr<size_t> BlockHeaderSize(absl::string_view prefix);

// Decodes and checks a block header of BlockHeaderSize bytes. DATA_LOSS for
// a bad magic, a checksum mismatch, sizes beyond kMaxBlockPayload, or a
// payload or event count beyond the reader's bounds (kMaxBlockRaw,
// kMaxCompressionRatio, kMaxBlockEvents, one event per byte).
absl::StatusOr<BlockHeader> DecodeBlockHeader(absl::string_view bytes);

// Appends one length-delimited event (varint length, then the message).
void AppendEvent(const v1::FlowEvent& event, std::string& payload);

// Decodes exactly `count` length-delimited events from `payload` into
// (*events)[0..count), reusing the messages already there (the vector grows
// as events are found, never beyond one per payload byte, never shrinks).
// DATA_LOSS when the payload does not hold exactly `count` well-formed
// events.
// `decoder` (optional) decodes faster and keeps the messages' sub-messages
// allocated from call to call (see event_decoder.h); pass the same one for
// every block.
absl::Status DecodeEvents(absl::string_view payload, uint32_t count,
                          std::vector<v1::FlowEvent>* events,
                          EventDecoder* decoder = nullptr);

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_FORMAT_H_
