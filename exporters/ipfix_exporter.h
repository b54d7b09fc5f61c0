// IpfixExporter: turns the node's flow events into IPFIX flow records for
// one or more collectors (flowtopd --ipfix, flowtop replay --ipfix).
//
// It is an EventSink behind the Pipeline: it keeps a compact copy of each
// live flow (its tuples, NAT bits, zone, start time, latest counters and the
// counters it last exported) and emits:
//   - a final record when the kernel destroys the flow (flowEndReason
//     endOfFlowDetected for a closed TCP/SCTP/DCCP flow, idleTimeout
//     otherwise: conntrack expires flows on idleness);
//   - a periodic record every `active_timeout` of a flow's life
//     (activeTimeout), with the counts since the last record as deltas and
//     the flow's totals;
//   - on Finish (a clean stop), a record for every live flow (forcedEnd).
// Each record is one direction (see ipfix_encoder.h); the reply direction
// is sent once the flow has reply packets.
//
// Live (flowtopd): Publish only queues records (bounded; overflow is counted
// as not sent), and a thread encodes and sends them every `flush_interval`
// and runs the active timeout; the Clock says what time it is.
// Event time (replay): the events' own times drive everything and Publish
// sends at once, so a recording gives the same messages every run.
#ifndef FLOWTOP_EXPORTERS_IPFIX_EXPORTER_H_
#define FLOWTOP_EXPORTERS_IPFIX_EXPORTER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "exporters/ipfix_encoder.h"
#include "exporters/ipfix_session.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::exporters {

struct IpfixOptions {
  // Collectors, "HOST:PORT" (UDP) or "tcp://HOST:PORT".
  std::vector<std::string> collectors;
  absl::Duration active_timeout = absl::Seconds(60);
  // 0: derived from the node name (a stable hash), so each node of a fleet
  // has its own observation domain.
  uint32_t observation_domain = 0;
  std::string node;  // for the observation domain
  bool process_fields = false;
  uint32_t pen = 32473;
  size_t max_message = 1400;
  absl::Duration template_refresh = absl::Seconds(60);
  uint32_t template_refresh_messages = 1000;
  // Live mode: how often the thread sends what is queued.
  absl::Duration flush_interval = absl::Milliseconds(200);
  // Records queued between flushes at most; more are counted as not sent.
  size_t max_queue = size_t{1} << 20;
  // Replay: time comes from the events, sending is synchronous.
  bool event_time = false;
};

// Returns the observation domain for a node name: FNV-1a of the name, never 0.
uint32_t ObservationDomainFor(const std::string& node);

struct IpfixStats {
  uint64_t flows = 0;              // live flows tracked
  uint64_t records = 0;            // records built
  uint64_t queue_dropped = 0;      // records the queue refused
  std::vector<SessionStats> sessions;
};

class IpfixExporter final : public core::EventSink {
 public:
  // Opens every collector's transport. Errors: INVALID_ARGUMENT naming a
  // collector that is not HOST:PORT or does not resolve.
  static absl::StatusOr<std::unique_ptr<IpfixExporter>> Create(
      const IpfixOptions& options, const core::Clock& clock);
  // For tests: the sessions' transports are given.
  IpfixExporter(const IpfixOptions& options, const core::Clock& clock,
                std::vector<std::unique_ptr<Transport>> transports);
  ~IpfixExporter() override;

  void Publish(absl::Span<v1::FlowEvent> events) override;

  // Live mode: starts the sending thread.
  void Start();
  // Live mode: sends what is queued and runs the active timeout at the
  // clock's time (the thread calls it; tests call it by hand).
  void Tick();
  // Stops the thread, exports every live flow (forcedEnd), the reliability
  // statistics, and flushes. Call after the source stopped. Idempotent.
  void Finish();

  IpfixStats stats() const;
  // Fills GetStatus' export counts.
  void FillStatus(v1::NodeStatus* status) const;

 private:
  struct ProcessInfo {
    uint32_t pid = 0, uid = 0;
    std::string name, user, unit, container;
  };
  // What a record needs of a live flow (about 170 bytes).
  struct LiveFlow {
    bool ipv6 = false;
    bool nat = false;
    bool closing = false;  // TCP/SCTP/DCCP in a closing state
    uint8_t protocol = 0;
    uint16_t orig_icmp = 0, reply_icmp = 0;
    uint16_t orig_sport = 0, orig_dport = 0, reply_sport = 0, reply_dport = 0;
    uint32_t zone = 0;
    uint8_t orig_src[16] = {}, orig_dst[16] = {};
    uint8_t reply_src[16] = {}, reply_dst[16] = {};
    uint64_t start_ms = 0;
    // Latest counters and those of the last record: original bytes and
    // packets, reply bytes and packets.
    uint64_t now[4] = {}, sent[4] = {};
    int64_t due_ns = 0;
    std::unique_ptr<ProcessInfo> process;  // with process_fields only
  };
  void ApplyLocked(const v1::FlowEvent& event, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExpireLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EmitLocked(LiveFlow& flow, uint32_t id, EndReason reason,
                  uint64_t end_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendQueued(std::vector<FlowRecord>& records, absl::Time now);
  void Run();

  // Whether a flow carries our own export (never exported: it would feed
  // itself).
  bool OwnExport(const v1::Flow& flow) const;

  const IpfixOptions options_;
  const core::Clock& clock_;
  std::vector<Peer> peers_;
  std::vector<std::unique_ptr<IpfixSession>> sessions_;  // send thread only

  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint32_t, LiveFlow> flows_
      ABSL_GUARDED_BY(mu_);
  // Active-timeout queue: (conntrack id, due time), in due order.
  std::deque<std::pair<uint32_t, int64_t>> due_ ABSL_GUARDED_BY(mu_);
  std::vector<FlowRecord> queue_ ABSL_GUARDED_BY(mu_);
  absl::Time event_now_ ABSL_GUARDED_BY(mu_);
  uint64_t records_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t queue_dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_packets_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_octets_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex send_mu_;  // one sender at a time (thread, Finish)
  absl::Time last_reliability_ ABSL_GUARDED_BY(send_mu_) = absl::InfinitePast();
  // Ends the sending thread; it waits through the clock (a FakeClock's
  // Advance wakes it).
  void StopThread();
  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

}  // namespace flowtop::exporters

#endif  // FLOWTOP_EXPORTERS_IPFIX_EXPORTER_H_
