#include "replay/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "replay/crc32c.h"

namespace flowtop::replay {
namespace {

absl::Status OpenError(int err, const std::string& path) {
  const std::string message =
      absl::StrFormat("cannot open %s: %s", path, std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

constexpr size_t kScanChunk = 256 * 1024;
// Blocks read to find the node name when the file header is damaged.
constexpr int kRecoveryProbeBlocks = 16;

}  // namespace

absl::StatusOr<std::unique_ptr<RecordingReader>> RecordingReader::Open(
    const std::string& path) {
  // O_NONBLOCK: a FIFO with no writer must not hang the open; it is
  // refused below like every file that is not regular.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return OpenError(errno, path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return OpenError(err, path);
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory, not a flowtop recording"));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": is ",
        S_ISFIFO(st.st_mode) ? "a pipe (FIFO)"
        : S_ISCHR(st.st_mode) ? "a character device"
        : S_ISSOCK(st.st_mode) ? "a socket"
                               : "not a regular file",
        ", not a flowtop recording (replay reads regular files: copy the "
        "stream to a file first)"));
  }
  std::unique_ptr<RecordingReader> reader(
      new RecordingReader(path, fd, static_cast<uint64_t>(st.st_size)));
  if (reader->file_size_ == 0) {
    // /proc and /sys files say 0 bytes and still have content.
    char byte;
    if (pread(fd, &byte, 1, 0) == 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": its size says 0 bytes but it has content (a /proc or /sys "
          "file?), not a flowtop recording"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": empty file (0 bytes), not a flowtop recording"));
  }
  absl::StatusOr<DecodedFileHeader> decoded = reader->ReadFileHeader();
  if (!decoded.ok()) {
    // A newer major version may lay its header out differently: refused.
    // An I/O error is not damage. Anything else is damage to recover from.
    if (absl::IsFailedPrecondition(decoded.status()) ||
        absl::IsUnavailable(decoded.status())) {
      return decoded.status();
    }
    absl::StatusOr<bool> recovered = reader->RecoverHeader(decoded.status());
    if (!recovered.ok()) return recovered.status();
    if (!*recovered) return decoded.status();
    return reader;
  }
  reader->header_ = std::move(decoded->header);
  reader->major_ = decoded->major;
  reader->minor_ = decoded->minor;
  reader->data_offset_ = decoded->size;
  reader->position_ = decoded->size;
  reader->consumed_ = decoded->size;
  return reader;
}

absl::StatusOr<DecodedFileHeader> RecordingReader::ReadFileHeader() {
  std::string prefix;
  absl::Status status = ReadAt(0, kFilePreambleSize, &prefix);
  if (!status.ok()) return status;
  absl::StatusOr<size_t> size = FileHeaderSize(prefix);
  if (!size.ok()) {
    return absl::Status(size.status().code(),
                        absl::StrCat(path_, ": ", size.status().message()));
  }
  std::string bytes;
  status = ReadAt(0, *size, &bytes);
  if (!status.ok()) return status;
  absl::StatusOr<DecodedFileHeader> decoded = DecodeFileHeader(bytes);
  if (!decoded.ok()) {
    return absl::Status(decoded.status().code(),
                        absl::StrCat(path_, ": ", decoded.status().message()));
  }
  return decoded;
}

