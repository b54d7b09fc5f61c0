#include "replay/recorder.h"

#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/version.h"

namespace flowtop::replay {
namespace {

std::string RandomCaptureId() {
  std::random_device device;
  return absl::StrFormat("%08x%08x", device(), device());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Recorder>> Recorder::Create(
    RecorderOptions options, const core::Clock& clock) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("no output file: use -o FILE");
  }
  std::unique_ptr<Recorder> recorder(new Recorder(std::move(options), clock));
  absl::MutexLock lock(&recorder->mu_);
  absl::Status status = recorder->OpenFile();
  if (!status.ok()) return status;
  return recorder;
}

Recorder::Recorder(RecorderOptions options, const core::Clock& clock)
    : options_(std::move(options)),
      shared_table_(options_.table != nullptr && !options_.filter),
      clock_(clock),
      capture_id_(RandomCaptureId()) {}

Recorder::~Recorder() { Close().IgnoreError(); }

absl::Status Recorder::OpenFile() {
  v1::RecordingHeader header = options_.header;
  header.set_start_unix_nanos(absl::ToUnixNanos(clock_.Now()));
  if (header.tool_version().empty()) {
    header.set_tool_version(absl::StrCat("flowtop ", kVersion));
  }
  if (header.hostname().empty()) {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) == 0) header.set_hostname(name);
  }
  header.set_file_index(file_index_);
  header.set_capture_id(capture_id_);
  v1::CaptureOptions* opts = header.mutable_options();
  opts->set_compression(options_.writer.zstd_level > 0 ? "zstd" : "none");
  opts->set_compression_level(options_.writer.zstd_level);
  opts->set_block_size(static_cast<uint32_t>(options_.writer.block_size));
  opts->set_keyframe_interval_nanos(
      absl::ToInt64Nanoseconds(options_.keyframe_interval));
  opts->set_max_size_bytes(options_.max_size_bytes);
  opts->set_max_files(options_.max_files);
  opts->set_count(options_.max_events);
  absl::StatusOr<std::unique_ptr<RecordingWriter>> writer =
      RecordingWriter::Create(options_.path, header, options_.writer);
  if (!writer.ok()) return writer.status();
  writer_ = std::move(*writer);
  return absl::OkStatus();
}

absl::Status Recorder::Rotate() {
  AccountWriter();
  closed_bytes_ += writer_->bytes_written();
  closed_raw_bytes_ += writer_->raw_bytes_written();
  closed_blocks_ += writer_->blocks_written();
  absl::Status status = writer_->Close();
  writer_.reset();
  if (!status.ok()) return status;
  status = ShiftFiles();
  if (!status.ok()) return status;
  ++file_index_;
  ++stats_.files;
  status = OpenFile();
  if (!status.ok()) return status;
  // Every file replays on its own: it starts from the table so far.
  status = Keyframe();
  if (!status.ok()) return status;
  return CheckRoomAfterKeyframe();
}

void Recorder::DeleteFile(const std::string& path, size_t age) {
  if (unlink(path.c_str()) != 0) return;
  // Files of an earlier capture under the same name are not counted.
  if (age >= file_events_.size()) return;
  ++stats_.files_deleted;
  stats_.events_deleted += file_events_[age];
  file_events_.resize(age);
}

absl::Status Recorder::ShiftFiles() {
  // F.(n-1) is the oldest kept: the live file plus max_files-1 rotated ones.
  const uint32_t keep = options_.max_files == 0 ? UINT32_MAX : options_.max_files;
  if (keep <= 1) {
    DeleteFile(options_.path, 0);
    file_events_.assign(1, 0);
    return absl::OkStatus();
  }
  // Find the highest existing index so renames never overwrite.
  uint32_t highest = 0;
  while (highest + 1 < keep &&
         access(absl::StrCat(options_.path, ".", highest + 1).c_str(), F_OK) == 0) {
    ++highest;
  }
  if (highest + 1 >= keep) {
    DeleteFile(absl::StrCat(options_.path, ".", highest), highest);
    --highest;
  }
  for (uint32_t i = highest; i >= 1; --i) {
    const std::string from = absl::StrCat(options_.path, ".", i);
    const std::string to = absl::StrCat(options_.path, ".", i + 1);
    if (rename(from.c_str(), to.c_str()) != 0) {
      return absl::UnavailableError(absl::StrFormat(
          "cannot rename %s to %s: %s", from, to, std::strerror(errno)));
    }
  }
  const std::string first = absl::StrCat(options_.path, ".1");
  if (rename(options_.path.c_str(), first.c_str()) != 0) {
    return absl::UnavailableError(absl::StrFormat(
        "cannot rename %s to %s: %s", options_.path, first, std::strerror(errno)));
  }
  file_events_.push_front(0);
  return absl::OkStatus();
}

