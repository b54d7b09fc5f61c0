// craft_recording: writes a hostile recording for the hardening tests, with
// valid checksums where a checksum would otherwise stop the attack early.
// Usage: craft_recording KIND OUT
//   huge_count   one block whose event count says 0xFFFFFFFF
//   count_5m     one block whose event count says 5,000,000 (28 bytes)
//   zstd_bomb    a zstd block of ~10 KB that expands to 200 MB
//   good         a valid recording of 500 events in small blocks
//   many_flows   a valid recording of 4,000 flows opening (NEW events)
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "replay/crc32c.h"
#include "replay/format.h"
#include "replay/sample_events.h"
#include "zstd.h"

namespace {

using flowtop::replay::BlockHeader;

std::string Block(BlockHeader h, const std::string& stored) {
  h.stored_size = static_cast<uint32_t>(stored.size());
  h.payload_crc = flowtop::replay::Crc32c(stored);
  return flowtop::replay::EncodeBlockHeader(h) + stored;
}

std::string Header() {
  flowtop::v1::RecordingHeader header;
  header.set_node("crafted");
  return flowtop::replay::EncodeFileHeader(header);
}

std::string Events(size_t n) {
  std::string payload;
  for (const flowtop::v1::FlowEvent& e : flowtop::replay::SyntheticStream(n)) {
    flowtop::replay::AppendEvent(e, payload);
  }
  return payload;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: craft_recording KIND OUT\n");
    return 2;
  }
  const std::string kind = argv[1];
  std::string file = Header();
  BlockHeader h;
  h.first_seq = h.last_seq = 1;
  if (kind == "huge_count" || kind == "count_5m") {
    const std::string payload = Events(1);
    h.raw_size = static_cast<uint32_t>(payload.size());
    h.event_count = kind == "huge_count" ? 0xFFFFFFFFu : 5000000u;
    file += Block(h, payload);
  } else if (kind == "zstd_bomb") {
    const std::string zeros(200u << 20, '\0');
    std::string out(ZSTD_compressBound(zeros.size()), '\0');
    const size_t n = ZSTD_compress(&out[0], out.size(), zeros.data(), zeros.size(), 19);
    if (ZSTD_isError(n)) return 1;
    out.resize(n);
    h.flags = flowtop::replay::kBlockFlagZstd;
    h.raw_size = static_cast<uint32_t>(zeros.size());
    h.event_count = 1;
    file += Block(h, out);
  } else if (kind == "good") {
    const std::vector<flowtop::v1::FlowEvent> events =
        flowtop::replay::SyntheticStream(500);
    for (size_t i = 0; i < events.size(); i += 50) {
      std::string payload;
      for (size_t j = i; j < i + 50; ++j) {
        flowtop::replay::AppendEvent(events[j], payload);
      }
      BlockHeader b;
      b.raw_size = static_cast<uint32_t>(payload.size());
      b.event_count = 50;
      b.first_seq = events[i].seq();
      b.last_seq = events[i + 49].seq();
      b.first_time_unix_nanos = events[i].time_unix_nanos();
      b.last_time_unix_nanos = events[i + 49].time_unix_nanos();
      file += Block(b, payload);
    }
  } else if (kind == "many_flows") {
    // 4,000 flows opening over 4 s, in blocks of 100 events.
    for (uint32_t i = 0; i < 4000; i += 100) {
      std::string payload;
      BlockHeader b;
      for (uint32_t j = i; j < i + 100; ++j) {
        flowtop::v1::FlowEvent e;
        e.set_seq(j + 1);
        e.set_time_unix_nanos(1'700'000'000'000'000'000 + int64_t{j} * 1'000'000);
        e.set_type(flowtop::v1::NEW);
        e.set_node("r1");
        *e.mutable_flow() = flowtop::replay::SampleFlow(j + 1);
        flowtop::replay::AppendEvent(e, payload);
        if (j == i) {
          b.first_seq = e.seq();
          b.first_time_unix_nanos = e.time_unix_nanos();
        }
        b.last_seq = e.seq();
        b.last_time_unix_nanos = e.time_unix_nanos();
      }
      b.raw_size = static_cast<uint32_t>(payload.size());
      b.event_count = 100;
      file += Block(b, payload);
    }
  } else {
    std::fprintf(stderr, "craft_recording: unknown kind %s\n", kind.c_str());
    return 2;
  }
  FILE* f = std::fopen(argv[2], "wb");
  if (f == nullptr || std::fwrite(file.data(), 1, file.size(), f) != file.size() ||
      std::fclose(f) != 0) {
    std::perror(argv[2]);
    return 1;
  }
  return 0;
}