absl::StatusOr<bool> RecordingReader::RecoverHeader(const absl::Status& why) {
  absl::StatusOr<uint64_t> first = Resync(0);
  if (!first.ok()) return first.status();
  if (*first >= file_size_) return false;  // no intact block: not ours
  BlockHeader first_header;
  absl::StatusOr<bool> ok = TryHeaderAt(*first, &first_header);
  if (!ok.ok()) return ok.status();
  major_ = kFormatMajor;
  minor_ = kFormatMinor;
  data_offset_ = position_ = consumed_ = *first;
  // Every event names its node: take it from the first intact blocks.
  std::string node;
  Block block;
  for (int i = 0; i < kRecoveryProbeBlocks && node.empty(); ++i) {
    absl::StatusOr<bool> more = Next(&block);
    if (!more.ok()) return more.status();
    if (!*more) break;
    for (size_t j = 0; j < block.size() && node.empty(); ++j) {
      node = block.events[j].node();
    }
  }
  damage_.clear();  // found again, and reported, by the caller's reading
  damage_count_ = 0;
  SeekToOffset(data_offset_);
  header_ = v1::RecordingHeader();
  header_.set_node(node);
  header_.set_start_unix_nanos(first_header.first_time_unix_nanos);
  // `why` names the path; the damage line names the place.
  std::string reason(why.message());
  if (absl::StartsWith(reason, absl::StrCat(path_, ": "))) {
    reason.erase(0, path_.size() + 2);
  }
  header_damage_ = Damage{
      0, data_offset_, 0, false,
      absl::StrFormat("byte offset 0: %s; recovered from the blocks at byte "
                      "offset %d: node %s, start time of the first block; "
                      "hostname, tool version and capture options unknown",
                      absl::StartsWith(reason, "file header damaged")
                          ? reason
                          : absl::StrCat("file header damaged (", reason, ")"),
                      data_offset_,
                      node.empty() ? std::string("name unknown")
                                   : absl::StrCat("'", node, "'"))};
  AddDamage(*header_damage_);
  return true;
}

RecordingReader::Decoding::Decoding() : dctx(ZSTD_createDCtx()) {}
RecordingReader::Decoding::~Decoding() { ZSTD_freeDCtx(dctx); }

RecordingReader::RecordingReader(std::string path, int fd, uint64_t file_size)
    : path_(std::move(path)), fd_(fd), file_size_(file_size) {}

RecordingReader::~RecordingReader() {
  if (worker_.joinable()) {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    worker_.join();
  }
  close(fd_);
}

void RecordingReader::SetDecodeAhead(bool on) {
  if (!on) DropAhead();
  ahead_on_ = on;
  if (on && !worker_.joinable()) {
    worker_decoding_ = std::make_unique<Decoding>();
    worker_ = std::thread([this] { WorkerLoop(); });
  }
}

void RecordingReader::WorkerLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || job_; };
      mu_.Await(absl::Condition(&has_work));
      if (stop_) return;
    }
    for (size_t i = split_; i < batch_size_; ++i) {
      if (batch_[i].found) Decode(&batch_[i], worker_decoding_.get());
    }
    absl::MutexLock lock(&mu_);
    job_ = false;
  }
}

void RecordingReader::DropAhead() {
  if (next_ == batch_size_) return;
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !job_; };
  mu_.Await(absl::Condition(&idle));
  next_ = batch_size_ = split_ = 0;
  position_ = consumed_;  // dropped blocks (and their damage) are found again
}

void RecordingReader::SeekToOffset(uint64_t offset) {
  DropAhead();
  position_ = consumed_ = offset;
}

absl::Status RecordingReader::ReadAt(uint64_t offset, size_t n,
                                     std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t got =
        pread(fd_, &(*out)[done], n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrFormat(
          "cannot read %s at byte offset %d: %s", path_, offset + done,
          std::strerror(errno)));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  out->resize(done);
  return absl::OkStatus();
}

void RecordingReader::AddDamage(Damage damage) {
  if (framing_damage_ != nullptr) {
    framing_damage_->push_back(std::move(damage));
    return;
  }
  ++damage_count_;
  damage_.push_back(std::move(damage));
}

void RecordingReader::Lose(const BlockInfo& info, const std::string& why) {
  const BlockHeader& h = info.header;
  AddDamage({info.offset, h.header_size + uint64_t{h.stored_size},
             h.keyframe() ? 0 : h.event_count, false,
             absl::StrFormat("byte offset %d: %s; %s of %d events (seq %d..%d) skipped",
                             info.offset, why, h.keyframe() ? "keyframe" : "block",
                             h.event_count, h.first_seq, h.last_seq)});
}

std::vector<Damage> RecordingReader::TakeDamage() {
  std::vector<Damage> out;
  out.swap(damage_);
  return out;
}

