// KernelSource: every conntrack flow of one network namespace, as events.
//
// Subscribes to the NEW, UPDATE and DESTROY event groups first, then dumps
// the table (STATUS{loading, conntrack_count}, SNAPSHOT ... SNAPSHOT_END) and reconciles the two by flow id, so
// that a flow appearing during the dump cannot be missed: a NEW event for a
// dumped flow becomes an UPDATE, an UPDATE for an unknown flow a NEW.
//
// Run() is the reader: it only receives, parses, filters and hands batches
// to the sink; nothing slow (enrichment, names, geo) runs on it. The event
// socket's receive buffer is set with SO_RCVBUFFORCE and NETLINK_NO_ENOBUFS
// stays off: on ENOBUFS the source counts the overflow, dumps the table,
// diffs it against the flows it has announced and emits LOST{KERNEL} (count:
// at least 1, otherwise the number of differences found), RESYNC_BEGIN, the
// NEW/DESTROY/UPDATE needed, RESYNC_END. A second thread dumps the table
// once per rate interval on its own socket and emits COUNTERS events with
// per-direction rates (RateTracker).
//
// Flows the kernel sends no events for. With nf_conntrack_events=2 (the
// kernel's default, "auto"), a flow gets the event extension only if some
// process on the host listened to conntrack events when the flow began: a
// flow that already existed when flowtop started may never have an UPDATE
// or a DESTROY. Such flows are "silent": announced by the initial dump and
// not heard from since. Only a dump can tell that one ended, so the rate
// dumps (which run for this while silent flows remain, even with rates off)
// note the flows gone from a whole dump, and the source emits DESTROY for
// the silent ones among them. A flow heard from by an event has the
// extension: its DESTROY comes from the kernel. Under churn (2,000 new TCP
// connections/s, scale_bench) the flows of the first seconds before
// flowtop started stayed in its table for ever without this.
//
// All sockets and /proc files are opened by Create, in the network namespace
// of the calling thread (tests call it inside NetNs::RunInside); afterwards
// the source may run on any thread.
#ifndef FLOWTOP_COLLECTOR_KERNEL_SOURCE_H_
#define FLOWTOP_COLLECTOR_KERNEL_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "collector/dense_flow_map.h"
#include "collector/netlink_socket.h"
#include "collector/rate_schedule.h"
#include "collector/rate_tracker.h"
#include "collector/sysctl_guard.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector {

struct KernelSourceOptions {
  // Address families (the original's -4 / -6). Both false means both.
  bool ipv4 = true;
  bool ipv6 = true;
  // IANA protocol numbers to report; empty: every protocol. See
  // ProtocolSelection for the original's -T/-U/-D/-I/-S.
  std::vector<uint8_t> protocols;
  // Requested receive buffer of the event socket (SO_RCVBUFFORCE).
  int receive_buffer_bytes = 64 << 20;
  // Dump period for COUNTERS/rates; zero turns rates off.
  absl::Duration rate_interval = absl::Seconds(1);
  // The fraction of one core the rate dumps may use: a dump walks the whole
  // table, so at a million flows the period stretches (RateSchedule) until
  // dumps cost at most this much; stats().rate_period says what it is.
  // 0 keeps rate_interval whatever the cost.
  double rate_cpu_budget = 0.05;
  // The rate dumps' thread (named "flowtop-rates") runs at this nice value:
  // a dump of a million flows holds a core for seconds, and the event
  // reader and the service's readers (ListFlows) must win the CPU over it
  // (a ListFlows at a dump's start took 43.6 ms instead of 3-5, docs/scale.md).
  // 0 to 19; 0 leaves the thread as it is.
  int rate_thread_nice = 10;
  // CPU time used so far by the calling thread; the rate dump's cost is
  // measured with it. Default: CLOCK_THREAD_CPUTIME_ID (tests inject one).
  std::function<absl::Duration()> thread_cpu_time;
  // Most flows the source tracks for reconciliation (the FlowTable has its
  // own bound).
  size_t max_flows = 1 << 20;
  // Turn on nf_conntrack_acct/timestamp when off (restored on exit).
  bool enable_accounting = true;
  // Events per batch handed to the sink.
  size_t batch_size = 512;
  // Where the one-time notice about sysctls goes (default: stderr).
  std::function<void(const std::string&)> notice;
};

