// Clock: where flowtop reads the time and waits for it.
//
// Time is injected so that replay and tests see the recorded or hand-moved
// time and produce the same numbers every run; live code uses RealClock.
// The clock also owns waiting (as Envoy's time system does): code that
// waits for a moment waits through its clock, so a test that moves a
// FakeClock wakes it, with no sleep loop and no "the clock changed" call.
#ifndef FLOWTOP_COLLECTOR_CLOCK_H_
#define FLOWTOP_COLLECTOR_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace flowtop::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time. Thread-safe.
  virtual absl::Time Now() const = 0;

  // With `mu` held, waits until `condition` holds or this clock reaches
  // `deadline` (absl::InfiniteFuture(): no deadline), releasing `mu` while
  // waiting, like absl::Mutex::AwaitWithDeadline. Returns the condition's
  // value. The default suits clocks that move at the speed of real time: it
  // waits for `deadline - Now()` of real time.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                                 absl::Time deadline) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (deadline == absl::InfiniteFuture()) {
      mu->Await(condition);
      return true;
    }
    return mu->AwaitWithTimeout(condition, deadline - Now());
  }

  // Blocks until this clock reaches `deadline`.
  void SleepUntil(absl::Time deadline) const {
    absl::Mutex mu;
    absl::MutexLock lock(&mu);
    AwaitWithDeadline(&mu, Never(), deadline);
  }

 private:
  static absl::Condition Never() {
    static const bool never = false;
    return absl::Condition(&never);
  }
};

// The system's wall clock.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                         absl::Time deadline) const override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return mu->AwaitWithDeadline(condition, deadline);
  }
  // Returns a process-wide instance (stateless, so sharing it is safe).
  static Clock& Get() {
    static RealClock* const clock = new RealClock();
    return *clock;
  }
};

}  // namespace flowtop::core

#endif  // FLOWTOP_COLLECTOR_CLOCK_H_