absl::StatusOr<bool> RecordingReader::TryHeaderAt(uint64_t offset,
                                                  BlockHeader* header) {
  absl::Status status = ReadAt(offset, kBlockHeaderSize, &head_buf_);
  if (!status.ok()) return status;
  absl::StatusOr<size_t> size = BlockHeaderSize(head_buf_);
  if (!size.ok()) return false;
  if (*size > kBlockHeaderSize) {
    status = ReadAt(offset, *size, &head_buf_);
    if (!status.ok()) return status;
  }
  absl::StatusOr<BlockHeader> decoded = DecodeBlockHeader(head_buf_);
  if (!decoded.ok()) return false;
  *header = *decoded;
  return true;
}

absl::StatusOr<uint64_t> RecordingReader::Resync(uint64_t from) {
  uint64_t chunk_start = from;
  while (chunk_start < file_size_) {
    absl::Status status = ReadAt(chunk_start, kScanChunk, &scan_buf_);
    if (!status.ok()) return status;
    absl::string_view chunk(scan_buf_);
    size_t pos = 0;
    while (true) {
      pos = chunk.find(absl::string_view(kBlockMagic, sizeof(kBlockMagic)), pos);
      if (pos == absl::string_view::npos) break;
      BlockHeader header;
      absl::StatusOr<bool> ok = TryHeaderAt(chunk_start + pos, &header);
      if (!ok.ok()) return ok.status();
      if (*ok) return chunk_start + pos;
      ++pos;
    }
    if (scan_buf_.size() < kScanChunk) break;
    // Overlap so a signature split across chunks is still found.
    chunk_start += kScanChunk - (sizeof(kBlockMagic) - 1);
  }
  return file_size_;
}

absl::StatusOr<bool> RecordingReader::FindHeader(BlockInfo* info) {
  while (position_ < file_size_) {
    const uint64_t remaining = file_size_ - position_;
    if (remaining < kBlockHeaderSize) {
      AddDamage({position_, remaining, 0, true,
                 absl::StrFormat("byte offset %d: the file ends inside a block "
                                 "header (%d trailing bytes ignored; the "
                                 "recorder was probably stopped mid-write)",
                                 position_, remaining)});
      position_ = file_size_;
      return false;
    }
    absl::StatusOr<bool> ok = TryHeaderAt(position_, &info->header);
    if (!ok.ok()) return ok.status();
    if (*ok) {
      info->offset = position_;
      return true;
    }
    absl::StatusOr<uint64_t> next = Resync(position_ + 1);
    if (!next.ok()) return next.status();
    const uint64_t skipped = *next - position_;
    if (*next >= file_size_) {
      AddDamage({position_, skipped, 0, false,
                 absl::StrFormat("byte offset %d: damaged block header and no "
                                 "intact block after it (%d bytes skipped)",
                                 position_, skipped)});
    } else {
      AddDamage({position_, skipped, 0, false,
                 absl::StrFormat("byte offset %d: damaged block header; "
                                 "resynchronised at byte offset %d (%d bytes "
                                 "skipped)",
                                 position_, *next, skipped)});
    }
    position_ = *next;
  }
  return false;
}

absl::StatusOr<bool> RecordingReader::NextHeader(BlockInfo* info) {
  absl::StatusOr<bool> found = FindHeader(info);
  if (!found.ok() || !*found) return found;
  const BlockHeader& h = info->header;
  const uint64_t end = info->offset + h.header_size + h.stored_size;
  if (end > file_size_) {
    AddDamage({info->offset, file_size_ - info->offset, h.event_count, true,
               absl::StrFormat("byte offset %d: the file ends inside a block "
                               "(%d of %d bytes present; %d events lost; the "
                               "recorder was probably stopped mid-write)",
                               info->offset, file_size_ - info->offset,
                               end - info->offset, h.event_count)});
    position_ = file_size_;
    return false;
  }
  position_ = end;
  return true;
}

absl::StatusOr<bool> RecordingReader::NextInfo(BlockInfo* info) {
  DropAhead();
  absl::StatusOr<bool> found = NextHeader(info);
  consumed_ = position_;
  return found;
}

