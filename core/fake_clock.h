// FakeClock: a Clock that moves only when a test or a replay moves it.
// Waits through it (Clock::AwaitWithDeadline, SleepUntil) end when Set or
// Advance moves it past their deadline, so tests move time by hand.
#ifndef FLOWTOP_COLLECTOR_FAKE_CLOCK_H_
#define FLOWTOP_COLLECTOR_FAKE_CLOCK_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/clock.h"

namespace flowtop::core {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch())
      : now_nanos_(absl::ToUnixNanos(start)) {}

  absl::Time Now() const override {
    return absl::FromUnixNanos(now_nanos_.load(std::memory_order_acquire));
  }
  void Set(absl::Time t) {
    now_nanos_.store(absl::ToUnixNanos(t), std::memory_order_release);
    WakeWaiters();
  }
  void Advance(absl::Duration d) {
    now_nanos_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_acq_rel);
    WakeWaiters();
  }

  // Waits without a real-time limit: only the condition or this clock's
  // time ends the wait.
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                         absl::Time deadline) const override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    struct Args {
      const FakeClock* clock;
      const absl::Condition* condition;
      int64_t deadline;
    } args{this, &condition, deadline == absl::InfiniteFuture()
                                 ? INT64_MAX
                                 : absl::ToUnixNanos(deadline)};
    bool (*ready)(Args*) = [](Args* a) {
      return a->condition->Eval() ||
             a->clock->now_nanos_.load(std::memory_order_acquire) >= a->deadline;
    };
    {
      absl::MutexLock lock(&waiters_mu_);
      waiters_.push_back(mu);
    }
    mu->Await(absl::Condition(ready, &args));
    {
      absl::MutexLock lock(&waiters_mu_);
      waiters_.erase(std::find(waiters_.begin(), waiters_.end(), mu));
    }
    return condition.Eval();
  }

  // Returns how many waits are in progress (tests wait for a waiter to
  // arrive before moving time).
  int waiters() const {
    absl::MutexLock lock(&waiters_mu_);
    return static_cast<int>(waiters_.size());
  }
  // Waits, for at most `timeout` of real time, until exactly `n` waits
  // through this clock are in progress; returns whether they are (a test
  // then moves time knowing the code under test waits for it).
  bool AwaitWaiters(int n, absl::Duration timeout) const {
    absl::MutexLock lock(&waiters_mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(waiters_mu_) {
      return static_cast<int>(waiters_.size()) == n;
    };
    return waiters_mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

 private:
  // absl::Mutex re-evaluates the conditions of its waiters whenever it is
  // released. Each waiter's mutex is released once after the time moved: by
  // us when we can take it, otherwise by whoever holds it now. Never
  // blocks, so a waiter may leave (under its mutex) while we run.
  void WakeWaiters() {
    absl::MutexLock lock(&waiters_mu_);
    for (absl::Mutex* mu : waiters_) {
      if (mu->TryLock()) mu->Unlock();
    }
  }

  std::atomic<int64_t> now_nanos_;
  mutable absl::Mutex waiters_mu_;
  mutable std::vector<absl::Mutex*> waiters_ ABSL_GUARDED_BY(waiters_mu_);
};

}  // namespace flowtop::core

#endif  // FLOWTOP_COLLECTOR_FAKE_CLOCK_H_
