#include "service/event_ring.h"

#include <algorithm>
#include <utility>

#include "absl/container/inlined_vector.h"

#include "absl/strings/str_cat.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace flowtop::service {
namespace {

// Debian's Abseil is built without ThreadSanitizer, so TSAN cannot see
// absl::Mutex hand over ownership. These tell it, at every lock and unlock of
// the ring's mutex, so the ring's own tests can run under TSAN.
// Also used for a batch handed from its last reader back to the writer.
inline void Acquired(const void* object) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(const_cast<void*>(object));
#else
  (void)object;
#endif
}
inline void Releasing(const void* object) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(const_cast<void*>(object));
#else
  (void)object;
#endif
}

class ABSL_SCOPED_LOCKABLE WriterLock {
 public:
  explicit WriterLock(absl::Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->Lock();
    Acquired(mu_);
  }
  ~WriterLock() ABSL_UNLOCK_FUNCTION() {
    Releasing(mu_);
    mu_->Unlock();
  }

 private:
  absl::Mutex* const mu_;
};

class ABSL_SCOPED_LOCKABLE ReaderLock {
 public:
  explicit ReaderLock(absl::Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->ReaderLock();
    Acquired(mu_);
  }
  ~ReaderLock() ABSL_UNLOCK_FUNCTION() {
    Releasing(mu_);
    mu_->ReaderUnlock();
  }