// The original's protocol switches: -T TCP, -U UDP and UDP-lite, -D DCCP,
// -I ICMP and ICMPv6, -S SCTP. Returns the protocol list for
// KernelSourceOptions::protocols (empty when no switch is set: everything).
std::vector<uint8_t> ProtocolSelection(bool tcp, bool udp, bool dccp, bool icmp,
                                       bool sctp);

struct KernelSourceStats {
  uint64_t messages = 0;         // conntrack messages received (events+dumps)
  uint64_t events = 0;           // events handed to the sink
  uint64_t filtered = 0;         // dropped by the family/protocol selection
  uint64_t parse_errors = 0;     // malformed messages (counted, skipped)
  uint64_t overflows = 0;        // ENOBUFS seen on the event socket
  uint64_t resyncs = 0;          // completed resyncs
  uint64_t rate_dumps = 0;       // completed rate dumps
  // The rate dumps' period now: rate_interval, or longer when the CPU
  // budget stretched it (zero: rates off).
  absl::Duration rate_period;
  bool rate_stretched = false;  // rate_period > rate_interval (the budget)
  uint64_t tracked = 0;          // flows the reader knows now
  // Flows announced by the initial dump that no event has named since
  // (the kernel may send none for them), and those of them that a rate
  // dump found gone (DESTROY emitted by the source).
  uint64_t silent = 0;
  uint64_t silent_gone = 0;
  bool dump_filter_refused = false;  // kernel refused CTA_FILTER (old kernel)
  int receive_buffer_bytes = 0;  // as read back from the socket
};

// The three sockets a KernelSource reads: events (subscribed to the NEW,
// UPDATE and DESTROY groups), the initial/resync dump and the rate dump.
struct KernelSockets {
  std::unique_ptr<NetlinkSocket> events;
  std::unique_ptr<NetlinkSocket> dump;
  std::unique_ptr<NetlinkSocket> rates;
};

class KernelSource final : public core::EventSource {
 public:
  // Opens the event, dump and rate sockets and the sysctl files in the
  // calling thread's network namespace, subscribes to events and sets the
  // receive buffer. Returns PERMISSION_DENIED with kPermissionDeniedMessage
  // without CAP_NET_ADMIN, INVALID_ARGUMENT for bad options, NOT_FOUND when
  // the kernel has no conntrack, INTERNAL otherwise.
  static absl::StatusOr<std::unique_ptr<KernelSource>> Create(
      KernelSourceOptions options, const core::Clock& clock = core::RealClock::Get());
  // A source over sockets opened elsewhere (tests: FakeNetlinkSocket). No
  // sysctl is read or changed; Info() returns FAILED_PRECONDITION.
  // INVALID_ARGUMENT for bad options or a missing socket.
  static absl::StatusOr<std::unique_ptr<KernelSource>> CreateWithSockets(
      KernelSourceOptions options, KernelSockets sockets,
      const core::Clock& clock = core::RealClock::Get());
  // Stops the threads and restores the sysctls.
  ~KernelSource() override;

  // Dumps (SNAPSHOT... SNAPSHOT_END), then streams events into `sink` until
  // Stop(). Returns OK when stopped; PERMISSION_DENIED or INTERNAL when the
  // kernel refuses the dump or the socket fails. Call once.
  absl::Status Run(core::EventSink& sink) override;
  void Stop() override;

  KernelSourceStats stats() const;
  // Conntrack count/max and sysctl state of the source's namespace.
  absl::StatusOr<ConntrackInfo> Info() const;
  // Puts the sysctls back now; for a binary's SIGINT/SIGTERM handler
  // (async-signal-safe, idempotent; the destructor does it too).
  void RestoreSysctlsAsyncSignalSafe();

 private:
  class Batch;
  struct Reader;
  KernelSource(KernelSourceOptions options, const core::Clock& clock);
  static absl::Status CheckOptions(KernelSourceOptions& options);
  absl::Status OpenKernelSockets();
  absl::Status GuardSysctls();

