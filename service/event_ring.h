// EventRing: the node's recent history of flow events, shared by every
// client stream.
//
// A fixed, power-of-two array of events with a 64-bit write cursor that only
// grows. There is one writer (the Pipeline, which already serialises
// publishing) and any number of readers. The writer never waits for a reader
// to make progress: it holds the ring's lock only while it copies its batch
// in, and a reader holds it (shared) only while it copies at most one chunk
// out. A reader that falls more than `capacity` events behind is lapped: the
// events it missed are gone, and its next read starts with one in-band
// LOST{source: RING, count: exactly how many} event.
//
// Readers wait for new events on the ring's condition variable (no sleeping),
// with a deadline, and can be cancelled from another thread. Closing the
// ring ends every reader's wait (daemon shutdown).
//
// Positions: a position is an index into the ring's history (0 for the first
// event ever written). Positions and event sequence numbers both grow, so a
// sequence number or a time maps to a position by binary search.
#ifndef FLOWTOP_SERVICE_EVENT_RING_H_
#define FLOWTOP_SERVICE_EVENT_RING_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collector/event_source.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::service {

class RingReader;

class EventRing final : public collector::EventSink {
 public:
  static constexpr size_t kDefaultCapacity = size_t{1} << 16;
  static constexpr size_t kMaxCapacity = size_t{1} << 26;

  // Returns a ring of `capacity` events, or INVALID_ARGUMENT when capacity
  // is not a power of two between 2 and kMaxCapacity.
  static absl::StatusOr<std::unique_ptr<EventRing>> Create(size_t capacity);

  // Copies the batch in (the caller keeps its events). Never waits for a
  // reader's progress. After Close() events are dropped.
  void Publish(absl::Span<v1::FlowEvent> events) override;

  // Ends every reader's wait; reads then return what is left, then
  // UNAVAILABLE. Idempotent.
  void Close();

  size_t capacity() const { return slots_.size(); }
  // Returns the write cursor: the number of events ever written.
  uint64_t write_position() const;
  // Returns the position of the oldest event still held.
  uint64_t oldest_position() const;
  // Returns how many events the ring holds now (<= capacity).
  uint64_t fill() const;

  // Returns the position of the first held event whose sequence number is
  // >= seq (the write cursor when there is none). When seq is older than
  // everything held, that is oldest_position(): the caller learns the loss
  // from the first read if it asked for an older start (see RingReader).
  uint64_t PositionOfSeq(uint64_t seq) const;
  // Returns the position of the first held event at or after `t`.
  uint64_t PositionOfTime(absl::Time t) const;
  // Returns the position where the newest `n` events start.
  uint64_t PositionOfNewest(uint64_t n) const;

 private:
  friend class RingReader;
  explicit EventRing(size_t capacity);

  // Returns the first position in [oldest, write) whose event satisfies
  // `at_or_after`, which must be monotonic over positions.
  template <typename Pred>
  uint64_t LowerBound(Pred at_or_after) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const uint64_t mask_;
  mutable absl::Mutex mu_;
  std::vector<v1::FlowEvent> slots_ ABSL_GUARDED_BY(mu_);
  uint64_t write_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // Signalled when events arrive, on Close() and on a reader's Cancel().
  absl::CondVar more_;
};

// One reader's progress through the ring. Not thread-safe except Cancel().
class RingReader {
 public:
  // Starts reading at `position` (from EventRing::PositionOf*). A position
  // already overwritten is reported as lost on the first read.
  RingReader(EventRing& ring, uint64_t position);

  // Waits until an event is available at the reader's position, the deadline
  // passes, the reader is cancelled or the ring is closed, then appends up to
  // `max_events` (>= 1) events to `out`. If the reader was lapped, the first
  // appended event is LOST{source: RING, count} (counted in max_events).
  // Returns the number of events appended (0 at the deadline);
  // CANCELLED after Cancel(); UNAVAILABLE once the ring is closed and the
  // reader has read everything.
  absl::StatusOr<size_t> Read(size_t max_events, absl::Time deadline,
                              std::vector<v1::FlowEvent>* out);

  // Makes a waiting or future Read return CANCELLED. Thread-safe.
  void Cancel();

  uint64_t position() const { return position_; }
  // Returns the total number of events this reader lost to lapping.
  uint64_t lost() const { return lost_; }

 private:
  // Appends up to max_events from position_ (a LOST first when lapped).
  // Returns how many were appended.
  size_t CopyLocked(size_t max_events, std::vector<v1::FlowEvent>* out)
      ABSL_SHARED_LOCKS_REQUIRED(ring_.mu_);

  EventRing& ring_;
  uint64_t position_;
  uint64_t lost_ = 0;
  bool cancelled_ ABSL_GUARDED_BY(ring_.mu_) = false;
};

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_EVENT_RING_H_
