// ReverseResolver: asynchronous reverse DNS (PTR) lookups with a cache.
//
// Lookup never waits for the network: it answers from the cache (positive
// answers kept for the record's TTL, clamped to [min_ttl, max_ttl]; "no
// name" answers for negative_ttl; timeouts and server failures for
// failure_ttl so a dead server is not hammered), or queues the address and
// returns kPending; the answer arrives later through the callback, on the
// resolver's own thread. The queue is bounded (max_pending addresses waiting
// or in flight; beyond it Lookup returns kDropped and counts it), at most
// max_in_flight queries are outstanding, and concurrent lookups of one
// address share one query.
//
// The resolver is c-ares on one thread that owns the channel. Its queries
// leave through one long-lived UDP socket per server (ARES_FLAG_STAYOPEN), so
// flowtop's own DNS traffic is one conntrack flow, not one per query;
// IsOwnQuery recognises that flow by its exact tuple so the view can hide it.
//
// Sockets are opened by the resolver thread, which is created by Create: the
// resolver queries from the network namespace Create was called in.
#ifndef FLOWTOP_COLLECTOR_ENRICH_REVERSE_DNS_H_
#define FLOWTOP_COLLECTOR_ENRICH_REVERSE_DNS_H_

#include <ares.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector::enrich {

struct ReverseResolverOptions {
  // "127.0.0.1", "127.0.0.1:5353", "[::1]:53"; empty: /etc/resolv.conf.
  std::vector<std::string> servers;
  size_t max_pending = 4096;
  size_t max_in_flight = 64;
  absl::Duration query_timeout = absl::Seconds(2);  // per try
  int tries = 2;
  absl::Duration min_ttl = absl::Seconds(30);
  absl::Duration max_ttl = absl::Hours(1);
  absl::Duration negative_ttl = absl::Minutes(5);
  absl::Duration failure_ttl = absl::Seconds(30);
  // Cached addresses at most. A full cache drops its expired entries, then
  // arbitrary ones, down to 7/8 of this: one sweep per max_cache/8 answers.
  size_t max_cache = 1 << 17;
  // Nice level added to the resolver thread, so that name lookups yield the
  // CPU to the event path.
  int thread_nice = 10;
};

struct ReverseResolverStats {
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;  // lookups that queued or joined a query
  uint64_t queries = 0;       // PTR queries sent
  uint64_t answered = 0;      // queries that gave a name
  uint64_t no_name = 0;       // NXDOMAIN / no PTR record
  uint64_t failed = 0;        // timeouts, refused, server failure
  uint64_t dropped = 0;       // lookups refused: queue full
  uint64_t peak_in_flight = 0;
  uint64_t cache_entries = 0;  // now
  uint64_t cache_sweeps = 0;   // times a full cache was made room in
};

class ReverseResolver {
 public:
  // Receives the address (4 or 16 bytes) and its name ("" when it has none or
  // the lookup failed). Runs on the resolver thread: keep it short.
  using Callback = std::function<void(const std::string& ip, const std::string& name)>;

  enum class Result { kHit, kPending, kDropped };

  // Starts the resolver thread. Returns INVALID_ARGUMENT for a bad server
  // address, UNAVAILABLE when c-ares cannot start (e.g. no resolv.conf).
  static absl::StatusOr<std::unique_ptr<ReverseResolver>> Create(
      ReverseResolverOptions options, const core::Clock& clock, Callback callback);
  ~ReverseResolver();  // cancels outstanding queries and joins the thread

  // Looks up `ip` (4 or 16 bytes). Returns kHit with *name set (possibly ""
  // for a cached "no name") when the cache answers; kPending when the answer
  // will come through the callback; kDropped when the queue is full or `ip`
  // is malformed. Never blocks on the network. Thread-safe.
  Result Lookup(const std::string& ip, std::string* name);

  // True when `flow` is one of this resolver's own queries to its servers
  // (same protocol, local address and port, server address and port).
  bool IsOwnQuery(const v1::Flow& flow) const;

  ReverseResolverStats stats() const;

  // Returns the PTR name for `ip` ("4.3.2.1.in-addr.arpa", nibbles for IPv6),
  // or "" when `ip` is not 4 or 16 bytes.
  static std::string PtrName(absl::string_view ip);

 private:
  struct Query;
  struct OwnSocket {
    int protocol;  // IPPROTO_UDP or IPPROTO_TCP
    std::string local_ip, remote_ip;
    uint32_t local_port, remote_port;
  };
  struct CacheEntry {
    std::string name;
    absl::Time expires;
  };

  ReverseResolver(ReverseResolverOptions options, const core::Clock& clock,
                  Callback callback);
  void Loop();
  void StartQueries();
  void NoteSockets();
  void Wake();
  static void OnAnswer(void* arg, int status, int timeouts, unsigned char* abuf,
                       int alen);
  void Finish(const std::string& ip, int status, const unsigned char* abuf, int alen);

  const ReverseResolverOptions options_;
  const core::Clock& clock_;
  const Callback callback_;
  ares_channel channel_ = nullptr;  // used by the resolver thread only
  std::vector<ares_socket_t> noted_fds_;  // resolver thread only
  bool socket_created_ = false;           // resolver thread only
  bool library_initialized_ = false;
  int wake_fd_ = -1;                // eventfd
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, CacheEntry> cache_ ABSL_GUARDED_BY(mu_);
  // Addresses waiting or in flight (value: true once sent).
  absl::flat_hash_map<std::string, bool> pending_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<OwnSocket> own_sockets_ ABSL_GUARDED_BY(mu_);
  ReverseResolverStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_REVERSE_DNS_H_
