// AuthFailures: what flowtopd remembers about failed authentications, per
// peer address, so that guessing the token is slow and never silent.
//
// Each failure may produce a log line naming the peer (at most one per peer
// every kLogEvery, with the count of those not logged). After kFreeFailures
// failures a peer is locked out for a time that doubles with every further
// failure (1 s, 2 s, ... up to kMaxLockout): during it every call from that
// address is refused before the token is compared, so a guesser gets a few
// tries a minute instead of thousands a second. A peer is forgotten after
// kForgetAfter without failures. Thread-safe; time comes from the caller.
#ifndef FLOWTOP_SERVICE_AUTH_FAILURES_H_
#define FLOWTOP_SERVICE_AUTH_FAILURES_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace flowtop::service {

class AuthFailures {
 public:
  static constexpr int kFreeFailures = 5;
  static constexpr absl::Duration kMaxLockout = absl::Seconds(60);
  static constexpr absl::Duration kLogEvery = absl::Seconds(10);
  static constexpr absl::Duration kForgetAfter = absl::Minutes(10);
  static constexpr size_t kMaxPeers = 4096;

  // Returns how long `peer` is still locked out at `now` (zero: not).
  absl::Duration LockedFor(const std::string& peer, absl::Time now);

  // Counts a failure of `peer` at `now`. Returns the line to log, or "" when
  // this peer was logged less than kLogEvery ago.
  std::string RecordFailure(const std::string& peer, absl::Time now);

  // Returns the host part of a gRPC peer string ("ipv4:1.2.3.4:5678" ->
  // "1.2.3.4", "ipv6:[::1]:5678" -> "::1"): failures count per address.
  static std::string PeerHost(const std::string& grpc_peer);

 private:
  struct Peer {
    uint64_t failures = 0;
    absl::Time last_failure;
    absl::Time locked_until;
    absl::Time last_logged = absl::InfinitePast();
    uint64_t not_logged = 0;
  };
  void Forget(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Peer> peers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_AUTH_FAILURES_H_
