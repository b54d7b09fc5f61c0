#include "collector/kernel_source.h"

#include <linux/netlink.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <thread>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "collector/conntrack_parser.h"
#include "core/flow_key.h"

namespace flowtop::collector {

// Events waiting to be handed to the sink; reuses its protobuf objects.
class KernelSource::Batch {
 public:
  Batch(core::EventSink& sink, size_t capacity) : sink_(sink), events_(capacity) {}
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
    const absl::Duration before = cpu_time_ ? cpu_time_() : absl::ZeroDuration();
    sink_.Publish(absl::MakeSpan(events_.data(), n_));
    if (cpu_time_) sink_cpu_ += cpu_time_() - before;
    published_ += n_;
    n_ = 0;
  }
  uint64_t published() const { return published_; }
  // Measures the CPU time the sink takes from now on, with `cpu_time` (the
  // calling thread's); an empty function stops measuring.
  void MeasureSink(std::function<absl::Duration()> cpu_time) {
    cpu_time_ = std::move(cpu_time);
  }
  absl::Duration sink_cpu() const { return sink_cpu_; }

 private:
  std::function<absl::Duration()> cpu_time_;
  absl::Duration sink_cpu_;
  core::EventSink& sink_;
  std::vector<v1::FlowEvent> events_;
  size_t n_ = 0;
  uint64_t published_ = 0;
};

