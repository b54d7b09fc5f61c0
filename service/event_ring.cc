#include "service/event_ring.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace flowtop::service {
namespace {

// Debian's Abseil is built without ThreadSanitizer, so TSAN cannot see
// absl::Mutex hand over ownership. These tell it, at every lock and unlock of
// the ring's mutex, so the ring's own tests can run under TSAN.
inline void Acquired(absl::Mutex* mu) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(mu);
#else
  (void)mu;
#endif
}
inline void Releasing(absl::Mutex* mu) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(mu);
#else
  (void)mu;
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

absl::StatusOr<std::unique_ptr<EventRing>> EventRing::Create(size_t capacity) {
  if (capacity < 2 || capacity > kMaxCapacity ||
      (capacity & (capacity - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ring size ", capacity, " must be a power of two between 2 and ",
        kMaxCapacity));
  }
  return std::unique_ptr<EventRing>(new EventRing(capacity));
}

EventRing::EventRing(size_t capacity)
    : mask_(capacity - 1), slots_(capacity) {}

void EventRing::Publish(absl::Span<v1::FlowEvent> events) {
  WriterLock lock(&mu_);
  if (closed_) return;
  for (const v1::FlowEvent& event : events) {
    // Assignment reuses the slot's allocations from the lap before.
    slots_[write_ & mask_] = event;
    ++write_;
  }
  more_.SignalAll();
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
  return write_ > slots_.size() ? write_ - slots_.size() : 0;
}

uint64_t EventRing::fill() const {
  ReaderLock lock(&mu_);
  return std::min<uint64_t>(write_, slots_.size());
}

template <typename Pred>
uint64_t EventRing::LowerBound(Pred at_or_after) const {
  uint64_t lo = write_ > slots_.size() ? write_ - slots_.size() : 0;
  uint64_t hi = write_;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (at_or_after(slots_[mid & mask_])) {
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
  const uint64_t oldest = write_ > slots_.size() ? write_ - slots_.size() : 0;
  return write_ - std::min(n, write_ - oldest);
}

RingReader::RingReader(EventRing& ring, uint64_t position)
    : ring_(ring), position_(position) {}

void RingReader::Cancel() {
  WriterLock lock(&ring_.mu_);
  cancelled_ = true;
  ring_.more_.SignalAll();
}

absl::StatusOr<size_t> RingReader::Read(size_t max_events, absl::Time deadline,
                                        std::vector<v1::FlowEvent>* out) {
  if (max_events == 0) max_events = 1;
  while (true) {
    {
      // Shared lock: readers copy concurrently; the writer waits at most for
      // one chunk's copy, never for a reader's consumer.
      ReaderLock lock(&ring_.mu_);
      if (cancelled_) return absl::CancelledError("reader cancelled");
      if (ring_.write_ > position_) return CopyLocked(max_events, out);
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

size_t RingReader::CopyLocked(size_t max_events,
                              std::vector<v1::FlowEvent>* out) {
  size_t appended = 0;
  const uint64_t write = ring_.write_;
  const uint64_t capacity = ring_.slots_.size();
  const uint64_t oldest = write > capacity ? write - capacity : 0;
  if (position_ < oldest) {
    const uint64_t missed = oldest - position_;
    lost_ += missed;
    v1::FlowEvent lost;
    lost.set_type(v1::LOST);
    lost.mutable_lost()->set_source(v1::RING);
    lost.mutable_lost()->set_count(missed);
    lost.mutable_lost()->set_detail(absl::StrCat(
        "reader fell more than ", capacity, " events behind; ring positions ",
        position_, "..", oldest - 1, " were overwritten"));
    // The LOST event carries the time of the first event still held.
    lost.set_time_unix_nanos(
        ring_.slots_[oldest & ring_.mask_].time_unix_nanos());
    out->push_back(std::move(lost));
    ++appended;
    position_ = oldest;
  }
  while (appended < max_events && position_ < write) {
    out->push_back(ring_.slots_[position_ & ring_.mask_]);
    ++position_;
    ++appended;
  }
  return appended;
}

}  // namespace flowtop::service
