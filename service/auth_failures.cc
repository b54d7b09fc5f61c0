#include "service/auth_failures.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace flowtop::service {

std::string AuthFailures::PeerHost(const std::string& grpc_peer) {
  absl::string_view p = grpc_peer;
  const size_t scheme = p.find(':');
  if (scheme != absl::string_view::npos &&
      (absl::StartsWith(p, "ipv4:") || absl::StartsWith(p, "ipv6:"))) {
    p.remove_prefix(scheme + 1);
  }
  if (absl::StartsWith(p, "[")) {
    const size_t close = p.find(']');
    if (close != absl::string_view::npos) return std::string(p.substr(1, close - 1));
  }
  const size_t colon = p.rfind(':');
  return std::string(colon == absl::string_view::npos ? p : p.substr(0, colon));
}

void AuthFailures::Forget(absl::Time now) {
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto here = it++;
    if (now - here->second.last_failure > kForgetAfter &&
        now >= here->second.locked_until) {
      peers_.erase(here);
    }
  }
  // Still full (many addresses failing at once): drop the oldest.
  while (peers_.size() >= kMaxPeers) {
    auto oldest = std::min_element(
        peers_.begin(), peers_.end(), [](const auto& a, const auto& b) {
          return a.second.last_failure < b.second.last_failure;
        });
    peers_.erase(oldest);
  }
}

absl::Duration AuthFailures::LockedFor(const std::string& peer, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = peers_.find(peer);
  if (it == peers_.end() || now >= it->second.locked_until) return absl::ZeroDuration();
  return it->second.locked_until - now;
}

std::string AuthFailures::RecordFailure(const std::string& peer, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (!peers_.contains(peer) && peers_.size() >= kMaxPeers) Forget(now);
  Peer& p = peers_[peer];
  if (p.failures > 0 && now - p.last_failure > kForgetAfter) p = Peer();
  ++p.failures;
  p.last_failure = now;
  absl::Duration lockout = absl::ZeroDuration();
  if (p.failures > kFreeFailures) {
    const uint64_t doublings = std::min<uint64_t>(p.failures - kFreeFailures - 1, 6);
    lockout = std::min(absl::Seconds(1) * (int64_t{1} << doublings), kMaxLockout);
    p.locked_until = now + lockout;
  }
  if (now - p.last_logged < kLogEvery) {
    ++p.not_logged;
    return "";
  }
  std::string line = absl::StrCat("failed authentication from ", peer, " (",
                                   p.failures, " in a row");
  if (p.not_logged > 0) absl::StrAppend(&line, ", ", p.not_logged, " not logged");
  absl::StrAppend(&line, ")");
  if (lockout > absl::ZeroDuration()) {
    absl::StrAppend(&line, "; refusing it for ", absl::FormatDuration(lockout));
  }
  p.last_logged = now;
  p.not_logged = 0;
  return line;
}

}  // namespace flowtop::service
