// ReplaySource: an EventSource that plays a recording back into the
// pipeline, as if the recorded node were live.
//
// Events keep their recorded seq numbers and times (run the pipeline with
// keep_source_seq = true), so the flow table, rates and everything computed
// from them are identical on every run. Pacing reads the injected Clock: at
// speed 1 an event recorded t seconds after the first one is delivered t
// seconds (of that clock) after the start; speed 4 is four times faster;
// speed 0 ("max") does not wait at all.
//
// Controls (thread-safe, from any thread, e.g. the TUI's input handler):
// pause, step, seek to a recorded time (forwards or backwards, via the
// file's keyframes), speed, loop. A seek reaches the sink as RESYNC_BEGIN,
// DESTROY of every flow delivered so far, a SNAPSHOT of every flow at the
// target time and RESYNC_END, so a FlowTable behind the sink ends up exactly
// equal to the table at that time. Damage in the file reaches the sink as
// LOST events with source RECORDING and the reader's message as detail.
#ifndef FLOWTOP_REPLAY_REPLAY_SOURCE_H_
#define FLOWTOP_REPLAY_REPLAY_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "core/flow_table.h"
#include "flowtop/v1/flowtop.pb.h"
#include "flowtop/v1/recording.pb.h"
#include "replay/reader.h"

namespace flowtop::replay {

struct ReplayOptions {
  // 1 = recorded pace, 4 = four times faster, 0 = as fast as possible.
  double speed = 1.0;
  // Start over (with a resync to the first block) at the end of the file.
  bool loop = false;
  bool start_paused = false;
  // At the end of the file (without loop) keep Run waiting for a seek or
  // Stop instead of returning (the TUI, where the user may go back).
  bool hold_at_end = false;
  // Called on the Run thread with each damage found (the LOST event's
  // detail and the events it lost), e.g. to say it on stderr.
  std::function<void(const std::string& detail, uint64_t events_lost)>
      on_damage;
  // Seek through the file's keyframes (fast). Keyframes hold the table as
  // the recording build computed it; with false a seek rebuilds the table
  // from the first event with this build's rules (slower, but exactly what
  // a straight replay computes even if the table rules changed since).
  bool use_keyframes = true;
  // Begin at this recorded time instead of the first event.
  std::optional<absl::Time> start_at;
  // Largest batch handed to the sink in one Publish.
  size_t max_batch = 4096;
  // Decode every other block on a second thread (RecordingReader's
  // decode-ahead): about twice the read speed where a core is free.
  bool decode_ahead = true;
};

// Returns the time of the last event a ReplaySource delivered: the clock of
// the recorded world, for whatever computes ages or "now" from a replay.
class RecordedClock final : public core::Clock {
 public:
  absl::Time Now() const override {
    return absl::FromUnixNanos(nanos_.load(std::memory_order_acquire));
  }
  void Set(int64_t unix_nanos) { nanos_.store(unix_nanos, std::memory_order_release); }

 private:
  std::atomic<int64_t> nanos_{0};
};

struct ReplayPosition {
  absl::Time first_event;   // recorded time of the first event in the file
  absl::Time last_event;    // ... and of the last one
  absl::Time now;           // recorded time of the last event delivered
  uint64_t seq = 0;         // seq of the last event delivered
  uint64_t events_delivered = 0;
  uint64_t damaged_blocks = 0;
  // One of the damages is a file that ends inside a block (a recorder that
  // was killed or is still writing), as opposed to damage in the middle.
  bool truncated_tail = false;
  bool paused = false;
  bool at_end = false;      // every event was delivered
  bool finished = false;    // Run returned (end of file without loop, or Stop)
  double speed = 1.0;
};

class ReplaySource final : public core::EventSource {
 public:
  // Opens the recording and indexes its blocks (reads block headers only).
  // `clock` paces playback and must outlive the source. Returns the reader's
  // errors (see RecordingReader::Open) and INVALID_ARGUMENT for a negative
  // speed.
  static absl::StatusOr<std::unique_ptr<ReplaySource>> Open(
      const std::string& path, ReplayOptions options,
      const core::Clock& clock);

  // Delivers the recording to `sink`. Returns OK at the end of the file (or
  // on Stop); UNAVAILABLE for an I/O error. Damage is not an error here: it
  // becomes LOST events and playback continues.
  absl::Status Run(core::EventSink& sink) override;
  void Stop() override;

  void Pause();
  void Resume();
  // While paused: delivers the next `events` events at once.
  void Step(size_t events = 1);
  // Jumps to recorded time `t` (clamped to the recording); takes effect on
  // the Run thread before the next event.
  void SeekTo(absl::Time t);
  // Jumps by `delta` of recorded time from the current position.
  void SeekBy(absl::Duration delta);
  // 0 = as fast as possible; negative values are ignored.
  void SetSpeed(double speed);
  void SetLoop(bool loop);
  // Marks the source busy until it has looked at a moved hand-driven clock,
  // so that a following WaitIdle sees its reaction. (The paced wait itself
  // waits through the clock, which wakes it when moved.)
  void ClockChanged();
  // Blocks until the Run thread waits (paused, pacing, or finished) with no
  // command pending, or `timeout` passes. Returns true when idle.
  bool WaitIdle(absl::Duration timeout);

