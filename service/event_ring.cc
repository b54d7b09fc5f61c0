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
  {
    // Ours alone (new, or recycled with no reader left): forget its bytes.
    WriterLock lock(&batch->wire_mu);
    batch->wire_ready = false;
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
  }
  // Dropped batches are reused once no reader holds them any more; batches
  // readers keep for long are let go (their last reader frees them).
  constexpr size_t kMaxRetired = 64;
  constexpr size_t kMaxSpare = 16;
  for (std::shared_ptr<Batch>& b : evicted) retired_.push_back(std::move(b));
  size_t kept = 0;
  for (size_t i = 0; i < retired_.size(); ++i) {
    std::shared_ptr<Batch>& b = retired_[i];
    if (b.use_count() == 1 && spare_.size() < kMaxSpare) {
      Acquired(b.get());
      spare_.push_back(std::move(b));
    } else if (retired_.size() - i > kMaxRetired - kept) {
      b.reset();  // too many held for too long
    } else {
      retired_[kept++] = std::move(b);
    }
  }
  retired_.resize(kept);
}

void EventRing::EnsureWire(const Batch& b) {
  WriterLock lock(&b.wire_mu);
  if (b.wire_ready) return;
  b.wire.clear();
  b.offsets.assign(1, 0);
  for (const v1::FlowEvent& e : b.events) {
    const size_t at = b.wire.size();
    b.wire.resize(at + e.ByteSizeLong());
    e.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(&b.wire[at]));
    b.offsets.push_back(static_cast<uint32_t>(b.wire.size()));
  }
  b.wire_ready = true;
}

void EventRing::Close() {
  WriterLock lock(&mu_);
  closed_ = true;
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

RingReader::RingReader(EventRing& ring, uint64_t position,
                       const core::Clock& clock)
    : ring_(ring), clock_(clock), position_(position) {}

void RingReader::Cancel() {
  // Releasing the lock wakes a waiting read (its condition is re-evaluated).
  WriterLock lock(&ring_.mu_);
  cancelled_ = true;
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
    // Waits through the clock: a test's FakeClock ends the wait when it
    // passes the deadline. Publish, Close and Cancel end it by releasing
    // the ring's lock (absl::Mutex re-evaluates its waiters' conditions).
    WriterLock lock(&ring_.mu_);
    // absl evaluates the condition with the lock held, maybe on the thread
    // that releases it: tell TSAN (see Acquired).
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ring_.mu_) {
      Acquired(&ring_.mu_);
      const bool ready =
          cancelled_ || ring_.closed_ || ring_.write_ > position_;
      Releasing(&ring_.mu_);
      return ready;
    };
    Releasing(&ring_.mu_);
    const bool woken =
        clock_.AwaitWithDeadline(&ring_.mu_, absl::Condition(&ready), deadline);
    Acquired(&ring_.mu_);
    if (!woken) return 0;
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