  bool Selected(const v1::Flow& flow) const;
  uint8_t DumpFamily() const;
  uint8_t DumpProtocol() const;
  // Dumps the table on `sock`, calling fn(v1::FlowEvent&) for each selected
  // flow (type SNAPSHOT). Falls back to an unfiltered dump if the kernel
  // refuses CTA_FILTER.
  template <typename Fn>
  absl::Status DumpTable(NetlinkSocket& sock, std::vector<char>& buf, Fn&& fn);
  // The first dump (SNAPSHOT ... SNAPSHOT_END). With `rates`, remembers the
  // counters it announced, so that rate dumps publish only flows that move.
  absl::Status InitialDump(Batch& batch, RateTracker* rates);
  // Dumps the table, diffs it against known_ and emits LOST{KERNEL} (with
  // `why`), RESYNC_BEGIN, the NEW/UPDATE/DESTROY needed and RESYNC_END.
  absl::Status Resync(const std::string& why, Batch& batch);
  // Reads the event socket until stopped or it fails.
  absl::Status ReadEvents(Reader& reader);
  // Parses and applies every message of one datagram. Returns false when a
  // message could not be parsed (the table may now differ: resync).
  bool ProcessDatagram(Reader& reader, size_t len);
  // ENOBUFS or a damaged datagram: apply what is queued, then resync.
  absl::Status RecoverFromLoss(Reader& reader, const std::string& why);
  void HandleEvent(v1::FlowEvent& event, Batch& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(known_mu_);
  void PublishStats(Reader& reader);
  // When a dump began and the CPU time it used.
  struct DumpCost {
    absl::Time start;
    absl::Duration cpu;
  };
  // Rate dumps until Stop(); the first one waits as the budget says after
  // `initial` (the initial dump).
  void RateLoop(core::EventSink& sink, RateTracker& tracker, DumpCost initial);
  // Publishes the schedule's period (stats, and a STATUS event when it
  // changed).
  void PublishRatePeriod(const RateSchedule& schedule, Batch& batch);
  // Waits through the clock until `deadline` or Stop(); true when stopped.
  bool StopRequestedBy(absl::Time deadline);
  // One rate dump: COUNTERS for every flow whose counters moved (when
  // `counters`), and DESTROY for the silent flows it found gone.
  absl::Status RateSample(RateTracker& tracker, std::vector<char>& buf,
                          Batch& batch, bool counters);
  // DESTROY for each silent flow in `gone` (flows missing from a whole
  // dump), published before the reader's next event.
  void DestroySilent(const std::vector<uint64_t>& gone, Batch& batch);
  size_t SilentCount() const;
  // Sets known_[key]; `silent`: announced by a dump, no event yet.
  void Know(uint64_t key, uint64_t fingerprint, bool silent)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(known_mu_);
  // Forgets known_[key] (keeps the silent count right).
  void Forget(uint64_t key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(known_mu_);
  // A fingerprint of the kernel's view of a flow (never has kSilent set).
  static uint64_t Fingerprint(const v1::Flow& flow);
  // How often dumps look for silent flows that ended when rates are off.
  static constexpr absl::Duration kSilentSweepInterval = absl::Seconds(1);
  // The bit of a known_ value that marks the flow silent.
  static constexpr uint64_t kSilent = uint64_t{1} << 63;

  const KernelSourceOptions options_;
  const core::Clock& clock_;
  std::unique_ptr<NetlinkSocket> events_;
  std::unique_ptr<NetlinkSocket> dump_;
  std::unique_ptr<NetlinkSocket> rates_;
  std::unique_ptr<Waker> waker_;
  std::unique_ptr<SysctlGuard> sysctl_;
  absl::Notification stop_;
  std::atomic<bool> stopping_{false};
  absl::Mutex stop_mu_;
  bool stop_requested_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::atomic<bool> filter_refused_{false};

  // The flows announced (by FlowKey: conntrack ids collide), with a
  // fingerprint of what the kernel said last (to emit UPDATE only for real
  // changes on resync) and the kSilent bit. The reader's, but the rate
  // thread takes silent flows out (DestroySilent), so under known_mu_.
  // Dense: ~28 bytes a flow at a million, where a flat_hash_map took ~36.
  mutable absl::Mutex known_mu_;
  DenseFlowMap<uint64_t> known_ ABSL_GUARDED_BY(known_mu_);
  size_t silent_ ABSL_GUARDED_BY(known_mu_) = 0;

  mutable absl::Mutex mu_;
  KernelSourceStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_KERNEL_SOURCE_H_