  ReplayPosition position() const;
  const v1::RecordingHeader& header() const { return header_; }
  // Set when the file header was damaged and header() was recovered from
  // the blocks (RecordingReader::header_damage); also delivered as the first
  // LOST event.
  const std::optional<Damage>& header_damage() const {
    return reader_->header_damage();
  }
  const RecordedClock& recorded_clock() const { return recorded_clock_; }
  const std::string& path() const { return path_; }

 private:
  ReplaySource(std::string path, ReplayOptions options,
               const core::Clock& clock,
               std::unique_ptr<RecordingReader> reader);
  absl::Status BuildIndex();
  // Reads the next data block into block_ (skipping keyframes); false at end.
  absl::StatusOr<bool> LoadNextBlock(core::EventSink& sink);
  // Builds the table at `t` and delivers the resync.
  absl::Status DoSeek(absl::Time t, core::EventSink& sink);
  // Run's steps. What the controls ask for next (waits while paused).
  struct Command {
    bool stop = false;
    std::optional<absl::Time> seek;
    bool stepping = false;
    double speed = 0;
  };
  Command NextCommand();
  // At the end of the file: loops (a seek to the start), holds until a seek
  // or Stop, or ends. Returns whether Run goes on.
  bool AtEndOfRecording(uint64_t* delivered_at_loop);
  // The end of the next delivery: while stepping, the step budget's share
  // of the block; while paced, the events due by now on the clock (next_
  // when none is due yet: it waited through the clock for the first).
  struct Pacing {
    absl::Time anchor_wall;
    int64_t anchor_rec = 0;
  };
  size_t StepEnd();
  size_t PacedEnd(double speed, Pacing* pacing);
  // Whether recorded time `t` is due at `speed`; when it is not yet, waits
  // through the clock until it is or a command interrupts, and returns
  // false (the caller looks at the commands again).
  bool DueNow(int64_t t, double speed, Pacing* pacing);
  // An end mark (an empty data block, FORMAT.md) in block_: moves the
  // recorded time to the mark's, at once or (paced) once it is due. Returns
  // false while it is not due yet; true when block_ holds no end mark to
  // pass or it was passed.
  bool PassEndMark(const Command& command, Pacing* pacing);
  // DoSeek's steps: the keyframe to start from (kNoKeyframe: the start of
  // the file), the table at `target` rebuilt from it, the difference to the
  // sink's flows handed over as a resync.
  static constexpr size_t kNoKeyframe = SIZE_MAX;  // (std::optional trips -Wmaybe-uninitialized at -O1)
  struct SeekState {
    core::FlowTable table;
    uint64_t seq = 0;
    std::vector<Damage> damage;
  };
  size_t KeyframeFor(int64_t target, bool restart) const;
  // Whether index_[i] continues the keyframe of index_[i - 1] (a keyframe
  // larger than a block spans consecutive keyframe blocks of one seq).
  bool ContinuesKeyframe(size_t i) const;
  // Applies every block of the keyframe starting at index_[keyframe] to
  // `table`; returns false when its first block cannot be read.
  absl::StatusOr<bool> ApplyKeyframe(size_t keyframe, core::FlowTable& table);
  absl::Status RebuildTable(size_t keyframe, int64_t target, bool restart, SeekState* out);
  void PublishResync(SeekState& state, int64_t target, core::EventSink& sink);
  // Delivers block_.events[begin, end).
  void Deliver(size_t begin, size_t end, core::EventSink& sink);
  void DeliverDamage(core::EventSink& sink);
  void Track(const v1::FlowEvent& event);

  const std::string path_;
  const core::Clock& clock_;
  std::unique_ptr<RecordingReader> reader_;
  const v1::RecordingHeader header_;
  std::vector<BlockInfo> index_;
  size_t max_batch_;
  bool use_keyframes_ = true;
  std::function<void(const std::string&, uint64_t)> on_damage_;

  // Run-thread state.
  Block block_;
  size_t next_ = 0;  // next event in block_
  bool block_valid_ = false;
  // The reader's header_damage() was delivered as a LOST event.
  bool header_damage_reported_ = false;
  // The seq of the rotated file's leading keyframe while its blocks are
  // being delivered (it may span several).
  std::optional<uint64_t> leading_keyframe_;
  absl::flat_hash_set<uint64_t> live_;  // flows the sink holds now (FlowKey)
  uint64_t last_seq_ = 0;
  int64_t last_time_ = 0;
  std::vector<v1::FlowEvent> scratch_;
  RecordedClock recorded_clock_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  size_t step_budget_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::Time> seek_ ABSL_GUARDED_BY(mu_);
  double speed_ ABSL_GUARDED_BY(mu_) = 1.0;
  bool loop_ ABSL_GUARDED_BY(mu_) = false;
  bool idle_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool at_end_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_at_end_ = false;
  bool reanchor_ ABSL_GUARDED_BY(mu_) = true;
  uint64_t clock_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // Position mirrors for position().
  uint64_t pos_seq_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t pos_time_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t damaged_ ABSL_GUARDED_BY(mu_) = 0;
  bool truncated_tail_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time first_event_;
  absl::Time last_event_;
};

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_REPLAY_SOURCE_H_