 private:
  absl::Mutex* const mu_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EventRing>> EventRing::Create(
    size_t capacity, bool move_events) {
  if (capacity < 2 || capacity > kMaxCapacity ||
      (capacity & (capacity - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ring size ", capacity, " must be a power of two between 2 and ",
        kMaxCapacity));
  }
  return std::unique_ptr<EventRing>(new EventRing(capacity, move_events));
}

EventRing::EventRing(size_t capacity, bool move_events)
    : capacity_(capacity), move_events_(move_events) {}

void EventRing::Publish(absl::Span<v1::FlowEvent> events) {
  if (events.empty()) return;
  // Fill a private batch without the lock: readers are never held up by it.
  std::shared_ptr<Batch> batch;
  if (!spare_.empty()) {
    batch = std::move(spare_.back());
    spare_.pop_back();
  } else {
    batch = std::make_shared<Batch>();
  }
  batch->events.resize(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    if (move_events_) {
      batch->events[i].Swap(&events[i]);
    } else {
      batch->events[i] = events[i];
    }
  }
  std::vector<std::shared_ptr<Batch>> evicted;
  {
    WriterLock lock(&mu_);
    if (closed_) return;
    batch->first = write_;
    write_ += events.size();
    batches_.push_back(std::move(batch));
    const uint64_t oldest = OldestLocked();
    while (batches_.size() > 1 &&
           batches_.front()->first + batches_.front()->events.size() <=
               oldest) {
      evicted.push_back(std::move(batches_.front()));
      batches_.pop_front();
    }
    more_.SignalAll();
  }
  // Batches that no reader holds are reused; the others are freed by the
  // last reader that lets go of them.
  constexpr size_t kMaxSpare = 8;
  for (std::shared_ptr<Batch>& b : evicted) {
    if (b.use_count() == 1 && spare_.size() < kMaxSpare) {
      Acquired(b.get());
      spare_.push_back(std::move(b));
    }
  }
}

void EventRing::Close() {
  WriterLock lock(&mu_);
  closed_ = true;
  more_.SignalAll();
}

uint64_t EventRing::write_position() const {
  ReaderLock lock(&mu_);
  return write_;
}

uint64_t EventRing::oldest_position() const {
  ReaderLock lock(&mu_);
  return OldestLocked();
}

uint64_t EventRing::fill() const {
  ReaderLock lock(&mu_);
  return std::min<uint64_t>(write_, capacity_);
}

size_t EventRing::BatchIndex(uint64_t position) const {
  size_t lo = 0, hi = batches_.size();  // find the last batch with first <= p
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (batches_[mid]->first <= position) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

const v1::FlowEvent& EventRing::EventAt(uint64_t position) const {
  const Batch& b = *batches_[BatchIndex(position)];
  return b.events[position - b.first];
}

template <typename Pred>
uint64_t EventRing::LowerBound(Pred at_or_after) const {
  uint64_t lo = OldestLocked();
  uint64_t hi = write_;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (at_or_after(EventAt(mid))) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

uint64_t EventRing::PositionOfSeq(uint64_t seq) const {
  ReaderLock lock(&mu_);
  return LowerBound([seq](const v1::FlowEvent& e) { return e.seq() >= seq; });
}

uint64_t EventRing::PositionOfTime(absl::Time t) const {
  const int64_t nanos = absl::ToUnixNanos(t);
  ReaderLock lock(&mu_);
  return LowerBound(
      [nanos](const v1::FlowEvent& e) { return e.time_unix_nanos() >= nanos; });
}

uint64_t EventRing::PositionOfNewest(uint64_t n) const {
  ReaderLock lock(&mu_);
  return write_ - std::min(n, write_ - OldestLocked());
}

RingReader::RingReader(EventRing& ring, uint64_t position)
    : ring_(ring), position_(position) {}

void RingReader::Cancel() {
  WriterLock lock(&ring_.mu_);
  cancelled_ = true;
  ring_.more_.SignalAll();
}

void RingView::Clear() {
  for (Piece& piece : pieces_) {
    // Hands the batch back to the writer's recycling (see Publish).
    Releasing(piece.batch.get());
  }
  pieces_.clear();
  lost_.reset();
  size_ = 0;
}

absl::StatusOr<size_t> RingReader::Read(size_t max_events, absl::Time deadline,
                                        std::vector<v1::FlowEvent>* out) {
  RingView view;
  absl::StatusOr<size_t> n = ReadView(max_events, deadline, &view);
  if (!n.ok()) return n;
  // Copy outside the lock: the batches are immutable and ours while held.
  out->reserve(out->size() + view.size());
  view.ForEach([out](const v1::FlowEvent& e) { out->push_back(e); });
  view.Clear();
  return n;
}

absl::StatusOr<size_t> RingReader::ReadView(size_t max_events,
                                            absl::Time deadline,
                                            RingView* view) {
  view->Clear();
  if (max_events == 0) max_events = 1;
  while (true) {
    {
      // One shared lock for the check and the taking.
      ReaderLock lock(&ring_.mu_);
      if (cancelled_) return absl::CancelledError("reader cancelled");
      if (ring_.write_ > position_) return TakeLocked(max_events, view);
      if (ring_.closed_) {
        return absl::UnavailableError("the event ring was closed");
      }
    }
    WriterLock lock(&ring_.mu_);
    while (!cancelled_ && !ring_.closed_ && ring_.write_ <= position_) {
      Releasing(&ring_.mu_);
      const bool timed_out = ring_.more_.WaitWithDeadline(&ring_.mu_, deadline);
      Acquired(&ring_.mu_);
      if (timed_out && !cancelled_ && !ring_.closed_ &&
          ring_.write_ <= position_) {
        return 0;
      }
    }
  }
}

size_t RingReader::TakeLocked(size_t max_events, RingView* view) {
  size_t appended = 0;
  const uint64_t write = ring_.write_;
  const uint64_t oldest = ring_.OldestLocked();
  if (position_ < oldest) {
    const uint64_t missed = oldest - position_;
    lost_ += missed;
    v1::FlowEvent& lost = view->lost_.emplace();
    lost.set_type(v1::LOST);
    lost.mutable_lost()->set_source(v1::RING);
    lost.mutable_lost()->set_count(missed);
    lost.mutable_lost()->set_detail(absl::StrCat(
        "reader fell more than ", ring_.capacity_,
        " events behind; ring positions ", position_, "..", oldest - 1,
        " were overwritten"));
    // The LOST event carries the time of the first event still held.
    lost.set_time_unix_nanos(ring_.EventAt(oldest).time_unix_nanos());
    ++appended;
    position_ = oldest;
  }
  if (position_ < write && appended < max_events) {
    size_t index = ring_.BatchIndex(position_);
    while (appended < max_events && position_ < write &&
           index < ring_.batches_.size()) {
      const std::shared_ptr<EventRing::Batch>& b = ring_.batches_[index];
      const size_t from = position_ - b->first;
      const size_t take = std::min<size_t>(b->events.size() - from,
                                           max_events - appended);
      view->pieces_.push_back({b, from, from + take});
      position_ += take;
      appended += take;
      ++index;
    }
  }
  view->size_ = appended;
  return appended;
}

}  // namespace flowtop::service
