#include "exporters/ipfix_exporter.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace flowtop::exporters {
namespace {

void CopyAddress(const std::string& from, uint8_t* to) {
  std::memset(to, 0, 16);
  std::memcpy(to, from.data(), std::min<size_t>(from.size(), 16));
}

uint16_t IcmpTypeCode(const v1::Tuple& t) {
  return static_cast<uint16_t>(((t.icmp_type() & 0xff) << 8) | (t.icmp_code() & 0xff));
}

bool IsIcmp(uint8_t protocol) { return protocol == 1 || protocol == 58; }

bool Closing(const v1::Flow& f) {
  switch (f.state_case()) {
    case v1::Flow::kTcpState:
      return f.tcp_state() >= v1::TCP_FIN_WAIT && f.tcp_state() <= v1::TCP_CLOSE;
    case v1::Flow::kSctpState:
      return f.sctp_state() == v1::SCTP_CLOSED ||
             (f.sctp_state() >= v1::SCTP_SHUTDOWN_SENT &&
              f.sctp_state() <= v1::SCTP_SHUTDOWN_ACK_SENT);
    case v1::Flow::kDccpState:
      return f.dccp_state() >= v1::DCCP_CLOSEREQ && f.dccp_state() <= v1::DCCP_TIMEWAIT;
    default:
      return false;
  }
}

int64_t Millis(int64_t nanos) { return nanos / 1000000; }

}  // namespace

uint32_t ObservationDomainFor(const std::string& node) {
  uint32_t h = 2166136261u;
  for (unsigned char c : node) {
    h ^= c;
    h *= 16777619u;
  }
  return h == 0 ? 1 : h;
}

absl::StatusOr<std::unique_ptr<IpfixExporter>> IpfixExporter::Create(
    const IpfixOptions& options, const core::Clock& clock) {
  std::vector<std::unique_ptr<Transport>> transports;
  for (const std::string& c : options.collectors) {
    absl::StatusOr<CollectorAddress> address = ParseCollectorAddress(c);
    if (!address.ok()) return address.status();
    absl::StatusOr<std::unique_ptr<Transport>> t = OpenTransport(*address);
    if (!t.ok()) return t.status();
    transports.push_back(*std::move(t));
  }
  return std::make_unique<IpfixExporter>(options, clock, std::move(transports));
}

IpfixExporter::IpfixExporter(const IpfixOptions& options,
                             const core::Clock& clock,
                             std::vector<std::unique_ptr<Transport>> transports)
    : options_(options), clock_(clock) {
  SessionOptions s;
  s.encoder.observation_domain = options.observation_domain != 0
                                     ? options.observation_domain
                                     : ObservationDomainFor(options.node);
  s.encoder.max_message = std::clamp<size_t>(options.max_message, 512, 65535);
  s.encoder.process_fields = options.process_fields;
  s.encoder.pen = options.pen;
  s.template_refresh = options.template_refresh;
  s.template_refresh_messages = options.template_refresh_messages;
  for (auto& t : transports) {
    peers_.push_back(t->peer());
    sessions_.push_back(std::make_unique<IpfixSession>(s, std::move(t)));
  }
}

IpfixExporter::~IpfixExporter() { StopThread(); }

