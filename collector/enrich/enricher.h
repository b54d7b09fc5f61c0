// Enricher: adds who, to whom, where and what to flows, off the event path.
//
// It is an EventSink plugged into the collector's Pipeline (AddSink). On NEW
// and SNAPSHOT events it only copies the tuple into a bounded queue (when the
// queue is full the flow is counted in skipped and left unenriched: the
// caller's thread never waits). Worker threads then look up, per flow:
//   * the processes at both ends (sock_diag + /proc; "-" when none),
//   * GeoIP for both addresses, the service name from the ports,
//   * reverse DNS for both addresses from the cache,
// and publish one ENRICH event (a v1::Flow with conntrack_id and enrichment
// only) back into the Pipeline. Reverse-DNS answers that are not cached yet
// arrive later as further ENRICH events carrying just the hostname.
//
// ENRICH events go back in batches so that they cost the collector's event
// path little: a worker waits until kPublishBatch flows (or names) are
// waiting, or at most kMaxBatchDelay (50 ms) after the first one arrived,
// then publishes all results of that round with one Pipeline::Publish.
// Every wait (the batching delay, giving way to a busy Pipeline) is on the
// injected Clock, so a test's FakeClock drives them.
//
// flowtop's own DNS traffic: the resolver sends every query through one
// long-lived socket per server, so it is one flow; that flow (recognised by
// its exact tuple, or as a port-53 flow whose source process is flowtop
// itself) gets Enrichment.own_traffic = true, no DNS lookups of its own, and
// views hide it by default.
//
// Results for a flow destroyed (or its conntrack id reused) before they were
// ready are dropped, never attached to the wrong flow.
//
// Create the Enricher in the network namespace it observes: its threads and
// sockets (sock_diag, DNS) stay in the namespace of the creating thread.
//
// Lifetime: the Pipeline must outlive the Enricher (workers publish into
// it), and the sources must be stopped before the Enricher is destroyed (the
// Pipeline keeps calling its sinks).
#ifndef FLOWTOP_COLLECTOR_ENRICH_ENRICHER_H_
#define FLOWTOP_COLLECTOR_ENRICH_ENRICHER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/clock.h"
#include "collector/enrich/cgroup.h"
#include "collector/enrich/geoip.h"
#include "collector/enrich/proc_index.h"
#include "collector/enrich/process_attribution.h"
#include "collector/enrich/reverse_dns.h"
#include "collector/enrich/services.h"
#include "collector/enrich/sock_diag.h"
#include "collector/enrich/socket_owners.h"
#include "core/event_source.h"
#include "core/pipeline.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector::enrich {

struct EnricherOptions {
  bool no_dns = false;      // -n/--no-dns
  bool no_geoip = false;    // -G/--no-geoip
  bool no_process = false;  // process attribution off
  // --no-bpf: no eBPF recorder; sockets only through sock_diag (short-lived
  // client connections may then show "-").
  bool no_bpf = false;
  GeoIpOptions geoip;       // database files and search path
  // tcp.conf, udp.conf (empty: FindConfFile), /etc/services.
  ServiceFiles services;
  ReverseResolverOptions dns;
  size_t max_queue = 1 << 16;  // flows waiting for a worker
  int workers = 1;
  // Workers run at this nice level (relative to the process) so that on a
  // busy machine the event path wins the CPU over enrichment.
  int worker_nice = 10;
};

// The lookups an Enricher uses; Create builds the real ones, tests and
// benchmarks may pass fakes. Null members turn that enrichment off.
// Which process attribution is in use, said once (status line, GetStatus,
// --check).
struct AttributionMode {
  // "ebpf": the kernel's records first, sock_diag for the rest;
  // "sock_diag": no eBPF; "off": no process attribution.
  std::string mode = "off";
  std::string detail;  // why not eBPF ("--no-bpf", or what failed)
};

// One line for the status line and logs: "process attribution: eBPF", or
// "process attribution: sock_diag only (DETAIL); short-lived client
// connections may show \"-\"".
std::string DescribeAttribution(const AttributionMode& mode);

struct EnricherParts {
  std::unique_ptr<SocketLookup> sockets;
  std::unique_ptr<SocketOwnerLookup> owners;  // eBPF records; may be null
  std::unique_ptr<CgroupPaths> cgroups;       // may be null
  AttributionMode attribution;
  std::unique_ptr<ProcessLookup> processes;
  std::unique_ptr<LocalAddresses> local;
  std::unique_ptr<GeoIp> geoip;
  std::unique_ptr<ServiceNames> services;
  std::optional<ReverseResolverOptions> dns;  // nullopt: no reverse DNS
  size_t max_queue = 1 << 16;
  int workers = 1;
  int worker_nice = 10;
};

