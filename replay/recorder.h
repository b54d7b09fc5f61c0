// Recorder: an EventSink that writes the events it receives to a recording
// file, with keyframes, an optional filter and rotation for long captures.
//
// It sits behind the pipeline like any other sink (flowtop record, or a
// flowtopd that records while it serves). Keyframes describe exactly the
// recorded stream: with a filter the recorder keeps its own FlowTable of
// what it recorded; without one it may read the pipeline's table
// (RecorderOptions::table), which then holds exactly the recorded events,
// instead of keeping a second copy of every flow (~230 bytes a flow).
// A write error (disk full) stops recording; status() returns it and the
// caller ends the capture with that message. Thread-safe.
#ifndef FLOWTOP_REPLAY_RECORDER_H_
#define FLOWTOP_REPLAY_RECORDER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "core/flow_table.h"
#include "flowtop/v1/flowtop.pb.h"
#include "flowtop/v1/recording.pb.h"
#include "replay/writer.h"

namespace flowtop::replay {

struct RecorderOptions {
  std::string path;
  WriterOptions writer;
  // node, hostname and options are written as given; start time, tool
  // version, capture id and file index are filled in by the recorder.
  v1::RecordingHeader header;
  // Rotation: 0 disables. See FORMAT.md ("Rotation"). Every file starts
  // with a keyframe of the whole table; when that keyframe takes more than
  // half of max_size_bytes the recording stops with FAILED_PRECONDITION
  // naming the size needed (files would hold almost nothing but keyframes).
  uint64_t max_size_bytes = 0;
  uint32_t max_files = 0;
  // Recorded time between keyframes (see FORMAT.md); 0 disables keyframes.
  absl::Duration keyframe_interval = absl::Seconds(10);
  // Keep only events for which this returns true (null: keep all).
  std::function<bool(const v1::FlowEvent&)> filter;
  // Without a filter: the table every published event was applied to
  // before Publish (core::Pipeline::PublishedTable()), read only inside
  // Publish. The recorder then keeps no table of its own, and writes
  // keyframes and rotates at the end of a batch (when the table is as of
  // its last event), not in the middle of one. Ignored with a filter.
  const core::FlowTable* table = nullptr;
  // Stop after this many recorded events (0: no limit); `on_limit` is then
  // called once, on the publishing thread, with the recorder's lock released.
  uint64_t max_events = 0;
  std::function<void()> on_limit;
};

struct RecorderStats {
  uint64_t events = 0;        // recorded (after the filter)
  uint64_t filtered_out = 0;
  uint64_t bytes = 0;         // written to all files, headers included
  uint64_t raw_bytes = 0;     // uncompressed payload bytes
  uint64_t blocks = 0;
  uint64_t keyframes = 0;
  uint64_t files = 1;         // files started (rotation)
  // Files of this capture deleted by --max-files (rotation), and the
  // recorded events they held: the user's choice, reported, never silent.
  uint64_t files_deleted = 0;
  uint64_t events_deleted = 0;
  uint64_t lost_reported = 0; // LOST events seen in the stream, summed
  size_t flows = 0;           // flows in the recorded table now
};

class Recorder final : public core::EventSink {
 public:
  // Creates the first file and writes its header. `clock` stamps the start
  // time. Returns the writer's errors (bad options, cannot create the file).
  static absl::StatusOr<std::unique_ptr<Recorder>> Create(
      RecorderOptions options, const core::Clock& clock);
  ~Recorder() override;

  // Records the batch. Never blocks on anything but the disk.
  void Publish(absl::Span<v1::FlowEvent> events) override;

  // Writes buffered events as a block (call about once a second so a crash
  // loses at most that much). Returns the recorder's error, if any.
  absl::Status Flush();

  // Flushes and closes the current file; later events are ignored. Returns
  // the first error the recorder met. Unless the event limit ended the
  // recording, the file gets an end mark (FORMAT.md): the last event's time
  // plus the time since it arrived on the recorder's clock, so a recording
  // of idle flows replays as long as it ran.
  absl::Status Close();

  // OK, or the write error that stopped recording.
  absl::Status status() const;
  RecorderStats stats() const;
  // True once max_events were recorded.
  bool limit_reached() const;

 private:
  Recorder(RecorderOptions options, const core::Clock& clock);
  absl::Status OpenFile() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Rotate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Renames F -> F.1 -> F.2 ..., deleting the oldest beyond max_files.
  absl::Status ShiftFiles() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes `path`, the file `age` rotations old (0: the live file).
  void DeleteFile(const std::string& path, size_t age) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The error when a new file's leading keyframe leaves too little room.
  absl::Status CheckRoomAfterKeyframe() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Record(const v1::FlowEvent& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After events were recorded: a keyframe when one is due, a new file when
  // this one is full.
  absl::Status KeyframeOrRotate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The recorded table: the pipeline's (options_.table) or table_.
  const core::FlowTable& Table() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return shared_table_ ? *options_.table : table_;
  }
  absl::Status Keyframe() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AccountWriter() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RecorderOptions options_;
  const bool shared_table_;  // options_.table without a filter
  const core::Clock& clock_;
  mutable absl::Mutex mu_;
  std::unique_ptr<RecordingWriter> writer_ ABSL_GUARDED_BY(mu_);
  core::FlowTable table_ ABSL_GUARDED_BY(mu_);  // unused with shared_table_
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  RecorderStats stats_ ABSL_GUARDED_BY(mu_);
  // Totals of closed files, so stats survive rotation.
  uint64_t closed_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t closed_raw_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t closed_blocks_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t file_index_ ABSL_GUARDED_BY(mu_) = 0;
  // Recorded events per file of this capture still on disk: [0] is the live
  // file F, [i] is F.i.
  std::deque<uint64_t> file_events_ ABSL_GUARDED_BY(mu_) = {0};
  std::string capture_id_;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_time_ ABSL_GUARDED_BY(mu_) = 0;
  // When the last event arrived, on clock_ (the end mark counts from it:
  // the node's clock and ours may differ).
  absl::Time last_arrival_ ABSL_GUARDED_BY(mu_);
  int64_t last_keyframe_time_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t bytes_at_last_keyframe_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_keyframe_size_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool limit_reached_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_RECORDER_H_
