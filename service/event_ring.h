// EventRing: the node's recent history of flow events, shared by every
// client stream.
//
// A fixed, power-of-two capacity of events with a 64-bit write cursor that
// only grows. There is one writer (the Pipeline, which already serialises
// publishing) and any number of readers. The writer never waits for a reader
// to make progress: events are stored as immutable, reference-counted
// batches; the writer fills a batch without the lock and holds the lock only
// to append it (and drop batches that fell out of the capacity); a reader
// holds the lock (shared) only to take references to the batches it will
// copy from, and copies after releasing it. Batches nobody reads any more
// are recycled, so the steady state allocates nothing. A reader that falls
// more than `capacity` events behind is lapped: the events it missed are
// gone, and its next read starts with one in-band LOST{source: RING, count:
// exactly how many} event.
//
// Readers wait for new events on the ring's lock (no sleeping), with a
// deadline on their clock (core/clock.h: a test's FakeClock moves it), and
// can be cancelled from another thread. Closing the
// ring ends every reader's wait (daemon shutdown).
//
// Positions: a position is an index into the ring's history (0 for the first
// event ever written). Positions and event sequence numbers both grow, so a
// sequence number or a time maps to a position by binary search.
#ifndef FLOWTOP_SERVICE_EVENT_RING_H_
#define FLOWTOP_SERVICE_EVENT_RING_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::service {

class RingReader;

class EventRing final : public core::EventSink {
 public:
  static constexpr size_t kDefaultCapacity = size_t{1} << 16;
  static constexpr size_t kMaxCapacity = size_t{1} << 26;

  // Returns a ring of `capacity` events, or INVALID_ARGUMENT when capacity
  // is not a power of two between 2 and kMaxCapacity. With `move_events`,
  // Publish takes the caller's events (swapping recycled ones back into the
  // span, whose contents are then unspecified): use it when the ring is the
  // pipeline's last sink. Otherwise Publish copies.
  static absl::StatusOr<std::unique_ptr<EventRing>> Create(
      size_t capacity, bool move_events = false);

  // Stores the batch (see move_events). Never waits for a reader's progress.
  // Only one thread may publish at a time. After Close() events are dropped.
  void Publish(absl::Span<v1::FlowEvent> events) override;

  // Ends every reader's wait; reads then return what is left, then
  // UNAVAILABLE. Idempotent.
  void Close();

  size_t capacity() const { return capacity_; }
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
  friend class RingView;

  // Events published together; immutable once appended to batches_.
  struct Batch {
    uint64_t first = 0;  // position of events[0]
    std::vector<v1::FlowEvent> events;
    // The events serialised once, on first demand, for every stream that
    // sends them (see RingView::ForEachWire): events[i]'s bytes are
    // wire[offsets[i] .. offsets[i+1]).
    mutable absl::Mutex wire_mu;
    mutable bool wire_ready ABSL_GUARDED_BY(wire_mu) = false;
    mutable std::string wire;
    mutable std::vector<uint32_t> offsets;
  };
  // Serialises b's events into b.wire unless done already; returns once
  // b.wire and b.offsets may be read (they stay unchanged while held).
  static void EnsureWire(const Batch& b);

  EventRing(size_t capacity, bool move_events);

  uint64_t OldestLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return write_ > capacity_ ? write_ - capacity_ : 0;
  }
  // Returns the index in batches_ of the batch holding `position`, which
  // must be in [front's first, write_).
  size_t BatchIndex(uint64_t position) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  const v1::FlowEvent& EventAt(uint64_t position) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Returns the first position in [oldest, write) whose event satisfies
  // `at_or_after`, which must be monotonic over positions.
  template <typename Pred>
  uint64_t LowerBound(Pred at_or_after) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const uint64_t capacity_;
  const bool move_events_;
  // Batches no reader holds, ready for reuse, and batches dropped from the
  // ring that readers may still hold. Writer only.
  std::vector<std::shared_ptr<Batch>> spare_;
  std::vector<std::shared_ptr<Batch>> retired_;
  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<Batch>> batches_ ABSL_GUARDED_BY(mu_);
  uint64_t write_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Events a reader got from the ring without copying them: the ring's own
