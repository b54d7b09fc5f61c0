#include "replay/format.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "replay/crc32c.h"

namespace flowtop::replay {
namespace {

void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}
void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint16_t GetU16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) |
                               (static_cast<uint8_t>(p[1]) << 8));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Writes a base-128 varint (protobuf's encoding) at p; returns its end.
char* PutVarint32(char* p, uint32_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

}  // namespace

std::string EncodeFileHeader(const v1::RecordingHeader& header) {
  std::string out(kFileMagic, sizeof(kFileMagic));
  PutU16(out, kFormatMajor);
  PutU16(out, kFormatMinor);
  const std::string payload = header.SerializeAsString();
  PutU32(out, static_cast<uint32_t>(payload.size()));
  out += payload;
  PutU32(out, Crc32c(out));
  return out;
}

absl::StatusOr<size_t> FileHeaderSize(absl::string_view prefix) {
  if (prefix.size() < sizeof(kFileMagic) ||
      std::memcmp(prefix.data(), kFileMagic, sizeof(kFileMagic)) != 0) {
    return absl::InvalidArgumentError(
        "not a flowtop recording (no recording signature at byte offset 0)");
  }
  if (prefix.size() < kFilePreambleSize) {
    return absl::DataLossError(absl::StrFormat(
        "file header truncated at byte offset %d", prefix.size()));
  }
  const uint16_t major = GetU16(prefix.data() + 8);
  const uint16_t minor = GetU16(prefix.data() + 10);
  if (major > kFormatMajor) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "recording format %d.%d is newer than this flowtop reads (%d.x); "
        "replay it with a newer flowtop",
        major, minor, kFormatMajor));
  }
  if (major == 0) {
    return absl::DataLossError(
        "file header damaged at byte offset 8 (format major version 0)");
  }
  const uint32_t length = GetU32(prefix.data() + 12);
  if (length > kMaxHeaderPayload) {
    return absl::DataLossError(absl::StrFormat(
        "file header damaged at byte offset 12 (header length %d is "
        "implausible)",
        length));
  }
  return kFilePreambleSize + length + 4;
}

absl::StatusOr<DecodedFileHeader> DecodeFileHeader(absl::string_view bytes) {
  absl::StatusOr<size_t> size = FileHeaderSize(bytes);
  if (!size.ok()) return size.status();
  if (bytes.size() < *size) {
    return absl::DataLossError(absl::StrFormat(
        "file header truncated at byte offset %d (it needs %d bytes)",
        bytes.size(), *size));
  }
  const uint32_t stored_crc = GetU32(bytes.data() + *size - 4);
  if (Crc32c(bytes.substr(0, *size - 4)) != stored_crc) {
    return absl::DataLossError(absl::StrFormat(
        "file header damaged (checksum mismatch over bytes 0..%d)", *size));
  }
  DecodedFileHeader out;
  out.major = GetU16(bytes.data() + 8);
  out.minor = GetU16(bytes.data() + 10);
  out.size = *size;
  if (!out.header.ParseFromArray(bytes.data() + kFilePreambleSize,
                                 static_cast<int>(*size - kFilePreambleSize - 4))) {
    return absl::DataLossError(absl::StrFormat(
        "file header damaged at byte offset %d (unreadable header message)",
        kFilePreambleSize));
  }
  return out;
}

std::string EncodeBlockHeader(const BlockHeader& h) {
  std::string out(kBlockMagic, sizeof(kBlockMagic));
  out.reserve(kBlockHeaderSize);
  out.push_back(static_cast<char>(h.flags));
  out.push_back(static_cast<char>(kBlockHeaderSize));
  PutU16(out, 0);
  PutU32(out, h.stored_size);
  PutU32(out, h.raw_size);
  PutU32(out, h.event_count);
  PutU32(out, h.payload_crc);
  PutU64(out, h.first_seq);
  PutU64(out, h.last_seq);
  PutU64(out, static_cast<uint64_t>(h.first_time_unix_nanos));
  PutU64(out, static_cast<uint64_t>(h.last_time_unix_nanos));
  PutU32(out, Crc32c(out));
  return out;
}

absl::StatusOr<size_t> BlockHeaderSize(absl::string_view prefix) {
  if (prefix.size() < kBlockHeaderSize ||
      std::memcmp(prefix.data(), kBlockMagic, sizeof(kBlockMagic)) != 0) {
    return absl::DataLossError("no block signature");
  }
  const size_t size = static_cast<uint8_t>(prefix[5]);
  if (size < kBlockHeaderSize) {
    return absl::DataLossError(
        absl::StrFormat("block header size %d is too small", size));
  }
  return size;
}

