#include "core/fake_clock.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

// Real time allowed for a thread to react; only bounds a failing test.
constexpr absl::Duration kReact = absl::Seconds(30);


TEST(FakeClockTest, AdvancePastTheDeadlineEndsAWait) {
  FakeClock clock(absl::FromUnixSeconds(100));
  absl::Mutex mu;
  bool flag = false;
  std::atomic<int> result{-1};
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    result = clock.AwaitWithDeadline(&mu, absl::Condition(&flag),
                                     absl::FromUnixSeconds(110));
  });
  ASSERT_TRUE(clock.AwaitWaiters(1, kReact));
  clock.Advance(absl::Seconds(5));  // not yet
  ASSERT_TRUE(clock.AwaitWaiters(1, kReact));
  EXPECT_EQ(result.load(), -1);
  clock.Advance(absl::Seconds(5));
  waiter.join();
  EXPECT_EQ(result.load(), 0);  // the deadline, not the condition
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(FakeClockTest, TheConditionEndsAWaitBeforeTheDeadline) {
  FakeClock clock;
  absl::Mutex mu;
  bool flag = false;
  std::atomic<int> result{-1};
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    result = clock.AwaitWithDeadline(&mu, absl::Condition(&flag),
                                     absl::InfiniteFuture());
  });
  ASSERT_TRUE(clock.AwaitWaiters(1, kReact));
  clock.Advance(absl::Hours(24 * 365));  // no deadline: time alone never ends it
  ASSERT_TRUE(clock.AwaitWaiters(1, kReact));
  {
    absl::MutexLock lock(&mu);
    flag = true;
  }
  waiter.join();
  EXPECT_EQ(result.load(), 1);
}

TEST(FakeClockTest, SleepUntilWakesWhenSet) {
  FakeClock clock(absl::FromUnixSeconds(1));
  absl::Notification woke;
  std::thread sleeper([&] {
    clock.SleepUntil(absl::FromUnixSeconds(60));
    woke.Notify();
  });
  ASSERT_TRUE(clock.AwaitWaiters(1, kReact));
  EXPECT_FALSE(woke.HasBeenNotified());
  clock.Set(absl::FromUnixSeconds(60));
  EXPECT_TRUE(woke.WaitForNotificationWithTimeout(kReact));
  sleeper.join();
}

TEST(FakeClockTest, APastDeadlineDoesNotWait) {
  FakeClock clock(absl::FromUnixSeconds(10));
  absl::Mutex mu;
  bool flag = false;
  absl::MutexLock lock(&mu);
  EXPECT_FALSE(clock.AwaitWithDeadline(&mu, absl::Condition(&flag),
                                       absl::FromUnixSeconds(5)));
}

TEST(RealClockTest, AwaitsUntilTheDeadline) {
  absl::Mutex mu;
  bool flag = false;
  absl::MutexLock lock(&mu);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(RealClock::Get().AwaitWithDeadline(
      &mu, absl::Condition(&flag), start + absl::Milliseconds(20)));
  EXPECT_GE(absl::Now(), start + absl::Milliseconds(20));
}

}  // namespace
}  // namespace flowtop::core