// immutable events, valid (and unchanged) as long as the view holds them.
// Reuse one view across reads; each read replaces its contents.
class RingView {
 public:
  RingView() = default;
  RingView(const RingView&) = delete;
  RingView& operator=(const RingView&) = delete;
  ~RingView() { Clear(); }

  // Calls fn(const v1::FlowEvent&) for each event in order (a LOST first
  // when the reader was lapped).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (lost_.has_value()) fn(*lost_);
    for (const Piece& p : pieces_) {
      for (size_t i = p.from; i < p.to; ++i) fn(p.batch->events[i]);
    }
  }
  // As ForEach, with each event's serialisation (a FlowEvent's bytes),
  // made once per batch for all readers. The LOST event a lapped reader gets
  // has no bytes here (empty view): serialise it yourself.
  template <typename Fn>
  void ForEachWire(Fn&& fn) const {
    if (lost_.has_value()) fn(*lost_, absl::string_view());
    for (const Piece& p : pieces_) {
      EventRing::EnsureWire(*p.batch);
      for (size_t i = p.from; i < p.to; ++i) {
        fn(p.batch->events[i],
           absl::string_view(p.batch->wire)
               .substr(p.batch->offsets[i],
                       p.batch->offsets[i + 1] - p.batch->offsets[i]));
      }
    }
  }
  size_t size() const { return size_; }
  // Lets go of the ring's events.
  void Clear();

 private:
  friend class RingReader;
  struct Piece {
    std::shared_ptr<const EventRing::Batch> batch;
    size_t from, to;
  };
  std::optional<v1::FlowEvent> lost_;
  absl::InlinedVector<Piece, 4> pieces_;
  size_t size_ = 0;
};

// One reader's progress through the ring. Not thread-safe except Cancel().
class RingReader {
 public:
  // Starts reading at `position` (from EventRing::PositionOf*). A position
  // already overwritten is reported as lost on the first read. Read
  // deadlines are times of `clock`, which must outlive the reader.
  RingReader(EventRing& ring, uint64_t position,
             const core::Clock& clock = core::RealClock::Get());

  // Waits until an event is available at the reader's position, the deadline
  // passes, the reader is cancelled or the ring is closed, then appends up to
  // `max_events` (>= 1) events to `out`. If the reader was lapped, the first
  // appended event is LOST{source: RING, count} (counted in max_events).
  // Returns the number of events appended (0 at the deadline);
  // CANCELLED after Cancel(); UNAVAILABLE once the ring is closed and the
  // reader has read everything.
  absl::StatusOr<size_t> Read(size_t max_events, absl::Time deadline,
                              std::vector<v1::FlowEvent>* out);

  // As Read, but without copying: the view refers to the ring's events.
  absl::StatusOr<size_t> ReadView(size_t max_events, absl::Time deadline,
                                  RingView* view);

  // Makes a waiting or future Read return CANCELLED. Thread-safe.
  void Cancel();

  uint64_t position() const { return position_; }
  // Returns the total number of events this reader lost to lapping.
  uint64_t lost() const { return lost_; }

 private:
  // Fills the view with up to max_events from position_ (a LOST first when
  // lapped): references only, the copying is the caller's, after the lock.
  // Returns how many.
  size_t TakeLocked(size_t max_events, RingView* view)
      ABSL_SHARED_LOCKS_REQUIRED(ring_.mu_);

  EventRing& ring_;
  const core::Clock& clock_;
  uint64_t position_;
  uint64_t lost_ = 0;
  bool cancelled_ ABSL_GUARDED_BY(ring_.mu_) = false;
};

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_EVENT_RING_H_