struct EnricherStats {
  uint64_t queued = 0;
  uint64_t skipped = 0;         // queue full: flow left unenriched
  uint64_t enriched = 0;        // ENRICH events with process/geo/service
  uint64_t hostname_events = 0;  // later ENRICH events with DNS answers
  uint64_t stale = 0;           // results dropped: flow gone or id reused
  uint64_t own_traffic = 0;     // flows marked as flowtop's own DNS
  uint64_t dns_waiters_dropped = 0;
};

class Enricher final : public core::EventSink {
 public:
  // Flows (and hostname answers) a worker takes per round; their ENRICH
  // events are published together.
  static constexpr size_t kPublishBatch = 512;
  // Longest a flow waits for its round to start when fewer than
  // kPublishBatch are waiting (latency added by batching).
  static constexpr absl::Duration kMaxBatchDelay = absl::Milliseconds(50);
  // A round's ENRICH events give way to the event path: while another
  // publisher holds the Pipeline (the collector's source during a burst)
  // the round waits, and is tried again every kYieldPoll, for at most
  // kMaxYield, before it waits for the Pipeline like any publisher. Only one
  // round waits at a time: meanwhile the worker moves what is queued to its
  // own backlog (so the queue the collector writes stays short and in
  // cache) and makes no lookups (they would compete for the CPU).
  static constexpr absl::Duration kYieldPoll = absl::Milliseconds(1);
  static constexpr absl::Duration kMaxYield = absl::Milliseconds(100);

  // Builds the real lookups from `options` and starts the workers. Never
  // fails: what is unavailable (no GeoIP database, no sock_diag, no
  // resolver, bad conf lines) is left out and explained in hints().
  static std::unique_ptr<Enricher> Create(const EnricherOptions& options,
                                          core::EventSink& out, const core::Clock& clock);
  // Starts workers over the given parts; `out` (the Pipeline) must outlive
  // the Enricher. Problems found while building the parts go in `hints`.
  Enricher(EnricherParts parts, core::EventSink& out, const core::Clock& clock,
           std::vector<std::string> hints = {});
  ~Enricher() override;  // stops and joins the workers and the resolver

  // Queues NEW and SNAPSHOT flows, forgets DESTROYed ones; ignores the rest
  // (a batch of only other events, like its own ENRICH events coming back
  // through the Pipeline, takes no lock). Never blocks on lookups: takes one
  // short lock.
  void Publish(absl::Span<v1::FlowEvent> events) override;

  // One line each: what is off and how to turn it on (shown once by the UI).
  const std::vector<std::string>& hints() const { return hints_; }
  EnricherStats stats() const;
  // The parts' own counters, for status views and benchmarks (null when off).
  const ReverseResolver* resolver() const { return resolver_.get(); }
  const ProcessAttributor* attributor() const { return attributor_.get(); }
  const AttributionMode& attribution_mode() const { return attribution_; }
  // The eBPF records (a BpfOwners when mode is "ebpf"; null otherwise).
  const SocketOwnerLookup* owners() const { return owners_.get(); }

  // Blocks until every queued flow and every hostname answer received so far
  // has been handled (published or dropped); workers skip the batching delay
  // meanwhile (tests, benchmarks).
  void Drain();

 private:
  // What a worker needs of a flow, copied without allocating (the caller's
  // thread pays only for this copy).
  struct Job {
    uint64_t id;  // FlowKey
    bool destroy;  // the flow ended (or its NEW was skipped): no other field
    uint64_t generation;
    int64_t first_seen;  // the flow's, as the Pipeline's table has it
    int protocol;
    uint8_t ip_len;        // 4 or 16 (0: no addresses)
    uint8_t reply_ip_len;  // 0 when the flow has no reply tuple
    uint16_t ports[4];     // original src, dst; reply src, dst
    char ips[4][16];       // same order
  };
  static v1::Flow ToFlow(const Job& job);
  struct Waiter {
    uint64_t id;  // FlowKey
    uint64_t generation;
    int64_t first_seen;
    bool src;  // which end the address is
  };
  // A reverse-DNS answer for one end of a flow, waiting for a worker.
  struct Name {
    Waiter waiter;
    std::string name;
  };