absl::Status Recorder::CheckRoomAfterKeyframe() {
  // A file whose keyframe takes more than half of it holds less data than
  // table: at --max-size 64K and 4,000 flows that was 3,141 files in 6 s,
  // nearly all keyframe, and --max-files deleted all but 48 events.
  const uint64_t start = writer_->bytes_written();
  if (start * 2 <= options_.max_size_bytes) return absl::OkStatus();
  const uint64_t mib = 1024 * 1024;
  const uint64_t needed = (start * 4 + mib - 1) / mib;
  return absl::FailedPreconditionError(absl::StrFormat(
      "--max-size %.0fK is too small for this capture: each file starts "
      "with a keyframe of the whole table (%d flows, %.0fK), which leaves "
      "no room for events; use --max-size %dM or more, or record without "
      "--max-size (recording stopped; the files so far are complete)",
      options_.max_size_bytes / 1024.0, Table().size(), start / 1024.0, needed));
}

absl::Status Recorder::Keyframe() {
  const uint64_t before = writer_->bytes_written();
  absl::Status status =
      writer_->WriteKeyframe(Table(), last_seq_, last_time_, options_.header.node());
  // A keyframe larger than a block spans several (it was skipped silently:
  // from about 2M flows, rotated files started without their table).
  if (!status.ok()) return status;
  // Writing a million flows leaves free pages between live blocks that
  // glibc keeps; give them back (once per keyframe, not per event).
  malloc_trim(0);
  ++stats_.keyframes;
  last_keyframe_time_ = last_time_;
  last_keyframe_size_ = writer_->bytes_written() - before;
  bytes_at_last_keyframe_ = writer_->bytes_written();
  return absl::OkStatus();
}

absl::Status Recorder::Record(const v1::FlowEvent& event) {
  absl::Status status = writer_->Append(event);
  if (!status.ok()) return status;
  if (!shared_table_) table_.Apply(event);
  ++stats_.events;
  ++file_events_.front();
  if (event.type() == v1::LOST) stats_.lost_reported += event.lost().count();
  last_seq_ = event.seq();
  last_time_ = event.time_unix_nanos();
  last_arrival_ = clock_.Now();
  if (last_keyframe_time_ == 0) last_keyframe_time_ = last_time_;
  // The shared table is as of the batch's end: keyframes wait for it.
  return shared_table_ ? absl::OkStatus() : KeyframeOrRotate();
}

absl::Status Recorder::KeyframeOrRotate() {
  absl::Status status;
  if (options_.keyframe_interval > absl::ZeroDuration() &&
      absl::Nanoseconds(last_time_ - last_keyframe_time_) >=
          options_.keyframe_interval &&
      writer_->bytes_written() - bytes_at_last_keyframe_ >= last_keyframe_size_) {
    status = Keyframe();
    if (!status.ok()) return status;
  }
  if (options_.max_size_bytes > 0 &&
      writer_->bytes_written() >= options_.max_size_bytes) {
    return Rotate();
  }
  return absl::OkStatus();
}

void Recorder::Publish(absl::Span<v1::FlowEvent> events) {
  bool hit_limit = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || !status_.ok() || limit_reached_) return;
    bool recorded = false;
    for (const v1::FlowEvent& event : events) {
      if (options_.filter && !options_.filter(event)) {
        ++stats_.filtered_out;
        continue;
      }
      status_ = Record(event);
      if (!status_.ok()) return;
      recorded = true;
      if (options_.max_events > 0 && stats_.events >= options_.max_events) {
        limit_reached_ = hit_limit = true;
        status_ = writer_->Flush();
        break;
      }
    }
    if (shared_table_ && recorded && !limit_reached_) status_ = KeyframeOrRotate();
    stats_.flows = Table().size();
  }
  if (hit_limit && options_.on_limit) options_.on_limit();
}

absl::Status Recorder::Flush() {
  absl::MutexLock lock(&mu_);
  if (closed_ || !status_.ok()) return status_;
  status_ = writer_->Flush();
  return status_;
}

absl::Status Recorder::Close() {
  absl::MutexLock lock(&mu_);
  if (closed_) return status_;
  closed_ = true;
  if (writer_ != nullptr) {
    if (status_.ok() && !limit_reached_) {
      status_ = writer_->MarkEnd(
          last_time_ + absl::ToInt64Nanoseconds(clock_.Now() - last_arrival_));
    }
    AccountWriter();
    absl::Status status = writer_->Close();
    if (status_.ok()) status_ = status;
    AccountWriter();
  }
  return status_;
}

void Recorder::AccountWriter() {
  if (writer_ == nullptr) return;
  stats_.bytes = closed_bytes_ + writer_->bytes_written();
  stats_.raw_bytes = closed_raw_bytes_ + writer_->raw_bytes_written();
  stats_.blocks = closed_blocks_ + writer_->blocks_written();
}

absl::Status Recorder::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

RecorderStats Recorder::stats() const {
  absl::MutexLock lock(&mu_);
  RecorderStats out = stats_;
  if (writer_ != nullptr) {
    out.bytes = closed_bytes_ + writer_->bytes_written();
    out.raw_bytes = closed_raw_bytes_ + writer_->raw_bytes_written();
    out.blocks = closed_blocks_ + writer_->blocks_written();
  }
  return out;
}

bool Recorder::limit_reached() const {
  absl::MutexLock lock(&mu_);
  return limit_reached_;
}

}  // namespace flowtop::replay
