#include "replay/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "replay/crc32c.h"

namespace flowtop::replay {
namespace {

absl::Status ErrnoError(int err, const std::string& what,
                        const std::string& path) {
  return absl::UnavailableError(
      absl::StrFormat("%s %s: %s", what, path, std::strerror(err)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecordingWriter>> RecordingWriter::Create(
    const std::string& path, const v1::RecordingHeader& header,
    const WriterOptions& options) {
  if (options.zstd_level < 0 || options.zstd_level > ZSTD_maxCLevel()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "zstd level %d is out of range: use 0 (no compression) to %d",
        options.zstd_level, ZSTD_maxCLevel()));
  }
  if (options.block_size == 0 || options.block_size > kMaxBlockRaw / 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "block size %d is out of range: use 1 to %d bytes", options.block_size,
        kMaxBlockRaw / 2));
  }
  if (options.max_block_raw == 0 || options.max_block_raw > kMaxBlockRaw ||
      options.max_block_events == 0 || options.max_block_events > kMaxBlockEvents) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "block bounds %d bytes, %d events are out of range: at most %d, %d",
        options.max_block_raw, options.max_block_events, kMaxBlockRaw,
        kMaxBlockEvents));
  }
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, "cannot create", path);
  std::unique_ptr<RecordingWriter> writer(
      new RecordingWriter(path, fd, options));
  absl::Status status = writer->WriteAll(EncodeFileHeader(header));
  if (!status.ok()) return status;
  return writer;
}

RecordingWriter::RecordingWriter(std::string path, int fd,
                                 const WriterOptions& options)
    : path_(std::move(path)), fd_(fd), options_(options) {
  if (options_.zstd_level > 0) cctx_ = ZSTD_createCCtx();
  payload_.reserve(options_.block_size + 4096);
}

RecordingWriter::~RecordingWriter() {
  Close().IgnoreError();
  if (cctx_ != nullptr) ZSTD_freeCCtx(cctx_);
}

absl::Status RecordingWriter::WriteAll(const std::string& bytes) {
  if (fd_ < 0) return absl::FailedPreconditionError("recording is closed");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write", path_);
    }
    done += static_cast<size_t>(n);
  }
  bytes_written_ += bytes.size();
  return absl::OkStatus();
}

absl::Status RecordingWriter::Append(const v1::FlowEvent& event) {
  if (block_.event_count == 0) {
    block_.first_seq = event.seq();
    block_.first_time_unix_nanos = event.time_unix_nanos();
  }
  block_.last_seq = event.seq();
  block_.last_time_unix_nanos = event.time_unix_nanos();
  ++block_.event_count;
  last_seq_ = event.seq();
  last_time_ = event.time_unix_nanos();
  any_event_ = true;
  AppendEvent(event, payload_);
  if (payload_.size() >= options_.block_size ||
      block_.event_count >= kMaxBlockEvents) {
    return Flush();
  }
  return absl::OkStatus();
}

absl::Status RecordingWriter::Flush() {
  if (block_.event_count == 0) return absl::OkStatus();
  BlockHeader header = block_;
  block_ = BlockHeader();
  absl::Status status = WriteBlock(header, payload_);
  payload_.clear();
  if (status.ok() && options_.sync && fsync(fd_) != 0) {
    return ErrnoError(errno, "cannot sync", path_);
  }
  return status;
}

absl::Status RecordingWriter::MarkEnd(int64_t end_unix_nanos) {
  absl::Status status = Flush();
  if (!status.ok() || !any_event_ || end_unix_nanos <= last_time_) {
    return status;
  }
  BlockHeader end;
  end.first_seq = end.last_seq = last_seq_;
  end.first_time_unix_nanos = end.last_time_unix_nanos =
      end_unix_nanos;
  return WriteBlock(end, std::string());
}