absl::StatusOr<BlockHeader> DecodeBlockHeader(absl::string_view bytes) {
  absl::StatusOr<size_t> size = BlockHeaderSize(bytes);
  if (!size.ok()) return size.status();
  if (bytes.size() < *size) return absl::DataLossError("block header truncated");
  const char* p = bytes.data();
  if (Crc32c(bytes.substr(0, *size - 4)) != GetU32(p + *size - 4)) {
    return absl::DataLossError("block header checksum mismatch");
  }
  BlockHeader h;
  h.flags = static_cast<uint8_t>(p[4]);
  h.header_size = static_cast<uint8_t>(*size);
  h.stored_size = GetU32(p + 8);
  h.raw_size = GetU32(p + 12);
  h.event_count = GetU32(p + 16);
  h.payload_crc = GetU32(p + 20);
  h.first_seq = GetU64(p + 24);
  h.last_seq = GetU64(p + 32);
  h.first_time_unix_nanos = static_cast<int64_t>(GetU64(p + 40));
  h.last_time_unix_nanos = static_cast<int64_t>(GetU64(p + 48));
  if (h.stored_size > kMaxBlockPayload || h.raw_size > kMaxBlockPayload) {
    return absl::DataLossError(absl::StrFormat(
        "block sizes %d/%d exceed the format's limit", h.stored_size, h.raw_size));
  }
  if (h.raw_size > kMaxBlockRaw ||
      (h.zstd() && static_cast<uint64_t>(h.raw_size) >
                       static_cast<uint64_t>(h.stored_size) * kMaxCompressionRatio)) {
    return absl::DataLossError(absl::StrFormat(
        "block claims %d bytes from %d stored, beyond what a reader accepts "
        "(%d MiB, %dx compression)",
        h.raw_size, h.stored_size, kMaxBlockRaw >> 20, kMaxCompressionRatio));
  }
  if (h.event_count > kMaxBlockEvents || h.event_count > h.raw_size) {
    return absl::DataLossError(absl::StrFormat(
        "block claims %u events in %u bytes", h.event_count, h.raw_size));
  }
  return h;
}

void AppendEvent(const v1::FlowEvent& event, std::string& payload) {
  const size_t size = event.ByteSizeLong();
  const size_t old = payload.size();
  payload.resize(old + 5 + size);
  char* start = &payload[old];
  char* body = PutVarint32(start, static_cast<uint32_t>(size));
  event.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(body));
  payload.resize(static_cast<size_t>(body - payload.data()) + size);
}

absl::Status DecodeEvents(absl::string_view payload, uint32_t count,
                          std::vector<v1::FlowEvent>* events,
                          EventDecoder* decoder) {
  // Every event takes at least one byte: a count beyond the payload is
  // damage, found before anything is allocated for it.
  if (count > payload.size()) {
    return absl::DataLossError(absl::StrCat("block claims ", count,
                                            " events in ", payload.size(),
                                            " bytes"));
  }
  const uint8_t* p = reinterpret_cast<const uint8_t*>(payload.data());
  const uint8_t* const end = p + payload.size();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t length = 0;
    int shift = 0;
    while (true) {
      if (p == end || shift > 28) {
        return absl::DataLossError(
            absl::StrCat("event ", i, " has a damaged length"));
      }
      const uint8_t byte = *p++;
      length |= static_cast<uint32_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) break;
      shift += 7;
    }
    if (length > static_cast<size_t>(end - p)) {
      return absl::DataLossError(
          absl::StrCat("event ", i, " runs past the end of its block"));
    }
    if (events->size() <= i) events->resize(i + 1);
    const bool parsed =
        decoder != nullptr
            ? decoder->Decode(absl::string_view(reinterpret_cast<const char*>(p), length),
                              &(*events)[i])
            : (*events)[i].ParseFromArray(p, static_cast<int>(length));
    if (!parsed) {
      return absl::DataLossError(absl::StrCat("event ", i, " is unreadable"));
    }
    p += length;
  }
  if (p != end) {
    return absl::DataLossError(absl::StrCat(
        "block holds ", end - p, " bytes after its ", count, " events"));
  }
  return absl::OkStatus();
}

}  // namespace flowtop::replay