void IpfixExporter::StopThread() {
  {
    absl::MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void IpfixExporter::Start() {
  if (options_.event_time || thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void IpfixExporter::Run() {
  while (true) {
    {
      absl::MutexLock lock(&stop_mu_);
      const absl::Time deadline = clock_.Now() + options_.flush_interval;
      if (clock_.AwaitWithDeadline(&stop_mu_, absl::Condition(&stopping_), deadline)) {
        return;
      }
    }
    Tick();
  }
}

void IpfixExporter::Publish(absl::Span<v1::FlowEvent> events) {
  std::vector<FlowRecord> ready;
  absl::Time now;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    now = options_.event_time ? event_now_ : clock_.Now();
    for (const v1::FlowEvent& e : events) {
      if (options_.event_time && e.time_unix_nanos() != 0) {
        now = std::max(now, absl::FromUnixNanos(e.time_unix_nanos()));
        event_now_ = now;
      }
      ApplyLocked(e, now);
    }
    if (!options_.event_time) return;
    ExpireLocked(now);
    ready.swap(queue_);
  }
  SendQueued(ready, now);
}

void IpfixExporter::ApplyLocked(const v1::FlowEvent& event, absl::Time now) {
  if (!event.has_flow()) return;
  const v1::Flow& f = event.flow();
  const uint32_t id = f.conntrack_id();
  const bool full = event.type() == v1::NEW || event.type() == v1::SNAPSHOT ||
                    event.type() == v1::UPDATE || event.type() == v1::DESTROY;
  auto it = flows_.find(id);
  if (it == flows_.end()) {
    if (!full || !f.has_original() || OwnExport(f)) return;
    it = flows_.try_emplace(id).first;
    LiveFlow& flow = it->second;
    const int64_t start = f.has_start_unix_nanos()       ? f.start_unix_nanos()
                          : f.first_seen_unix_nanos() != 0 ? f.first_seen_unix_nanos()
                                                         : absl::ToUnixNanos(now);
    flow.start_ms = static_cast<uint64_t>(Millis(start));
    flow.due_ns = absl::ToUnixNanos(now + options_.active_timeout);
    due_.emplace_back(id, flow.due_ns);
  }
  LiveFlow& flow = it->second;
  if (full && f.has_original()) {
    flow.ipv6 = f.family() == v1::IPV6;
    flow.protocol = static_cast<uint8_t>(
        f.protocol_number() != 0 ? f.protocol_number()
                                 : static_cast<uint32_t>(f.protocol()));
    const v1::Tuple& o = f.original();
    const v1::Tuple& r = f.reply();
    CopyAddress(o.src_ip(), flow.orig_src);
    CopyAddress(o.dst_ip(), flow.orig_dst);
    CopyAddress(r.src_ip(), flow.reply_src);
    CopyAddress(r.dst_ip(), flow.reply_dst);
    flow.orig_sport = static_cast<uint16_t>(o.src_port());
    flow.orig_dport = static_cast<uint16_t>(o.dst_port());
    flow.reply_sport = static_cast<uint16_t>(r.src_port());
    flow.reply_dport = static_cast<uint16_t>(r.dst_port());
    if (IsIcmp(flow.protocol)) {
      flow.orig_icmp = IcmpTypeCode(o);
      flow.reply_icmp = IcmpTypeCode(r);
    }
    flow.zone = f.zone();
    if (f.has_status()) flow.nat = f.status().src_nat() || f.status().dst_nat();
    if (f.state_case() != v1::Flow::STATE_NOT_SET) flow.closing = Closing(f);
    if (f.has_start_unix_nanos()) {
      flow.start_ms = static_cast<uint64_t>(Millis(f.start_unix_nanos()));
    }
  }
  if (f.has_original_counters()) {
    flow.now[0] = f.original_counters().bytes();
    flow.now[1] = f.original_counters().packets();
  }
  if (f.has_reply_counters()) {
    flow.now[2] = f.reply_counters().bytes();
    flow.now[3] = f.reply_counters().packets();
  }
  if (options_.process_fields && f.has_enrichment()) {
    const v1::Enrichment& en = f.enrichment();
    const v1::Process* p = en.src().has_process()   ? &en.src().process()
                           : en.dst().has_process() ? &en.dst().process()
                                                    : nullptr;
    if (p != nullptr) {
      if (flow.process == nullptr) flow.process = std::make_unique<ProcessInfo>();
      flow.process->pid = p->pid();
      flow.process->uid = p->uid();
      flow.process->name = p->name();
      flow.process->user = p->user();
    }
  }
  if (event.type() == v1::DESTROY) {
    const int64_t end = f.has_stop_unix_nanos() ? f.stop_unix_nanos()
                                                : absl::ToUnixNanos(now);
    EmitLocked(flow, id, flow.closing ? EndReason::kEndOfFlow : EndReason::kIdleTimeout,
               static_cast<uint64_t>(Millis(end)));
    flows_.erase(it);
  }
}

bool IpfixExporter::OwnExport(const v1::Flow& f) const {
  const uint32_t protocol = f.protocol_number();
  for (const Peer& p : peers_) {
    if (!p.ip.empty() && protocol == (p.tcp ? 6u : 17u) &&
        f.original().dst_port() == p.port && f.original().dst_ip() == p.ip) {
      return true;
    }
  }
  return false;
}

void IpfixExporter::EmitLocked(LiveFlow& flow, uint32_t id, EndReason reason,
                               uint64_t end_ms) {
  auto make = [&](bool reply) {
    FlowRecord r;
    r.ipv6 = flow.ipv6;
    r.nat = flow.nat;
    r.flow_id = id;
    const size_t n = 16;
    std::memcpy(r.src, reply ? flow.reply_src : flow.orig_src, n);
    std::memcpy(r.dst, reply ? flow.reply_dst : flow.orig_dst, n);
    if (!IsIcmp(flow.protocol)) {
      r.src_port = reply ? flow.reply_sport : flow.orig_sport;
      r.dst_port = reply ? flow.reply_dport : flow.orig_dport;
    }
    if (flow.nat) {
      // Where the packets of this direction went after translation: the
      // other direction's tuple, swapped.
      std::memcpy(r.post_src, reply ? flow.orig_dst : flow.reply_dst, n);
      std::memcpy(r.post_dst, reply ? flow.orig_src : flow.reply_src, n);
      r.post_src_port = reply ? flow.orig_dport : flow.reply_dport;
      r.post_dst_port = reply ? flow.orig_sport : flow.reply_sport;
    }
    r.protocol = flow.protocol;
    r.icmp_type_code = reply ? flow.reply_icmp : flow.orig_icmp;
    r.start_ms = flow.start_ms;
    r.end_ms = std::max(end_ms, flow.start_ms);
    const int k = reply ? 2 : 0;
    r.octet_total = flow.now[k];
    r.packet_total = flow.now[k + 1];
    r.octet_delta = flow.now[k] - std::min(flow.now[k], flow.sent[k]);
    r.packet_delta = flow.now[k + 1] - std::min(flow.now[k + 1], flow.sent[k + 1]);
    r.vrf = flow.zone;
    r.end_reason = reason;
    r.direction = reply ? kReverseInitiator : kInitiator;
    if (flow.process != nullptr) {
      r.pid = flow.process->pid;
      r.uid = flow.process->uid;
      r.process = flow.process->name;
      r.user = flow.process->user;
      r.unit = flow.process->unit;
      r.container = flow.process->container;
    }
    if (queue_.size() >= options_.max_queue) {
      ++queue_dropped_;
      dropped_packets_ += r.packet_delta;
      dropped_octets_ += r.octet_delta;
      return;
    }
    ++records_;
    queue_.push_back(std::move(r));
  };
  make(false);
  if (flow.now[3] > 0) make(true);
  std::copy(std::begin(flow.now), std::end(flow.now), std::begin(flow.sent));
}

void IpfixExporter::ExpireLocked(absl::Time now) {
  const int64_t now_ns = absl::ToUnixNanos(now);
  while (!due_.empty() && due_.front().second <= now_ns) {
    const auto [id, due] = due_.front();
    due_.pop_front();
    auto it = flows_.find(id);
    if (it == flows_.end() || it->second.due_ns != due) continue;  // gone
    EmitLocked(it->second, id, EndReason::kActiveTimeout,
               static_cast<uint64_t>(Millis(now_ns)));
    it->second.due_ns = absl::ToUnixNanos(now + options_.active_timeout);
    due_.emplace_back(id, it->second.due_ns);
  }
}

void IpfixExporter::SendQueued(std::vector<FlowRecord>& records, absl::Time now) {
  uint64_t dropped = 0, packets = 0, octets = 0;
  {
    absl::MutexLock lock(&mu_);
    std::swap(dropped, queue_dropped_);
    std::swap(packets, dropped_packets_);
    std::swap(octets, dropped_octets_);
  }
  absl::MutexLock send(&send_mu_);
  for (auto& s : sessions_) {
    if (dropped > 0) s->CountNotSent(dropped, packets, octets);
    for (const FlowRecord& r : records) s->Add(r, now);
  }
}

void IpfixExporter::Tick() {
  std::vector<FlowRecord> ready;
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    ExpireLocked(now);
    ready.swap(queue_);
  }
  SendQueued(ready, now);
  absl::MutexLock send(&send_mu_);
  // The reliability record goes with the template refresh's cadence.
  const bool report = now - last_reliability_ >= options_.template_refresh;
  if (report) last_reliability_ = now;
  for (auto& s : sessions_) {
    if (report) s->AddReliability(now);
    s->Flush(now);
  }
}

void IpfixExporter::Finish() {
  StopThread();
  std::vector<FlowRecord> ready;
  absl::Time now;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    now = options_.event_time ? event_now_ : clock_.Now();
    const uint64_t now_ms = static_cast<uint64_t>(absl::ToUnixMillis(now));
    // In id order, so that a replay's last message is the same every run.
    std::vector<uint32_t> ids;
    ids.reserve(flows_.size());
    for (const auto& [id, flow] : flows_) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (uint32_t id : ids) EmitLocked(flows_[id], id, EndReason::kForcedEnd, now_ms);
    flows_.clear();
    due_.clear();
    ready.swap(queue_);
  }
  SendQueued(ready, now);
  absl::MutexLock send(&send_mu_);
  for (auto& s : sessions_) {
    s->AddReliability(now);
    s->Flush(now);
  }
}

IpfixStats IpfixExporter::stats() const {
  IpfixStats out;
  {
    absl::MutexLock lock(&mu_);
    out.flows = flows_.size();
    out.records = records_;
    out.queue_dropped = queue_dropped_;
  }
  for (const auto& s : sessions_) out.sessions.push_back(s->stats());
  return out;
}

void IpfixExporter::FillStatus(v1::NodeStatus* status) const {
  const IpfixStats s = stats();
  for (const SessionStats& x : s.sessions) {
    v1::ExportStatus* e = status->add_exports();
    e->set_collector(x.collector);
    e->set_messages(x.messages);
    e->set_records(x.records);
    e->set_octets(x.octets);
    e->set_not_sent_records(x.not_sent_records + s.queue_dropped);
    e->set_not_sent_packets(x.not_sent_packets);
    e->set_not_sent_octets(x.not_sent_octets);
    e->set_last_error(x.last_error);
  }
}

}  // namespace flowtop::exporters
