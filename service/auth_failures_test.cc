#include "service/auth_failures.h"

#include "gtest/gtest.h"

namespace flowtop::service {
namespace {

TEST(AuthFailures, PeerHost) {
  EXPECT_EQ(AuthFailures::PeerHost("ipv4:127.0.0.1:5678"), "127.0.0.1");
  EXPECT_EQ(AuthFailures::PeerHost("ipv6:[::1]:5678"), "::1");
  EXPECT_EQ(AuthFailures::PeerHost("unix:/run/x"), "unix");
}

TEST(AuthFailures, LogsRateLimitedAndLocksOutRepeatedFailures) {
  AuthFailures auth;
  absl::Time now = absl::FromUnixSeconds(1000);
  EXPECT_EQ(auth.RecordFailure("10.0.0.1", now),
            "failed authentication from 10.0.0.1 (1 in a row)");
  EXPECT_EQ(auth.LockedFor("10.0.0.1", now), absl::ZeroDuration());
  for (int i = 2; i <= AuthFailures::kFreeFailures; ++i) {
    EXPECT_EQ(auth.RecordFailure("10.0.0.1", now), "");  // within 10 s
  }
  EXPECT_EQ(auth.LockedFor("10.0.0.1", now), absl::ZeroDuration());
  auth.RecordFailure("10.0.0.1", now);  // the sixth: locked for 1 s
  EXPECT_EQ(auth.LockedFor("10.0.0.1", now), absl::Seconds(1));
  EXPECT_EQ(auth.LockedFor("10.0.0.2", now), absl::ZeroDuration());  // others not
  now += absl::Seconds(1);
  EXPECT_EQ(auth.LockedFor("10.0.0.1", now), absl::ZeroDuration());
  auth.RecordFailure("10.0.0.1", now);
  EXPECT_EQ(auth.LockedFor("10.0.0.1", now), absl::Seconds(2));
  now += absl::Seconds(10);
  EXPECT_EQ(auth.RecordFailure("10.0.0.1", now),
            "failed authentication from 10.0.0.1 (8 in a row, 6 not logged); "
            "refusing it for 4s");
  for (int i = 0; i < 20; ++i) auth.RecordFailure("10.0.0.1", now);
  EXPECT_EQ(auth.LockedFor("10.0.0.1", now), AuthFailures::kMaxLockout);
  // Forgotten after quiet time.
  now += AuthFailures::kForgetAfter + absl::Minutes(1);
  EXPECT_EQ(auth.RecordFailure("10.0.0.1", now),
            "failed authentication from 10.0.0.1 (1 in a row)");
}

}  // namespace
}  // namespace flowtop::service