  // A worker's round of ENRICH events, waiting to be published.
  struct Round {
    struct Owner {
      uint64_t id;  // FlowKey
      uint64_t generation;
      bool flow;  // a flow's enrichment (else a hostname answer)
    };
    std::vector<v1::FlowEvent> events;
    std::vector<Owner> owners;  // one per event
    absl::Time since;           // when it was ready
    size_t taken = 0;           // jobs and names it took (busy_)
    size_t from_backlog = 0;    // jobs not yet taken off backlog_size_
    uint64_t stale = 0;         // dropped on earlier tries
  };
  void Work();
  // Waits until work arrives (or stop), then up to kMaxBatchDelay on the
  // clock for a full round (kPublishBatch) unless Drain or stop hurries.
  void WaitForARound() ABSL_LOCKS_EXCLUDED(mu_);
  // Enriches the first `take` flows of `backlog` (removing them) and makes
  // ENRICH events of the hostname answers in `names` (clearing it): one
  // round, stamped with the node as the Pipeline would.
  void BuildRound(size_t take, std::deque<Job>* backlog, std::vector<Name>* names,
                  Round* round);
  // Waits kYieldPoll on the clock, or until stop or Drain hurries the
  // worker.
  void WaitAPoll() ABSL_LOCKS_EXCLUDED(mu_);
  // Takes the whole queue (swapping it with `incoming`, so the collector's
  // thread waits for no more than that) and goes through it in order: ends
  // (destroy jobs) and starts update live_, flows to enrich go to `backlog`.
  // `backlog_since` is set when an empty backlog gets flows.
  void TakeQueue(std::vector<Job>* incoming, std::deque<Job>* backlog,
                 absl::Time* backlog_since) ABSL_LOCKS_EXCLUDED(mu_, live_mu_);
  // Drops the round's stale results (after moving what was queued meanwhile
  // to `backlog`, so live_ is current) and publishes the rest, giving way to
  // the event path (kYieldPoll, kMaxYield). Returns false when it gave way
  // (try again later).
  bool PublishRound(Round& round, std::vector<Job>* incoming, std::deque<Job>* backlog,
                    absl::Time* backlog_since);
  void Enrich(const Job& job, v1::FlowEvent* event);
  void LookupName(const Job& job, const std::string& ip, bool src, v1::Endpoint* end);
  void OnName(const std::string& ip, const std::string& name);

  core::EventSink& out_;
  // The Pipeline's node name when `out_` is a Pipeline (else empty): workers
  // stamp node and flow id on their events themselves, outside its lock.
  const std::string node_;
  const core::Clock& clock_;
  std::vector<std::string> hints_;
  const uint32_t self_pid_;
  const size_t max_queue_;
  const int worker_nice_;
  std::unique_ptr<SocketLookup> sockets_;
  std::unique_ptr<SocketOwnerLookup> owners_;
  std::unique_ptr<CgroupPaths> cgroups_;
  AttributionMode attribution_;
  std::unique_ptr<ProcessLookup> processes_;
  std::unique_ptr<LocalAddresses> local_;
  std::unique_ptr<ProcessAttributor> attributor_;
  std::unique_ptr<GeoIp> geoip_;
  std::unique_ptr<ServiceNames> services_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // Jobs the workers have not taken yet, in event order. Plain data: queueing
  // a flow allocates nothing once the vector has grown.
  std::vector<Job> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_flows_ ABSL_GUARDED_BY(mu_) = 0;  // NEW jobs in queue_
  // Flows in the workers' backlogs (taken from queue_, not enriched yet).
  size_t backlog_size_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_take_ ABSL_GUARDED_BY(mu_) = 0;  // numbers each TakeQueue
  std::vector<Name> names_ ABSL_GUARDED_BY(mu_);  // answers to publish
  int draining_ ABSL_GUARDED_BY(mu_) = 0;         // Drain calls waiting
  // stop_ || draining_ > 0, for rounds giving way without taking mu_.
  std::atomic<bool> hurry_{false};
  // Jobs and names taken by workers, not published (or dropped) yet.
  size_t busy_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Flows announced and not destroyed, as far as the workers got through
  // the queue: FlowKey -> generation. Workers only.
  absl::Mutex live_mu_ ABSL_ACQUIRED_AFTER(mu_);
  absl::flat_hash_map<uint64_t, uint64_t> live_ ABSL_GUARDED_BY(live_mu_);
  uint64_t applied_takes_ ABSL_GUARDED_BY(live_mu_) = 0;
  EnricherStats stats_ ABSL_GUARDED_BY(mu_);

  absl::Mutex waiters_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  absl::flat_hash_map<std::string, std::vector<Waiter>> waiters_
      ABSL_GUARDED_BY(waiters_mu_);
  size_t waiter_count_ ABSL_GUARDED_BY(waiters_mu_) = 0;

  std::unique_ptr<ReverseResolver> resolver_;  // after the maps it calls into
  std::vector<std::thread> workers_;
};

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_ENRICHER_H_