absl::Status RecordingWriter::WriteBlock(BlockHeader header,
                                         const std::string& payload) {
  header.raw_size = static_cast<uint32_t>(payload.size());
  const std::string* stored = &payload;
  header.flags &= ~kBlockFlagZstd;
  if (cctx_ != nullptr) {
    compressed_.resize(ZSTD_compressBound(payload.size()));
    const size_t n =
        ZSTD_compressCCtx(cctx_, &compressed_[0], compressed_.size(),
                          payload.data(), payload.size(), options_.zstd_level);
    // Keep the block uncompressed when zstd fails or does not help, or
    // compresses beyond the ratio readers accept (kMaxCompressionRatio).
    if (!ZSTD_isError(n) && n < payload.size() &&
        payload.size() <= n * kMaxCompressionRatio) {
      compressed_.resize(n);
      stored = &compressed_;
      header.flags |= kBlockFlagZstd;
    }
  }
  header.stored_size = static_cast<uint32_t>(stored->size());
  header.payload_crc = Crc32c(*stored);
  out_ = EncodeBlockHeader(header);
  out_ += *stored;
  absl::Status status = WriteAll(out_);
  if (!status.ok()) return status;
  ++blocks_written_;
  raw_bytes_written_ += payload.size();
  if (!header.keyframe()) events_written_ += header.event_count;
  return absl::OkStatus();
}

absl::Status RecordingWriter::WriteKeyframe(const core::FlowTable& table,
                                            uint64_t as_of_seq,
                                            int64_t as_of_unix_nanos,
                                            const std::string& node) {
  absl::Status status = Flush();
  if (!status.ok()) return status;
  // The records in conntrack id order (then key), each built into a flow
  // only when it is written: a copy of every flow as a v1::Flow (~800 bytes
  // each) took 1.3 GB at a million flows, and the heap kept it.
  const core::FlowTableView view = table.View();
  struct Ordered {
    uint32_t conntrack_id;
    uint64_t key;
    const core::FlowRecord* record;
  };
  std::vector<Ordered> order;
  order.reserve(view.size());
  view.ForEachRecord([&](const core::FlowRecord& r) {
    order.push_back({r.conntrack_id, r.key, &r});
  });
  std::sort(order.begin(), order.end(), [](const Ordered& a, const Ordered& b) {
    return a.conntrack_id != b.conntrack_id ? a.conntrack_id < b.conntrack_id
                                            : a.key < b.key;
  });
  v1::FlowEvent event;
  event.set_seq(as_of_seq);
  event.set_time_unix_nanos(as_of_unix_nanos);
  event.set_node(node);
  event.set_type(v1::SNAPSHOT);
  KeyframePart part;
  part.seq = as_of_seq;
  part.time = as_of_unix_nanos;
  std::string record;
  for (const Ordered& o : order) {
    core::ToFlow(*o.record, view.pool(), *event.mutable_flow());
    record.clear();
    AppendEvent(event, record);
    status = AddToKeyframe(record, part);
    if (!status.ok()) return status;
  }
  event.clear_flow();
  event.set_type(v1::SNAPSHOT_END);
  record.clear();
  AppendEvent(event, record);
  status = AddToKeyframe(record, part);
  if (!status.ok()) return status;
  return WriteKeyframePart(part);
}

absl::Status RecordingWriter::AddToKeyframe(const std::string& record,
                                            KeyframePart& part) {
  if (record.size() > options_.max_block_raw) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "a keyframe record of %d bytes is larger than a block", record.size()));
  }
  if (part.events > 0 && (part.payload.size() + record.size() > options_.max_block_raw ||
                          part.events + 1 > options_.max_block_events)) {
    absl::Status status = WriteKeyframePart(part);
    if (!status.ok()) return status;
  }
  part.payload += record;
  ++part.events;
  return absl::OkStatus();
}

absl::Status RecordingWriter::WriteKeyframePart(KeyframePart& part) {
  BlockHeader header;
  header.flags = kBlockFlagKeyframe;
  header.event_count = part.events;
  header.first_seq = header.last_seq = part.seq;
  header.first_time_unix_nanos = header.last_time_unix_nanos = part.time;
  absl::Status status = WriteBlock(header, part.payload);
  part.payload.clear();
  part.events = 0;
  return status;
}

absl::Status RecordingWriter::Close() {
  if (fd_ < 0) return absl::OkStatus();
  absl::Status status = Flush();
  if (status.ok() && options_.sync && fsync(fd_) != 0) {
    status = ErrnoError(errno, "cannot sync", path_);
  }
  if (close(fd_) != 0 && status.ok()) {
    status = ErrnoError(errno, "cannot close", path_);
  }
  fd_ = -1;
  return status;
}

}  // namespace flowtop::replay