absl::Status RecordingReader::Frame(Pending* pending) {
  const uint64_t start = position_;
  pending->framing.clear();
  pending->error.clear();
  framing_damage_ = &pending->framing;
  absl::Status status;
  while (true) {
    absl::StatusOr<bool> found = NextHeader(&pending->info);
    if (!found.ok()) {
      status = found.status();
      break;
    }
    pending->found = *found;
    if (!*found) break;
    const BlockInfo& info = pending->info;
    const BlockHeader& h = info.header;
    if ((h.flags & ~kKnownBlockFlags) != 0) {
      Lose(info, absl::StrFormat("block uses flags 0x%02x of a newer format", h.flags));
      continue;
    }
    status = ReadAt(info.offset + h.header_size, h.stored_size, &pending->stored);
    break;
  }
  framing_damage_ = nullptr;
  if (!status.ok()) {
    // Read from `start` again (and its damage found again) on a retry.
    position_ = start;
    pending->framing.clear();
  }
  pending->end = position_;
  return status;
}

void RecordingReader::Decode(Pending* pending, Decoding* state) {
  const BlockHeader& h = pending->info.header;
  if (Crc32c(pending->stored) != h.payload_crc) {
    pending->error = "block payload checksum mismatch";
    return;
  }
  absl::string_view raw = pending->stored;
  if (h.zstd()) {
    state->raw_buf.resize(h.raw_size);
    const size_t n = ZSTD_decompressDCtx(state->dctx, &state->raw_buf[0], state->raw_buf.size(),
                                         pending->stored.data(), pending->stored.size());
    if (ZSTD_isError(n) || n != h.raw_size) {
      pending->error = ZSTD_isError(n) ? absl::StrCat("zstd cannot decompress the block (",
                                                      ZSTD_getErrorName(n), ")")
                                       : std::string("block decompresses to the wrong size");
      return;
    }
    raw = state->raw_buf;
  } else if (h.raw_size != h.stored_size) {
    pending->error = "uncompressed block with inconsistent sizes";
    return;
  }
  const absl::Status status = DecodeEvents(raw, h.event_count, &pending->events, &state->decoder);
  if (!status.ok()) pending->error = std::string(status.message());
}

void RecordingReader::Account(Pending* pending) {
  for (Damage& d : pending->framing) AddDamage(std::move(d));
  pending->framing.clear();
  if (pending->found && !pending->error.empty()) Lose(pending->info, pending->error);
  consumed_ = pending->end;
}

absl::Status RecordingReader::StartBatch() {
  next_ = batch_size_ = split_ = 0;
  while (batch_size_ < 2 * kAheadBlocks) {
    Pending& p = batch_[batch_size_];
    absl::Status status = Frame(&p);  // on error, position_ is back before it
    if (!status.ok()) {
      if (batch_size_ == 0) return status;
      break;  // met again, and reported, by the next batch
    }
    ++batch_size_;
    if (!p.found) break;  // the end of the file (kept: it holds damage)
  }
  split_ = (batch_size_ + 1) / 2;
  bool work = false;
  for (size_t i = split_; i < batch_size_; ++i) work = work || batch_[i].found;
  if (work) {
    absl::MutexLock lock(&mu_);
    job_ = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RecordingReader::Next(Block* block) {
  while (true) {
    Pending* next = &mine_;
    if (!ahead_on_) {
      absl::Status status = Frame(&mine_);
      if (!status.ok()) return status;
      if (mine_.found) Decode(&mine_, &decoding_);
    } else {
      if (next_ == batch_size_) {
        absl::Status status = StartBatch();
        if (!status.ok()) return status;
      }
      if (next_ == split_) {
        // The worker's half.
        absl::MutexLock lock(&mu_);
        auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !job_; };
        mu_.Await(absl::Condition(&done));
      }
      next = &batch_[next_++];
      if (next_ <= split_ && next->found) Decode(next, &decoding_);
    }
    Account(next);
    if (!next->found) {
      next_ = batch_size_;  // nothing after the end
      return false;
    }
    if (!next->error.empty()) continue;
    block->info = next->info;
    block->events.swap(next->events);
    return true;
  }
}

}  // namespace flowtop::replay
