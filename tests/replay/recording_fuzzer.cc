// libFuzzer target: a recording file's framing as every reader sees it
// (replay/reader.h): the file header, block headers and their checksums,
// the search for the next block over damage, zstd decompression, the event
// counts and sizes, event decoding. Any bytes must open or give one error,
// and then read to the end, never crashing, looping or allocating more than
// the bounds allow (libFuzzer's -rss_limit_mb and -malloc_limit_mb catch
// that). Checks too: Next() fails only on I/O errors (there are none in
// memory), positions only move forward, every block returned has the events
// its header counts, and the index pass (NextInfo) ends as well. The input's
// length picks decode-ahead (two threads) or the plain reader.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "replay/reader.h"

namespace {

// The bytes as a file: a memfd (a regular file, as the reader wants).
std::string AsFile(const uint8_t* data, size_t size, int* fd) {
  *fd = memfd_create("recording", MFD_CLOEXEC);
  if (*fd < 0 || write(*fd, data, size) != static_cast<ssize_t>(size)) std::abort();
  return "/proc/self/fd/" + std::to_string(*fd);
}

void ReadAll(flowtop::replay::RecordingReader& reader, size_t size) {
  flowtop::replay::Block block;
  uint64_t last = reader.position();
  for (size_t i = 0;; ++i) {
    if (i > size) std::abort();  // more blocks than bytes: a loop
    absl::StatusOr<bool> more = reader.Next(&block);
    if (!more.ok()) std::abort();  // only I/O errors may fail
    reader.TakeDamage();
    if (reader.position() < last) std::abort();
    last = reader.position();
    if (!*more) break;
    if (block.events.size() < block.size()) std::abort();
  }
}

void IndexAll(flowtop::replay::RecordingReader& reader, size_t size) {
  reader.SeekToOffset(reader.data_offset());
  flowtop::replay::BlockInfo info;
  for (size_t i = 0;; ++i) {
    if (i > size) std::abort();
    absl::StatusOr<bool> more = reader.NextInfo(&info);
    if (!more.ok()) std::abort();
    if (!*more) break;
  }
  reader.TakeDamage();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd;
  const std::string path = AsFile(data, size, &fd);
  auto reader = flowtop::replay::RecordingReader::Open(path);
  if (reader.ok()) {
    (*reader)->SetDecodeAhead(size % 2 == 1);
    ReadAll(**reader, size);
    IndexAll(**reader, size);
  } else if (reader.status().message().empty()) {
    std::abort();  // errors say what is wrong
  }
  close(fd);
  return 0;
}
