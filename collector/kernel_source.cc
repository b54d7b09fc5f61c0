#include "collector/kernel_source.h"

#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <thread>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "collector/conntrack_parser.h"
#include "collector/rate_tracker.h"

namespace flowtop::collector {

// Events waiting to be handed to the sink; reuses its protobuf objects.
class KernelSource::Batch {
 public:
  Batch(EventSink& sink, size_t capacity) : sink_(sink), events_(capacity) {}
  // Returns a cleared event to fill; flushes first when full.
  v1::FlowEvent& Next() {
    if (n_ == events_.size()) Flush();
    v1::FlowEvent& e = events_[n_++];
    return e;
  }
  // Takes back the last event from Next (it was filtered out).
  void DropLast() { --n_; }
  void Flush() {
    if (n_ == 0) return;
    sink_.Publish(absl::MakeSpan(events_.data(), n_));
    published_ += n_;
    n_ = 0;
  }
  uint64_t published() const { return published_; }

 private:
  EventSink& sink_;
  std::vector<v1::FlowEvent> events_;
  size_t n_ = 0;
  uint64_t published_ = 0;
};

std::vector<uint8_t> ProtocolSelection(bool tcp, bool udp, bool dccp, bool icmp,
                                       bool sctp) {
  std::vector<uint8_t> out;
  if (tcp) out.push_back(IPPROTO_TCP);
  if (udp) {
    out.push_back(IPPROTO_UDP);
    out.push_back(IPPROTO_UDPLITE);
  }
  if (dccp) out.push_back(IPPROTO_DCCP);
  if (icmp) {
    out.push_back(IPPROTO_ICMP);
    out.push_back(IPPROTO_ICMPV6);
  }
  if (sctp) out.push_back(IPPROTO_SCTP);
  return out;
}

KernelSource::KernelSource(KernelSourceOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

absl::StatusOr<std::unique_ptr<KernelSource>> KernelSource::Create(
    KernelSourceOptions options, const Clock& clock) {
  if (options.batch_size == 0) {
    return absl::InvalidArgumentError("kernel source: batch size must be > 0");
  }
  if (options.rate_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "kernel source: the rate interval must not be negative");
  }
  if (!options.ipv4 && !options.ipv6) options.ipv4 = options.ipv6 = true;
  std::unique_ptr<KernelSource> src(
      new KernelSource(std::move(options), clock));
  const KernelSourceOptions& o = src->options_;

  absl::StatusOr<std::unique_ptr<NetlinkSocket>> sock =
      NetlinkSocket::Open(kGroupNew | kGroupUpdate | kGroupDestroy);
  if (!sock.ok()) return sock.status();
  src->events_ = std::move(*sock);
  // Kernel-side family selection for events (dumps use nfgenmsg).
  if (const uint8_t family = src->DumpFamily(); family != AF_UNSPEC) {
    if (absl::Status s = src->events_->AttachFamilyFilter(family); !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<int> rcvbuf =
      src->events_->SetReceiveBuffer(o.receive_buffer_bytes);
  if (!rcvbuf.ok()) return rcvbuf.status();
  {
    absl::MutexLock lock(&src->mu_);
    src->stats_.receive_buffer_bytes = *rcvbuf;
  }
  for (auto* s : {&src->dump_, &src->rates_}) {
    sock = NetlinkSocket::Open(0);
    if (!sock.ok()) return sock.status();
    *s = std::move(*sock);
    // Dumps are flow-controlled by the kernel; a roomy buffer just means
    // fewer wake-ups.
    if (absl::StatusOr<int> r = (*s)->SetReceiveBuffer(4 << 20); !r.ok()) {
      return r.status();
    }
  }
  absl::StatusOr<std::unique_ptr<Waker>> waker = Waker::Create();
  if (!waker.ok()) return waker.status();
  src->waker_ = std::move(*waker);

  absl::StatusOr<std::unique_ptr<SysctlGuard>> guard =
      SysctlGuard::Create(o.enable_accounting);
  if (!guard.ok()) return guard.status();
  src->sysctl_ = std::move(*guard);
  if (src->sysctl_->changed()) {
    const bool acct = src->sysctl_->changed_acct();
    const bool timestamp = src->sysctl_->changed_timestamp();
    const std::string msg = absl::StrCat(
        "turned on ", acct ? "net.netfilter.nf_conntrack_acct" : "",
        acct && timestamp ? " and " : "",
        timestamp ? "net.netfilter.nf_conntrack_timestamp" : "",
        src->sysctl_->coordinated()
            ? " (restored when the last flowtop in this namespace exits)"
            : " (restored on exit)",
        "; flows that started earlier show no ",
        acct ? "counters" : "start times");
    if (o.notice) {
      o.notice(msg);
    } else {
      // Named after the program (flowtopd, flowtop, a test binary).
      std::fprintf(stderr, "%s: %s\n", program_invocation_short_name,
                   msg.c_str());
    }
  }
  return src;
}

KernelSource::~KernelSource() {
  Stop();
  if (sysctl_ != nullptr) sysctl_->RestoreAsyncSignalSafe();
}

void KernelSource::Stop() {
  // Notification::Notify must run once, and Stop may race with itself.
  if (!stopping_.exchange(true)) stop_.Notify();
  if (waker_ != nullptr) waker_->Wake();
}

void KernelSource::RestoreSysctlsAsyncSignalSafe() {
  if (sysctl_ != nullptr) sysctl_->RestoreAsyncSignalSafe();
}

KernelSourceStats KernelSource::stats() const {
  absl::MutexLock lock(&mu_);
  KernelSourceStats out = stats_;
  out.dump_filter_refused = filter_refused_.load();
  return out;
}

absl::StatusOr<ConntrackInfo> KernelSource::Info() const {
  return sysctl_->Read();
}

bool KernelSource::Selected(const v1::Flow& flow) const {
  if (flow.family() == v1::IPV4 && !options_.ipv4) return false;
  if (flow.family() == v1::IPV6 && !options_.ipv6) return false;
  if (options_.protocols.empty()) return true;
  const uint32_t p = flow.protocol_number();
  return std::find(options_.protocols.begin(), options_.protocols.end(), p) !=
         options_.protocols.end();
}

uint8_t KernelSource::DumpFamily() const {
  if (options_.ipv4 && !options_.ipv6) return AF_INET;
  if (options_.ipv6 && !options_.ipv4) return AF_INET6;
  return AF_UNSPEC;
}

uint8_t KernelSource::DumpProtocol() const {
  // The kernel filters one protocol per dump, and only together with a
  // concrete family; otherwise (and on kernels without CTA_FILTER) the
  // selection is applied here, right after parsing.
  if (options_.protocols.size() == 1 && DumpFamily() != AF_UNSPEC &&
      !filter_refused_.load()) {
    return options_.protocols[0];
  }
  return 0;
}

uint64_t KernelSource::Fingerprint(const v1::Flow& f) {
  uint32_t state = 0;
  switch (f.state_case()) {
    case v1::Flow::kTcpState:
      state = f.tcp_state();
      break;
    case v1::Flow::kSctpState:
      state = 0x100 | f.sctp_state();
      break;
    case v1::Flow::kDccpState:
      state = 0x200 | f.dccp_state();
      break;
    default:
      break;
  }
  return absl::HashOf(f.status().raw(), state, f.mark(), f.labels(),
                      f.reply().src_ip(), f.reply().src_port(),
                      f.reply().dst_ip(), f.reply().dst_port());
}

template <typename Fn>
absl::Status KernelSource::DumpTable(NetlinkSocket& sock,
                                     std::vector<char>& buf, Fn&& fn) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const uint8_t proto = DumpProtocol();
    absl::StatusOr<uint32_t> seq = sock.RequestDump(DumpFamily(), proto);
    if (!seq.ok()) return seq.status();
    v1::FlowEvent event;
    uint64_t messages = 0, filtered = 0, errors = 0;
    absl::Status s = ReceiveDump(sock, *seq, buf.data(), buf.size(),
                                 waker_.get(), [&](const char* p, size_t len) {
                                   ++messages;
                                   absl::Status ps =
                                       ParseConntrackMessage(p, len, event);
                                   if (!ps.ok()) {
                                     errors += !absl::IsUnimplemented(ps);
                                     return;
                                   }
                                   if (!Selected(event.flow())) {
                                     ++filtered;
                                     return;
                                   }
                                   fn(event);
                                 });
    {
      absl::MutexLock lock(&mu_);
      stats_.messages += messages;
      stats_.filtered += filtered;
      stats_.parse_errors += errors;
    }
    if (absl::IsInvalidArgument(s) && proto != 0) {
      // An older kernel without CTA_FILTER: filter here from now on.
      filter_refused_.store(true);
      continue;
    }
    return s;
  }
  return absl::InternalError("kernel source: dump failed");
}

absl::Status KernelSource::InitialDump(Batch& batch) {
  std::vector<char> buf(1 << 20);
  absl::Status s = DumpTable(*dump_, buf, [&](v1::FlowEvent& e) {
    const uint32_t id = e.flow().conntrack_id();
    if (known_.size() < options_.max_flows || known_.contains(id)) {
      known_[id] = Fingerprint(e.flow());
    }
    batch.Next().Swap(&e);
  });
  if (!s.ok()) return s;
  v1::FlowEvent& end = batch.Next();
  end.Clear();
  end.set_type(v1::SNAPSHOT_END);
  batch.Flush();
  return absl::OkStatus();
}

void KernelSource::HandleEvent(v1::FlowEvent& event, Batch& batch) {
  const uint32_t id = event.flow().conntrack_id();
  switch (event.type()) {
    case v1::NEW:
    case v1::UPDATE: {
      auto it = known_.find(id);
      if (it == known_.end()) {
        event.set_type(v1::NEW);  // an UPDATE for a flow we never announced
        if (known_.size() < options_.max_flows) {
          known_.emplace(id, Fingerprint(event.flow()));
        }
      } else {
        event.set_type(v1::UPDATE);  // a NEW for a flow the dump announced
        it->second = Fingerprint(event.flow());
      }
      break;
    }
    case v1::DESTROY:
      known_.erase(id);
      break;
    default:
      break;
  }
  batch.Next().Swap(&event);
}

absl::Status KernelSource::Resync(Batch& batch) {
  // Dump first, so that LOST can say how much the loss changed.
  std::vector<char> buf(1 << 20);
  std::vector<v1::FlowEvent> changes;
  absl::flat_hash_map<uint32_t, uint64_t> seen;
  seen.reserve(known_.size());
  absl::Status s = DumpTable(*dump_, buf, [&](v1::FlowEvent& e) {
    const uint32_t id = e.flow().conntrack_id();
    const uint64_t fp = Fingerprint(e.flow());
    seen[id] = fp;
    auto it = known_.find(id);
    if (it == known_.end()) {
      e.set_type(v1::NEW);
    } else if (it->second != fp) {
      e.set_type(v1::UPDATE);
    } else {
      return;
    }
    changes.emplace_back().Swap(&e);
  });
  if (!s.ok()) return s;
  for (const auto& [id, fp] : known_) {
    if (seen.contains(id)) continue;
    v1::FlowEvent& e = changes.emplace_back();
    e.set_type(v1::DESTROY);
    e.mutable_flow()->set_conntrack_id(id);
  }
  uint64_t overflows = 0;
  {
    absl::MutexLock lock(&mu_);
    overflows = stats_.overflows;
  }
  v1::FlowEvent& lost = batch.Next();
  lost.Clear();
  lost.set_type(v1::LOST);
  lost.mutable_lost()->set_source(v1::KERNEL);
  lost.mutable_lost()->set_count(std::max<uint64_t>(1, changes.size()));
  lost.mutable_lost()->set_detail(absl::StrCat(
      "conntrack netlink receive buffer overflowed (ENOBUFS, ", overflows,
      " so far); count is the number of flow changes the resync found (a "
      "lower bound)"));
  v1::FlowEvent& begin = batch.Next();
  begin.Clear();
  begin.set_type(v1::RESYNC_BEGIN);
  for (v1::FlowEvent& e : changes) batch.Next().Swap(&e);
  v1::FlowEvent& end = batch.Next();
  end.Clear();
  end.set_type(v1::RESYNC_END);
  batch.Flush();
  // The kernel's view replaces ours (bounded like everything else).
  known_.clear();
  for (const auto& [id, fp] : seen) {
    if (known_.size() >= options_.max_flows) break;
    known_.emplace(id, fp);
  }
  absl::MutexLock lock(&mu_);
  ++stats_.resyncs;
  return absl::OkStatus();
}

void KernelSource::RateLoop(EventSink& sink) {
  RateTracker tracker;
  std::vector<char> buf(1 << 20);
  Batch batch(sink, options_.batch_size);
  while (!stop_.WaitForNotificationWithTimeout(options_.rate_interval)) {
    tracker.BeginSample(clock_.Now());
    absl::Status s = DumpTable(*rates_, buf, [&](v1::FlowEvent& e) {
      v1::Flow& flow = *e.mutable_flow();
      if (!tracker.Observe(flow)) return;
      v1::FlowEvent& out = batch.Next();
      out.Clear();
      out.set_type(v1::COUNTERS);
      v1::Flow& f = *out.mutable_flow();
      f.set_conntrack_id(flow.conntrack_id());
      f.set_family(flow.family());
      f.set_protocol(flow.protocol());
      f.set_protocol_number(flow.protocol_number());
      if (flow.has_original_counters()) {
        f.mutable_original_counters()->Swap(flow.mutable_original_counters());
      }
      if (flow.has_reply_counters()) {
        f.mutable_reply_counters()->Swap(flow.mutable_reply_counters());
      }
      if (flow.has_original_rate()) {
        f.mutable_original_rate()->Swap(flow.mutable_original_rate());
      }
      if (flow.has_reply_rate()) {
        f.mutable_reply_rate()->Swap(flow.mutable_reply_rate());
      }
    });
    if (!s.ok()) {
      if (absl::IsCancelled(s)) break;
      continue;  // a failed sample is skipped; the next one starts over
    }
    tracker.EndSample();
    batch.Flush();
    absl::MutexLock lock(&mu_);
    ++stats_.rate_dumps;
  }
}

absl::Status KernelSource::Run(EventSink& sink) {
  Batch batch(sink, options_.batch_size);
  absl::Status s = InitialDump(batch);
  if (absl::IsCancelled(s)) return absl::OkStatus();
  if (!s.ok()) return s;

  std::thread rates;
  if (options_.rate_interval > absl::ZeroDuration()) {
    rates = std::thread([this, &sink] { RateLoop(sink); });
  }
  std::vector<char> buf(1 << 16);
  v1::FlowEvent event;
  absl::Status result;
  uint64_t messages = 0, filtered = 0, errors = 0;
  auto publish_stats = [&] {
    absl::MutexLock lock(&mu_);
    stats_.messages += messages;
    stats_.filtered += filtered;
    stats_.parse_errors += errors;
    stats_.events = batch.published();
    stats_.tracked = known_.size();
    messages = filtered = errors = 0;
  };
  // Parses every message of one datagram and hands the selected ones on.
  auto process = [&](size_t len) {
    const char* p = buf.data();
    size_t left = len;
    while (left >= sizeof(nlmsghdr)) {
      const auto* nlh = reinterpret_cast<const nlmsghdr*>(p);
      if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > left) {
        ++errors;
        break;
      }
      if (IsConntrackMessage(p, nlh->nlmsg_len)) {
        ++messages;
        absl::Status ps = ParseConntrackMessage(p, nlh->nlmsg_len, event);
        if (!ps.ok()) {
          ++errors;
        } else if (!Selected(event.flow())) {
          ++filtered;
        } else {
          HandleEvent(event, batch);
        }
      }
      const size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
      if (step >= left) break;
      p += step;
      left -= step;
    }
  };
  bool wait = true;
  while (!stop_.HasBeenNotified()) {
    // Block only when nothing is pending; otherwise drain without waiting
    // and hand the batch off once the socket is empty.
    absl::StatusOr<size_t> n =
        wait ? events_->Receive(buf.data(), buf.size(), waker_.get())
             : events_->TryReceive(buf.data(), buf.size());
    if (absl::IsUnavailable(n.status())) {  // drained
      batch.Flush();
      publish_stats();
      wait = true;
      continue;
    }
    if (absl::IsCancelled(n.status())) break;
    if (absl::IsResourceExhausted(n.status())) {
      {
        absl::MutexLock lock(&mu_);
        ++stats_.overflows;
      }
      // The kernel reports ENOBUFS once, when the socket becomes congested,
      // and then drops silently until its queue is empty. Drain the queue
      // first (applying what it holds) so that the dump below covers every
      // silent drop and any later overflow raises a new ENOBUFS.
      for (;;) {
        absl::StatusOr<size_t> d = events_->TryReceive(buf.data(), buf.size());
        if (absl::IsResourceExhausted(d.status())) continue;
        if (!d.ok()) break;  // UNAVAILABLE: empty
        process(*d);
      }
      batch.Flush();
      s = Resync(batch);
      if (absl::IsCancelled(s)) break;
      if (!s.ok()) {
        result = s;
        break;
      }
      publish_stats();
      continue;
    }
    if (!n.ok()) {
      result = n.status();
      break;
    }
    wait = false;
    process(*n);
  }
  batch.Flush();
  publish_stats();
  Stop();
  if (rates.joinable()) rates.join();
  return result;
}

}  // namespace flowtop::collector