namespace {

// A dump's receive buffer. The kernel fills a dump datagram up to the
// reader's buffer size but never beyond 32 KiB (netlink_recvmsg caps
// max_recvmsg_len), so 64 KiB holds any; the 1 MiB buffers were resident
// (zero-filled) for nothing, the rate loop's for the whole run.
constexpr size_t kDumpBufferBytes = 1 << 16;

// A whole-table dump (the initial one, a resync) leaves the heap full of
// freed blocks between live ones: a million flows' transient events, the
// table's shards and indexes that grew past them. glibc keeps those pages;
// malloc_trim gives every whole free page back (at a million flows ~70 of
// flowtopd's ~430 bytes a flow, docs/scale.md). Once per dump, not per event.
void ReturnFreedMemory() { malloc_trim(0); }

// Names the calling thread "flowtop-rates" and lowers its priority to
// `nice` (per thread on Linux): its dumps hold a core for seconds at a million
// flows, and the reader and the service's handlers must not queue behind it.
// A failure leaves the thread as it was (the dumps still run).
void YieldToReaders(int nice) {
  pthread_setname_np(pthread_self(), "flowtop-rates");
  if (nice > 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
}

absl::Duration ThreadCpuTime() {
  timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return absl::ZeroDuration();
  return absl::DurationFromTimespec(ts);
}

}  // namespace

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

KernelSource::KernelSource(KernelSourceOptions options, const core::Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

absl::Status KernelSource::CheckOptions(KernelSourceOptions& options) {
  if (options.batch_size == 0) {
    return absl::InvalidArgumentError("kernel source: batch size must be > 0");
  }
  if (options.rate_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "kernel source: the rate interval must not be negative");
  }
  if (options.rate_thread_nice < 0 || options.rate_thread_nice > 19) {
    return absl::InvalidArgumentError(
        "kernel source: the rate thread's nice value must be from 0 to 19");
  }
  if (!(options.rate_cpu_budget >= 0 && options.rate_cpu_budget <= 1)) {
    return absl::InvalidArgumentError(
        "kernel source: the rate CPU budget must be from 0 to 1 (of a core)");
  }
  if (!options.thread_cpu_time) options.thread_cpu_time = ThreadCpuTime;
  if (!options.ipv4 && !options.ipv6) options.ipv4 = options.ipv6 = true;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<KernelSource>> KernelSource::Create(
    KernelSourceOptions options, const core::Clock& clock) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  std::unique_ptr<KernelSource> src(
      new KernelSource(std::move(options), clock));
  if (absl::Status s = src->OpenKernelSockets(); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<Waker>> waker = Waker::Create();
  if (!waker.ok()) return waker.status();
  src->waker_ = std::move(*waker);
  if (absl::Status s = src->GuardSysctls(); !s.ok()) return s;
  return src;
}

absl::StatusOr<std::unique_ptr<KernelSource>> KernelSource::CreateWithSockets(
    KernelSourceOptions options, KernelSockets sockets, const core::Clock& clock) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  if (!sockets.events || !sockets.dump || !sockets.rates) {
    return absl::InvalidArgumentError("kernel source: a socket is missing");
  }
  std::unique_ptr<KernelSource> src(
      new KernelSource(std::move(options), clock));
  src->events_ = std::move(sockets.events);
  src->dump_ = std::move(sockets.dump);
  src->rates_ = std::move(sockets.rates);
  absl::StatusOr<std::unique_ptr<Waker>> waker = Waker::Create();
  if (!waker.ok()) return waker.status();
  src->waker_ = std::move(*waker);
  return src;
}

absl::Status KernelSource::OpenKernelSockets() {
  absl::StatusOr<std::unique_ptr<KernelNetlinkSocket>> sock =
      KernelNetlinkSocket::Open(kGroupNew | kGroupUpdate | kGroupDestroy);
  if (!sock.ok()) return sock.status();
  // Kernel-side family selection for events (dumps use nfgenmsg).
  if (const uint8_t family = DumpFamily(); family != AF_UNSPEC) {
    if (absl::Status s = (*sock)->AttachFamilyFilter(family); !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<int> rcvbuf =
      (*sock)->SetReceiveBuffer(options_.receive_buffer_bytes);
  if (!rcvbuf.ok()) return rcvbuf.status();
  {
    absl::MutexLock lock(&mu_);
    stats_.receive_buffer_bytes = *rcvbuf;
  }
  events_ = std::move(*sock);
  for (auto* s : {&dump_, &rates_}) {
    sock = KernelNetlinkSocket::Open(0);
    if (!sock.ok()) return sock.status();
    // Dumps are flow-controlled by the kernel; a roomy buffer just means
    // fewer wake-ups.
    if (absl::StatusOr<int> r = (*sock)->SetReceiveBuffer(4 << 20); !r.ok()) {
      return r.status();
    }
    *s = std::move(*sock);
  }
  return absl::OkStatus();
}

absl::Status KernelSource::GuardSysctls() {
  absl::StatusOr<std::unique_ptr<SysctlGuard>> guard =
      SysctlGuard::Create(options_.enable_accounting);
  if (!guard.ok()) return guard.status();
  sysctl_ = std::move(*guard);
  if (!sysctl_->changed()) return absl::OkStatus();
  const bool acct = sysctl_->changed_acct();
  const bool timestamp = sysctl_->changed_timestamp();
  const std::string msg = absl::StrCat(
      "turned on ", acct ? "net.netfilter.nf_conntrack_acct" : "",
      acct && timestamp ? " and " : "",
      timestamp ? "net.netfilter.nf_conntrack_timestamp" : "",
      sysctl_->coordinated()
          ? " (restored when the last flowtop in this namespace exits)"
          : " (restored on exit)",
      "; flows that started earlier show no ",
      acct ? "counters" : "start times");
  if (options_.notice) {
    options_.notice(msg);
  } else {
    // Named after the program (flowtopd, flowtop, a test binary).
    std::fprintf(stderr, "%s: %s\n", program_invocation_short_name,
                 msg.c_str());
  }
  return absl::OkStatus();
}

KernelSource::~KernelSource() {
  Stop();
  if (sysctl_ != nullptr) sysctl_->RestoreAsyncSignalSafe();
}

void KernelSource::Stop() {
  // Notification::Notify must run once, and Stop may race with itself.
  if (!stopping_.exchange(true)) stop_.Notify();
  {
    absl::MutexLock lock(&stop_mu_);
    stop_requested_ = true;
  }
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
  if (sysctl_ == nullptr) {
    return absl::FailedPreconditionError(
        "kernel source: no sysctls (created over given sockets)");
  }
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
                      f.reply().dst_ip(), f.reply().dst_port()) &
         ~kSilent;
}

void KernelSource::Know(uint64_t key, uint64_t fingerprint, bool silent) {
  auto [value, inserted] = known_.TryEmplace(key);
  if (!inserted && (*value & kSilent) != 0) --silent_;
  *value = (fingerprint & ~kSilent) | (silent ? kSilent : 0);
  if (silent) ++silent_;
}

void KernelSource::Forget(uint64_t key) {
  const uint64_t* value = known_.Find(key);
  if (value == nullptr) return;
  if ((*value & kSilent) != 0) --silent_;
  known_.Erase(key);
}

size_t KernelSource::SilentCount() const {
  absl::MutexLock lock(&known_mu_);
  return silent_;
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

absl::Status KernelSource::InitialDump(Batch& batch, RateTracker* rates) {
  // Say how big the table about to load is (for "loading N/M").
  if (sysctl_ != nullptr) {
    if (absl::StatusOr<ConntrackInfo> info = sysctl_->Read(); info.ok()) {
      v1::FlowEvent& e = batch.Next();
      e.Clear();
      e.set_type(v1::STATUS);
      e.mutable_status()->set_loading(true);
      e.mutable_status()->set_conntrack_count(info->count);
    }
  }
  std::vector<char> buf(kDumpBufferBytes);
  if (rates != nullptr) rates->BeginSample(clock_.Now());
  absl::MutexLock lock(&known_mu_);
  absl::Status s = DumpTable(*dump_, buf, [&](v1::FlowEvent& e) {
    const uint64_t key = core::FlowKey(e.flow());
    if (known_.size() < options_.max_flows || known_.Contains(key)) {
      // Silent until an event names it: it may have begun before anyone
      // listened, and then the kernel sends none (see the header).
      Know(key, Fingerprint(e.flow()), /*silent=*/true);
    }
    if (rates != nullptr) rates->Remember(e.flow());
    batch.Next().Swap(&e);
  });
  if (!s.ok()) return s;
  if (rates != nullptr) rates->EndSample();
  v1::FlowEvent& end = batch.Next();
  end.Clear();
  end.set_type(v1::SNAPSHOT_END);
  batch.Flush();
  return absl::OkStatus();
}

void KernelSource::HandleEvent(v1::FlowEvent& event, Batch& batch) {
  const uint64_t key = core::FlowKey(event.flow());
  switch (event.type()) {
    case v1::NEW:
    case v1::UPDATE: {
      if (!known_.Contains(key)) {
        event.set_type(v1::NEW);  // an UPDATE for a flow we never announced
        if (known_.size() < options_.max_flows) {
          Know(key, Fingerprint(event.flow()), /*silent=*/false);
        }
      } else {
        event.set_type(v1::UPDATE);  // a NEW for a flow the dump announced
        Know(key, Fingerprint(event.flow()), /*silent=*/false);
      }
      break;
    }
    case v1::DESTROY:
      Forget(key);
      break;
    default:
      break;
  }
  batch.Next().Swap(&event);
}

absl::Status KernelSource::Resync(const std::string& why, Batch& batch) {
  // Dump first, so that LOST can say how much the loss changed.
  std::vector<char> buf(kDumpBufferBytes);
  absl::MutexLock known_lock(&known_mu_);
  std::vector<v1::FlowEvent> changes;
  DenseFlowMap<uint64_t> seen;
  seen.Reserve(known_.size());
  absl::Status s = DumpTable(*dump_, buf, [&](v1::FlowEvent& e) {
    const uint64_t key = core::FlowKey(e.flow());
    const uint64_t fp = Fingerprint(e.flow());
    *seen.TryEmplace(key).first = fp;
    const uint64_t* known = known_.Find(key);
    if (known == nullptr) {
      e.set_type(v1::NEW);
    } else if ((*known & ~kSilent) != fp) {
      e.set_type(v1::UPDATE);
    } else {
      return;
    }
    changes.emplace_back().Swap(&e);
  });
  if (!s.ok()) return s;
  known_.ForEach([&](uint64_t key, uint64_t) {
    if (seen.Contains(key)) return;
    v1::FlowEvent& e = changes.emplace_back();
    e.set_type(v1::DESTROY);
    core::SetFlowKey(key, *e.mutable_flow());
  });
  v1::FlowEvent& lost = batch.Next();
  lost.Clear();
  lost.set_type(v1::LOST);
  lost.mutable_lost()->set_source(v1::KERNEL);
  lost.mutable_lost()->set_count(std::max<uint64_t>(1, changes.size()));
  lost.mutable_lost()->set_detail(absl::StrCat(
      why, "; count is the number of flow changes the resync found (a "
      "lower bound)"));
  v1::FlowEvent& begin = batch.Next();
  begin.Clear();
  begin.set_type(v1::RESYNC_BEGIN);
  for (v1::FlowEvent& e : changes) batch.Next().Swap(&e);
  v1::FlowEvent& end = batch.Next();
  end.Clear();
  end.set_type(v1::RESYNC_END);
  batch.Flush();
  // The kernel's view replaces ours (bounded like everything else). A
  // silent flow stays silent; one the dump found first was created after we
  // listened (its NEW was lost), so the kernel sends its events.
  std::vector<uint64_t> still_silent;
  known_.ForEach([&](uint64_t key, uint64_t fp) {
    if ((fp & kSilent) != 0 && seen.Contains(key)) still_silent.push_back(key);
  });
  known_.Clear();
  silent_ = 0;
  seen.ForEach([&](uint64_t key, uint64_t fp) {
    if (known_.size() < options_.max_flows) Know(key, fp, /*silent=*/false);
  });
  for (const uint64_t key : still_silent) {
    if (const uint64_t* fp = known_.Find(key)) Know(key, *fp, /*silent=*/true);
  }
  absl::MutexLock lock(&mu_);
  ++stats_.resyncs;
  return absl::OkStatus();
}

// Moves what a COUNTERS event carries (identity, counters, rates) from a
// dumped flow into `out`.
static void FillCounters(v1::Flow& flow, v1::FlowEvent& out) {
  out.Clear();
  out.set_type(v1::COUNTERS);
  v1::Flow& f = *out.mutable_flow();
  f.set_conntrack_id(flow.conntrack_id());
  f.set_key(flow.key());
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
}

absl::Status KernelSource::RateSample(RateTracker& tracker,
                                      std::vector<char>& buf, Batch& batch,
                                      bool counters) {
  tracker.BeginSample(clock_.Now());
  absl::Status s = DumpTable(*rates_, buf, [&](v1::FlowEvent& e) {
    v1::Flow& flow = *e.mutable_flow();
    if (tracker.Observe(flow) && counters) FillCounters(flow, batch.Next());
  });
  if (!s.ok()) return s;
  std::vector<uint64_t> gone;
  tracker.EndSample([&](uint64_t key) { gone.push_back(key); });
  batch.Flush();
  if (!gone.empty()) DestroySilent(gone, batch);
  absl::MutexLock lock(&mu_);
  ++stats_.rate_dumps;
  return absl::OkStatus();
}

void KernelSource::DestroySilent(const std::vector<uint64_t>& gone,
                                 Batch& batch) {
  // Under known_mu_ until published: the reader's next event for one of
  // these keys (a new flow that reuses it) comes after the DESTROY, and one
  // it already handled made the flow not silent (its DESTROY is the
  // kernel's to send).
  absl::MutexLock lock(&known_mu_);
  uint64_t destroyed = 0;
  for (const uint64_t key : gone) {
    const uint64_t* value = known_.Find(key);
    if (value == nullptr || (*value & kSilent) == 0) continue;
    Forget(key);
    v1::FlowEvent& e = batch.Next();
    e.Clear();
    e.set_type(v1::DESTROY);
    core::SetFlowKey(key, *e.mutable_flow());
    ++destroyed;
  }
  batch.Flush();
  absl::MutexLock stats_lock(&mu_);
  stats_.silent_gone += destroyed;
  stats_.silent = silent_;
}

bool KernelSource::StopRequestedBy(absl::Time deadline) {
  absl::MutexLock lock(&stop_mu_);
  return clock_.AwaitWithDeadline(&stop_mu_, absl::Condition(&stop_requested_),
                                  deadline);
}

void KernelSource::RateLoop(core::EventSink& sink, RateTracker& tracker,
                            DumpCost initial) {
  YieldToReaders(options_.rate_thread_nice);
  // With rates off the loop still dumps, at kSilentSweepInterval, until no
  // silent flow is left: only a dump says when one ended.
  const bool counters = options_.rate_interval > absl::ZeroDuration();
  std::vector<char> buf(kDumpBufferBytes);
  Batch batch(sink, options_.batch_size);
  RateSchedule schedule(counters ? options_.rate_interval : kSilentSweepInterval,
                        options_.rate_cpu_budget);
  // The initial dump walked the table too: its cost sets the first wait,
  // so a million flows just loaded are not dumped again a second later.
  absl::Time next = schedule.Next(initial.start, initial.cpu);
  if (counters) PublishRatePeriod(schedule, batch);
  while (!StopRequestedBy(next)) {
    if (!counters && SilentCount() == 0) break;
    const absl::Time start = clock_.Now();
    const absl::Duration cpu = options_.thread_cpu_time();
    // A failed sample is skipped; the next one starts over.
    if (absl::IsCancelled(RateSample(tracker, buf, batch, counters))) break;
    next = schedule.Next(start, options_.thread_cpu_time() - cpu);
    if (counters) PublishRatePeriod(schedule, batch);
  }
}

void KernelSource::PublishRatePeriod(const RateSchedule& schedule,
                                     Batch& batch) {
  {
    absl::MutexLock lock(&mu_);
    if (stats_.rate_period == schedule.period()) return;
    stats_.rate_period = schedule.period();
    stats_.rate_stretched = schedule.stretched();
  }
  v1::FlowEvent& e = batch.Next();
  e.Clear();
  e.set_type(v1::STATUS);
  e.mutable_status()->set_rate_period_millis(
      absl::ToInt64Milliseconds(schedule.period()));
  e.mutable_status()->set_rate_stretched(schedule.stretched());
  batch.Flush();
}

// The event reader's state (Run's thread).
struct KernelSource::Reader {
  Reader(core::EventSink& sink, size_t batch_size) : batch(sink, batch_size) {}
  Batch batch;
  std::vector<char> buf = std::vector<char>(1 << 16);
  v1::FlowEvent event;
  uint64_t messages = 0, filtered = 0, errors = 0;
};

void KernelSource::PublishStats(Reader& r) {
  absl::MutexLock known_lock(&known_mu_);
  absl::MutexLock lock(&mu_);
  stats_.messages += r.messages;
  stats_.filtered += r.filtered;
  stats_.parse_errors += r.errors;
  stats_.events = r.batch.published();
  stats_.tracked = known_.size();
  stats_.silent = silent_;
  r.messages = r.filtered = r.errors = 0;
}

bool KernelSource::ProcessDatagram(Reader& r, size_t len) {
  absl::MutexLock lock(&known_mu_);  // see DestroySilent
  const char* p = r.buf.data();
  size_t left = len;
  bool intact = true;
  while (left >= sizeof(nlmsghdr)) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(p);
    if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > left) {
      ++r.errors;
      return false;
    }
    if (IsConntrackMessage(p, nlh->nlmsg_len)) {
      ++r.messages;
      absl::Status ps = ParseConntrackMessage(p, nlh->nlmsg_len, r.event);
      if (!ps.ok()) {
        ++r.errors;  // some flow changed and we cannot say which
        intact = false;
      } else if (!Selected(r.event.flow())) {
        ++r.filtered;
      } else {
        HandleEvent(r.event, r.batch);
      }
    }
    const size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
    if (step >= left) break;
    p += step;
    left -= step;
  }
  return intact;
}

absl::Status KernelSource::RecoverFromLoss(Reader& r, const std::string& why) {
  // The kernel reports ENOBUFS once, when the socket becomes congested, and
  // then drops silently until its queue is empty. Drain the queue first
  // (applying what it holds) so that the dump below covers every silent
  // drop and any later overflow raises a new ENOBUFS.
  for (;;) {
    absl::StatusOr<size_t> d = events_->TryReceive(r.buf.data(), r.buf.size());
    if (absl::IsResourceExhausted(d.status())) {
      absl::MutexLock lock(&mu_);
      ++stats_.overflows;
      continue;
    }
    if (absl::IsDataLoss(d.status())) continue;  // covered by the dump
    if (!d.ok()) break;                          // UNAVAILABLE: empty
    ProcessDatagram(r, *d);  // a damaged one is covered by the dump too
  }
  r.batch.Flush();
  absl::Status s = Resync(why, r.batch);
  if (s.ok()) PublishStats(r);
  ReturnFreedMemory();
  return s;
}

absl::Status KernelSource::ReadEvents(Reader& r) {
  bool wait = true;
  while (!stop_.HasBeenNotified()) {
    // Block only when nothing is pending; otherwise drain without waiting
    // and hand the batch off once the socket is empty.
    absl::StatusOr<size_t> n =
        wait ? events_->Receive(r.buf.data(), r.buf.size(), waker_.get())
             : events_->TryReceive(r.buf.data(), r.buf.size());
    if (absl::IsUnavailable(n.status())) {  // drained
      r.batch.Flush();
      PublishStats(r);
      wait = true;
      continue;
    }
    if (absl::IsCancelled(n.status())) return absl::OkStatus();
    std::string why;
    if (absl::IsResourceExhausted(n.status())) {
      uint64_t overflows;
      {
        absl::MutexLock lock(&mu_);
        overflows = ++stats_.overflows;
      }
      why = absl::StrCat(
          "conntrack netlink receive buffer overflowed (ENOBUFS, ", overflows,
          " so far)");
    } else if (absl::IsDataLoss(n.status())) {
      why = "a conntrack netlink datagram did not fit the receive buffer";
    } else if (!n.ok()) {
      return n.status();
    } else {
      wait = false;
      if (!ProcessDatagram(r, *n)) why = "a conntrack event could not be parsed";
    }
    if (why.empty()) continue;
    absl::Status s = RecoverFromLoss(r, why);
    if (absl::IsCancelled(s)) return absl::OkStatus();
    if (!s.ok()) return s;
    wait = true;
  }
  return absl::OkStatus();
}

absl::Status KernelSource::Run(core::EventSink& sink) {
  Reader reader(sink, options_.batch_size);
  const bool with_rates = options_.rate_interval > absl::ZeroDuration();
  RateTracker tracker;  // filled here, then the rate thread's alone
  // The initial dump's own cost, without the sink's work (loading the
  // table), which rate dumps do not repeat.
  DumpCost initial{clock_.Now(), options_.thread_cpu_time()};
  reader.batch.MeasureSink(options_.thread_cpu_time);
  absl::Status s = InitialDump(reader.batch, &tracker);
  reader.batch.MeasureSink(nullptr);
  initial.cpu = options_.thread_cpu_time() - initial.cpu - reader.batch.sink_cpu();
  if (absl::IsCancelled(s)) return absl::OkStatus();
  if (!s.ok()) return s;
  ReturnFreedMemory();
  PublishStats(reader);
  std::thread rates;
  if (with_rates || SilentCount() > 0) {
    if (with_rates) {
      absl::MutexLock lock(&mu_);
      stats_.rate_period = options_.rate_interval;
    }
    rates = std::thread(
        [this, &sink, &tracker, initial] { RateLoop(sink, tracker, initial); });
  }
  absl::Status result = ReadEvents(reader);
  reader.batch.Flush();
  PublishStats(reader);
  Stop();
  if (rates.joinable()) rates.join();
  return result;
}

}  // namespace flowtop::collector
