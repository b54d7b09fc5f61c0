// RecordingWriter: appends FlowEvents to one recording file (FORMAT.md).
//
// Events collect in an in-memory block; a block is written with a single
// write() once it reaches the block size or on Flush(), so a process killed
// at any moment leaves a file whose complete blocks all read back and loses
// at most the block it was filling. Keyframes (the whole flow table as
// SNAPSHOT events) are written as blocks of their own between data blocks.
//
// Not thread-safe: the Recorder serialises calls.
#ifndef FLOWTOP_REPLAY_WRITER_H_
#define FLOWTOP_REPLAY_WRITER_H_

#include <zstd.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/flow_table.h"
#include "flowtop/v1/flowtop.pb.h"
#include "flowtop/v1/recording.pb.h"
#include "replay/format.h"

namespace flowtop::replay {

struct WriterOptions {
  // zstd level 1..19 compresses each block; 0 stores blocks uncompressed.
  int zstd_level = 0;
  // A data block is written once its uncompressed payload reaches this size.
  size_t block_size = 64 * 1024;
  // fsync() on Flush() and Close() (a router's power loss, not just a kill).
  bool sync = false;
  // A keyframe larger than this (uncompressed bytes or events) is written
  // as several consecutive keyframe blocks (FORMAT.md); only tests set
  // these below the format's bounds.
  size_t max_block_raw = kMaxBlockRaw;
  uint32_t max_block_events = kMaxBlockEvents;
};

class RecordingWriter {
 public:
  // Creates (or truncates) `path` and writes the file header. Returns
  // INVALID_ARGUMENT for a bad option, or the errno-based error of
  // open()/write() naming the path.
  static absl::StatusOr<std::unique_ptr<RecordingWriter>> Create(
      const std::string& path, const v1::RecordingHeader& header,
      const WriterOptions& options);

  ~RecordingWriter();  // Close()s, ignoring errors (call Close() to see them)
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // Buffers one event, writing the block first when it is full. Returns the
  // write error of a block, if any.
  absl::Status Append(const v1::FlowEvent& event);

  // Writes the buffered events (if any) as a block. Returns write errors.
  absl::Status Flush();

  // Flushes, then writes a keyframe: every flow of `table` as a SNAPSHOT
  // event (seq `as_of_seq`, time `as_of_unix_nanos`, sorted by conntrack id),
  // then SNAPSHOT_END, in as many keyframe blocks as the block bounds need
  // (about 2M flows fill one). Returns write errors.
  absl::Status WriteKeyframe(const core::FlowTable& table,
                             uint64_t as_of_seq, int64_t as_of_unix_nanos,
                             const std::string& node);

  // Flushes, then writes an end mark: an empty data block (no events) whose
  // time is `end_unix_nanos`, so that a reader knows the recording went on,
  // with nothing happening, until then (FORMAT.md, "The end mark"). Writes
  // no mark before the first event, nor for a time not after the last
  // event's.
  absl::Status MarkEnd(int64_t end_unix_nanos);

  // Flushes and closes the file. Returns the first error of flush/fsync/
  // close. Later calls return OK and do nothing.
  absl::Status Close();

  const std::string& path() const { return path_; }
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t events_written() const { return events_written_; }
  uint64_t blocks_written() const { return blocks_written_; }
  // Uncompressed payload bytes of the events written (for bytes/event).
  uint64_t raw_bytes_written() const { return raw_bytes_written_; }
  size_t buffered_events() const { return block_.event_count; }

 private:
  RecordingWriter(std::string path, int fd, const WriterOptions& options);
  // Writes `payload` as one block with `header`'s seq/time/count fields.
  absl::Status WriteBlock(BlockHeader header, const std::string& payload);
  absl::Status WriteAll(const std::string& bytes);
  // A keyframe block being filled: its records, their count, seq and time.
  struct KeyframePart {
    uint64_t seq = 0;
    int64_t time = 0;
    std::string payload;
    uint32_t events = 0;
  };
  // Adds one record, writing the part first when the record would take it
  // beyond the block bounds.
  absl::Status AddToKeyframe(const std::string& record, KeyframePart& part);
  absl::Status WriteKeyframePart(KeyframePart& part);

  const std::string path_;
  int fd_;
  const WriterOptions options_;
  ZSTD_CCtx* cctx_ = nullptr;
  BlockHeader block_;     // seq/time/count of the events in payload_
  std::string payload_;
  std::string compressed_;
  std::string out_;
  uint64_t bytes_written_ = 0;
  uint64_t events_written_ = 0;
  uint64_t blocks_written_ = 0;
  uint64_t raw_bytes_written_ = 0;
  // The seq and time of the last event appended (for the end mark).
  uint64_t last_seq_ = 0;
  int64_t last_time_ = 0;
  bool any_event_ = false;
};

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_WRITER_H_
