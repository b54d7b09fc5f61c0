#include "collector/enrich/enricher.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/enrich/bpf_owners.h"
#include "collector/enrich/conf_files.h"
#include "core/flow_key.h"
#include "core/proto_utf8.h"

namespace flowtop::collector::enrich {
namespace {

// Bound on remembered live flows; beyond it (DESTROY events lost) the map
// starts over and results for older flows are dropped as stale.
constexpr size_t kMaxLive = size_t{1} << 21;

// Copies a 4- or 16-byte address; returns its length (0 for anything else).
uint8_t CopyIp(const std::string& ip, char* out) {
  if (ip.size() != 4 && ip.size() != 16) return 0;
  std::memcpy(out, ip.data(), ip.size());
  return static_cast<uint8_t>(ip.size());
}

// Returns the node name of `out` when it is the collector's Pipeline.
std::string NodeOf(const core::EventSink& out) {
  const auto* pipeline = dynamic_cast<const core::Pipeline*>(&out);
  return pipeline == nullptr ? std::string() : pipeline->node();
}

}  // namespace

std::string DescribeAttribution(const AttributionMode& mode) {
  if (mode.mode == "ebpf") return "process attribution: eBPF";
  if (mode.mode == "sock_diag") {
    return absl::StrCat("process attribution: sock_diag only (", mode.detail,
                        "); short-lived client connections may show \"-\"");
  }
  return absl::StrCat("process attribution: off",
                      mode.detail.empty() ? "" : absl::StrCat(" (", mode.detail, ")"));
}

v1::Flow Enricher::ToFlow(const Job& job) {
  v1::Flow flow;
  core::SetFlowKey(job.id, flow);
  flow.set_protocol(static_cast<v1::L4Protocol>(job.protocol));
  flow.set_family(job.ip_len == 16 ? v1::IPV6 : v1::IPV4);
  v1::Tuple* o = flow.mutable_original();
  o->set_src_ip(job.ips[0], job.ip_len);
  o->set_dst_ip(job.ips[1], job.ip_len);
  o->set_src_port(job.ports[0]);
  o->set_dst_port(job.ports[1]);
  if (job.reply_ip_len != 0) {
    v1::Tuple* r = flow.mutable_reply();
    r->set_src_ip(job.ips[2], job.reply_ip_len);
    r->set_dst_ip(job.ips[3], job.reply_ip_len);
    r->set_src_port(job.ports[2]);
    r->set_dst_port(job.ports[3]);
  }
  return flow;
}

std::unique_ptr<Enricher> Enricher::Create(const EnricherOptions& options,
                                           core::EventSink& out, const core::Clock& clock) {
  EnricherParts parts;
  std::vector<std::string> hints;
  if (options.no_process) {
    parts.attribution.detail = "process attribution off";
  } else {
    absl::StatusOr<std::unique_ptr<SockDiag>> diag = SockDiag::Open();
    if (diag.ok()) {
      parts.sockets = *std::move(diag);
      parts.processes = std::make_unique<ProcIndex>(clock);
      parts.local = std::make_unique<InterfaceAddresses>(clock);
      parts.cgroups = std::make_unique<CgroupPaths>(clock);
      parts.attribution.mode = "sock_diag";
      if (options.no_bpf) {
        parts.attribution.detail = "--no-bpf";
      } else {
        absl::StatusOr<std::unique_ptr<BpfOwners>> owners = BpfOwners::Open();
        if (owners.ok()) {
          parts.owners = *std::move(owners);
          parts.attribution.mode = "ebpf";
        } else {
          parts.attribution.detail = std::string(owners.status().message());
        }
      }
      if (parts.attribution.mode != "ebpf") {
        hints.push_back(DescribeAttribution(parts.attribution));
      }
    } else {
      parts.attribution.detail = std::string(diag.status().message());
      hints.push_back(std::string(diag.status().message()));
    }
  }
  if (!options.no_geoip) {
    parts.geoip = GeoIp::Open(options.geoip);
    if (!parts.geoip->hint().empty()) {
      hints.push_back(parts.geoip->hint());
    } else if (!parts.geoip->problems().empty()) {
      hints.push_back(absl::StrCat("GeoIP: skipped ",
                                   absl::StrJoin(parts.geoip->problems(), "; ")));
    }
  }
  std::vector<std::string> problems;
  ServiceFiles files = options.services;
  if (files.tcp_conf.empty()) files.tcp_conf = FindConfFile("tcp.conf");
  if (files.udp_conf.empty()) files.udp_conf = FindConfFile("udp.conf");
  parts.services = std::make_unique<ServiceNames>(ServiceNames::Load(files, &problems));
  for (std::string& p : problems) hints.push_back(std::move(p));
  if (!options.no_dns) parts.dns = options.dns;
  parts.max_queue = options.max_queue;
  parts.workers = options.workers;
  parts.worker_nice = options.worker_nice;
  return std::make_unique<Enricher>(std::move(parts), out, clock, std::move(hints));
}

Enricher::Enricher(EnricherParts parts, core::EventSink& out, const core::Clock& clock,
                   std::vector<std::string> hints)
    : out_(out),
      node_(NodeOf(out)),
      clock_(clock),
      hints_(std::move(hints)),
      self_pid_(static_cast<uint32_t>(getpid())),
      max_queue_(parts.max_queue == 0 ? 1 : parts.max_queue),
      worker_nice_(parts.worker_nice),
      sockets_(std::move(parts.sockets)),
      owners_(std::move(parts.owners)),
      cgroups_(std::move(parts.cgroups)),
      attribution_(std::move(parts.attribution)),
      processes_(std::move(parts.processes)),
      local_(std::move(parts.local)),
      geoip_(std::move(parts.geoip)),
      services_(std::move(parts.services)) {
  if (sockets_ != nullptr && processes_ != nullptr && local_ != nullptr) {
    attributor_ = std::make_unique<ProcessAttributor>(*sockets_, *processes_, *local_,
                                                      owners_.get(), cgroups_.get());
  }
  if (geoip_ != nullptr && !geoip_->available()) geoip_.reset();
  if (parts.dns.has_value()) {
    absl::StatusOr<std::unique_ptr<ReverseResolver>> resolver = ReverseResolver::Create(
        *parts.dns, clock_,
        [this](const std::string& ip, const std::string& name) { OnName(ip, name); });
    if (resolver.ok()) {
      resolver_ = *std::move(resolver);
    } else {
      hints_.push_back(std::string(resolver.status().message()));
    }
  }
  const int workers = parts.workers < 1 ? 1 : parts.workers;
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
}

Enricher::~Enricher() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    hurry_ = true;
  }
  for (std::thread& t : workers_) t.join();
  resolver_.reset();  // joins the resolver thread: no callback after this
}

void Enricher::Publish(absl::Span<v1::FlowEvent> events) {
  bool relevant = false;
  for (const v1::FlowEvent& event : events) {
    const v1::EventType type = event.type();
    if (type == v1::NEW || type == v1::SNAPSHOT || type == v1::DESTROY) {
      relevant = true;
      break;
    }
  }
  if (!relevant) return;
  // This runs on the collector's thread, under the Pipeline's lock: it only
  // appends to the queue (which the workers take whole, every millisecond at
  // least, so it stays short and in cache). Which flows are live is the
  // workers' business (TakeQueue).
  absl::MutexLock lock(&mu_);
  for (const v1::FlowEvent& event : events) {
    const uint64_t id = core::FlowKey(event.flow());
    switch (event.type()) {
      case v1::NEW:
      case v1::SNAPSHOT: {
        if (queued_flows_ + backlog_size_ >= max_queue_) {
          ++stats_.skipped;
          // Not enriched; results for an earlier flow with this id are stale.
          Job& end = queue_.emplace_back();
          end.id = id;
          end.destroy = true;
          break;
        }
        Job& job = queue_.emplace_back();
        job.id = id;
        job.destroy = false;
        job.generation = ++next_generation_;
        ++queued_flows_;
        const v1::Flow& flow = event.flow();
        job.first_seen = flow.first_seen_unix_nanos();
        job.protocol = flow.protocol();
        const v1::Tuple& o = flow.original();
        const v1::Tuple& r = flow.reply();
        job.ip_len = CopyIp(o.src_ip(), job.ips[0]);
        CopyIp(o.dst_ip(), job.ips[1]);
        job.reply_ip_len = CopyIp(r.src_ip(), job.ips[2]);
        CopyIp(r.dst_ip(), job.ips[3]);
        job.ports[0] = static_cast<uint16_t>(o.src_port());
        job.ports[1] = static_cast<uint16_t>(o.dst_port());
        job.ports[2] = static_cast<uint16_t>(r.src_port());
        job.ports[3] = static_cast<uint16_t>(r.dst_port());
        ++stats_.queued;
        break;
      }
      case v1::DESTROY: {
        // Always queued (beyond max_queue: at most one per live flow).
        Job& end = queue_.emplace_back();
        end.id = id;
        end.destroy = true;
        break;
      }
      default:
        break;
    }
  }
}

void Enricher::TakeQueue(std::vector<Job>* incoming, std::deque<Job>* backlog,
                         absl::Time* backlog_since) {
  incoming->clear();  // keeps its capacity: the two vectors take turns
  uint64_t ticket;
  {
    absl::MutexLock lock(&mu_);
    if (queue_.empty()) return;
    incoming->swap(queue_);
    busy_ += queued_flows_;
    backlog_size_ += queued_flows_;
    queued_flows_ = 0;
    ticket = next_take_++;
  }
  if (backlog->empty()) *backlog_since = clock_.Now();
  // Takes are applied to live_ in the order they were taken (with several
  // workers another one may have taken a later part of the queue already).
  absl::MutexLock lock(&live_mu_);
  auto my_turn = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(live_mu_) {
    return applied_takes_ == ticket;
  };
  live_mu_.Await(absl::Condition(&my_turn));
  for (const Job& job : *incoming) {
    if (job.destroy) {
      live_.erase(job.id);
    } else {
      if (live_.size() >= kMaxLive) live_.clear();
      live_[job.id] = job.generation;
      backlog->push_back(job);
    }
  }
  ++applied_takes_;
}

void Enricher::Work() {
  // Linux applies a nice value per thread; failure (no permission to
  // lower it) leaves the default, which is harmless.
  if (worker_nice_ != 0) {
    const int current = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), current + worker_nice_);
  }
  // Flows taken from the queue, in order, not enriched yet, and hostname
  // answers not published yet.
  std::deque<Job> backlog;
  std::vector<Job> incoming;
  std::vector<Name> names;
  // Rounds computed and waiting for the Pipeline to give way, oldest first.
  std::deque<Round> waiting;
  // Since when flows wait in the backlog (for the Pipeline to be free).
  absl::Time backlog_since = absl::InfinitePast();
  while (true) {
    // While the Pipeline is busy (the collector saturated) a round waits,
    // and so do new lookups for up to kMaxYield: they would compete with it
    // for the CPU. Meanwhile the worker waits a poll at a time and only
    // takes the queue (so the queue stays short). Times are the clock's.
    auto hold_back = [&] {
      return !hurry_.load(std::memory_order_relaxed) && !backlog.empty() &&
             clock_.Now() - backlog_since < kMaxYield && out_.Busy();
    };
    if (!waiting.empty() || hold_back()) {
      WaitAPoll();
    } else if (backlog.empty() && names.empty()) {
      WaitForARound();
    }
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      busy_ += names_.size();
      names.insert(names.end(), std::make_move_iterator(names_.begin()),
                   std::make_move_iterator(names_.end()));
      names_.clear();
    }
    TakeQueue(&incoming, &backlog, &backlog_since);
    const bool held = hold_back();
    const size_t take = held ? 0 : std::min(backlog.size(), kPublishBatch);
    const bool build = waiting.empty() && (take > 0 || !names.empty());
    if (build) BuildRound(take, &backlog, &names, &waiting.emplace_back());
    if (!waiting.empty() &&
        PublishRound(waiting.front(), &incoming, &backlog, &backlog_since)) {
      waiting.pop_front();
    }
    // Held back and nothing else to do: wait a poll before looking again
    // (not back-to-back probes and takes while the collector is busy).
    if (held && !build) WaitAPoll();
  }
}

void Enricher::WaitForARound() {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || !queue_.empty() || !names_.empty();
  };
  mu_.Await(absl::Condition(&ready));
  // Gather a full round, or whatever arrived within kMaxBatchDelay:
  // one Publish per round instead of one per source batch.
  auto full = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || draining_ > 0 || queue_.size() + names_.size() >= kPublishBatch;
  };
  clock_.AwaitWithDeadline(&mu_, absl::Condition(&full),
                           clock_.Now() + kMaxBatchDelay);
}

void Enricher::BuildRound(size_t take, std::deque<Job>* backlog,
                          std::vector<Name>* names, Round* round) {
  round->taken = take + names->size();
  round->from_backlog = take;
  for (size_t i = 0; i < take; ++i) {
    const Job& job = backlog->front();
    v1::FlowEvent& event = round->events.emplace_back();
    Enrich(job, &event);
    round->owners.push_back({job.id, job.generation, /*flow=*/true});
    backlog->pop_front();
  }
  for (const Name& n : *names) {
    v1::FlowEvent& event = round->events.emplace_back();
    event.set_type(v1::ENRICH);
    core::SetFlowKey(n.waiter.id, *event.mutable_flow());
    event.mutable_flow()->set_first_seen_unix_nanos(n.waiter.first_seen);
    v1::Enrichment* e = event.mutable_flow()->mutable_enrichment();
    (n.waiter.src ? e->mutable_src() : e->mutable_dst())->set_hostname(n.name);
    round->owners.push_back({n.waiter.id, n.waiter.generation, /*flow=*/false});
  }
  names->clear();
  // Names from outside (a comm any user may set, a PTR record, a GeoIP
  // database) may be any bytes: repaired here, or the events would not
  // parse wherever they go (core/proto_utf8.h).
  for (v1::FlowEvent& event : round->events) {
    core::RepairUtf8Strings(*event.mutable_flow()->mutable_enrichment());
  }
  if (!node_.empty()) {
    // What the Pipeline would fill in under its lock.
    for (v1::FlowEvent& event : round->events) {
      event.set_node(node_);
      v1::Flow& flow = *event.mutable_flow();
      flow.set_node(node_);
      flow.set_id(core::FlowIdFor(node_, flow));
    }
  }
  round->since = clock_.Now();
}

void Enricher::WaitAPoll() {
  absl::MutexLock lock(&mu_);
  auto hurry = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || draining_ > 0;
  };
  clock_.AwaitWithDeadline(&mu_, absl::Condition(&hurry),
                           clock_.Now() + kYieldPoll);
}

bool Enricher::PublishRound(Round& round, std::vector<Job>* incoming,
                            std::deque<Job>* backlog, absl::Time* backlog_since) {
  // Drop results whose flow is gone (or whose id now names another flow):
  // live_ as of every event queued so far.
  uint64_t stale = 0, enriched = 0, hostnames = 0;
  if (round.from_backlog > 0) {
    absl::MutexLock lock(&mu_);
    backlog_size_ -= round.from_backlog;
    round.from_backlog = 0;
  }
  TakeQueue(incoming, backlog, backlog_since);
  {
    absl::MutexLock lock(&live_mu_);
    size_t kept = 0;
    for (size_t i = 0; i < round.events.size(); ++i) {
      const Round::Owner& owner = round.owners[i];
      auto it = live_.find(owner.id);
      if (it == live_.end() || it->second != owner.generation) {
        ++stale;
        continue;
      }
      (owner.flow ? enriched : hostnames) += 1;
      if (kept != i) {
        round.events[kept] = std::move(round.events[i]);
        round.owners[kept] = round.owners[i];
      }
      ++kept;
    }
    round.events.resize(kept);
    round.owners.resize(kept);
  }
  // Give way to the event path (see kYieldPoll), unless this round waited
  // kMaxYield (on the clock) already or Drain/stop is waiting.
  const bool give_way =
      !hurry_.load(std::memory_order_relaxed) && clock_.Now() - round.since < kMaxYield;
  if (!round.events.empty()) {
    if (give_way) {
      if (!out_.TryPublish(absl::MakeSpan(round.events))) {
        round.stale += stale;
        return false;
      }
    } else {
      out_.Publish(absl::MakeSpan(round.events));
    }
  }
  absl::MutexLock lock(&mu_);
  stats_.stale += round.stale + stale;  // (earlier tries' drops included)
  stats_.enriched += enriched;
  stats_.hostname_events += hostnames;
  busy_ -= round.taken;
  return true;
}

void Enricher::Enrich(const Job& job, v1::FlowEvent* event) {
  event->set_type(v1::ENRICH);
  v1::Flow& out = *event->mutable_flow();
  core::SetFlowKey(job.id, out);
  out.set_first_seen_unix_nanos(job.first_seen);  // which flow: see FlowTable::IsStaleEnrich
  v1::Enrichment& e = *out.mutable_enrichment();
  const v1::Flow flow = ToFlow(job);
  const v1::Tuple& o = flow.original();
  bool own = resolver_ != nullptr && resolver_->IsOwnQuery(flow);
  if (attributor_ != nullptr) {
    // An end without a process gets no (empty) Process: JSON readers would
    // see "process":{}.
    v1::Process src, dst;
    attributor_->Attribute(flow, &src, &dst);
    if (src.ByteSizeLong() != 0) *e.mutable_src()->mutable_process() = std::move(src);
    if (dst.ByteSizeLong() != 0) *e.mutable_dst()->mutable_process() = std::move(dst);
    // Our resolver's flow, if its socket was not seen yet: a query to port
    // 53 sent by this very process.
    if (!own && o.dst_port() == 53 && e.src().process().pid() == self_pid_ &&
        (flow.protocol() == v1::UDP || flow.protocol() == v1::TCP)) {
      own = true;
    }
  }
  if (own) {
    e.set_own_traffic(true);
    absl::MutexLock lock(&mu_);
    ++stats_.own_traffic;
  }
  if (geoip_ != nullptr) {
    v1::Geo src = geoip_->Lookup(o.src_ip());
    if (src.ByteSizeLong() != 0) *e.mutable_src()->mutable_geo() = std::move(src);
    v1::Geo dst = geoip_->Lookup(o.dst_ip());
    if (dst.ByteSizeLong() != 0) *e.mutable_dst()->mutable_geo() = std::move(dst);
  }
  if (services_ != nullptr) {
    e.set_service(services_->Guess(flow.protocol(), o.src_port(), o.dst_port()));
  }
  if (resolver_ != nullptr && !own) {
    LookupName(job, o.src_ip(), /*src=*/true, e.mutable_src());
    LookupName(job, o.dst_ip(), /*src=*/false, e.mutable_dst());
  }
}

void Enricher::LookupName(const Job& job, const std::string& ip, bool src,
                          v1::Endpoint* end) {
  absl::MutexLock lock(&waiters_mu_);
  std::string name;
  switch (resolver_->Lookup(ip, &name)) {
    case ReverseResolver::Result::kHit:
      if (!name.empty()) end->set_hostname(name);
      break;
    case ReverseResolver::Result::kPending:
      // Registered under the same lock the answer takes, so it cannot be
      // missed even when it comes back at once.
      if (waiter_count_ >= max_queue_) {
        absl::MutexLock stats_lock(&mu_);
        ++stats_.dns_waiters_dropped;
        break;
      }
      waiters_[ip].push_back(Waiter{job.id, job.generation, job.first_seen, src});
      ++waiter_count_;
      break;
    case ReverseResolver::Result::kDropped:
      break;
  }
}

void Enricher::OnName(const std::string& ip, const std::string& name) {
  std::vector<Waiter> waiting;
  {
    absl::MutexLock lock(&waiters_mu_);
    auto it = waiters_.find(ip);
    if (it == waiters_.end()) return;
    waiting = std::move(it->second);
    waiters_.erase(it);
    waiter_count_ -= waiting.size();
  }
  if (name.empty()) return;  // no name: the address stays numeric
  // A worker publishes the names with its next round (stale ones dropped
  // there); the queue is bounded by the waiters registered (max_queue).
  absl::MutexLock lock(&mu_);
  for (const Waiter& w : waiting) names_.push_back(Name{w, name});
}

void Enricher::Drain() {
  absl::MutexLock lock(&mu_);
  ++draining_;
  hurry_ = true;
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && names_.empty() && busy_ == 0;
  };
  mu_.Await(absl::Condition(&idle));
  --draining_;
  hurry_ = stop_ || draining_ > 0;
}

EnricherStats Enricher::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace flowtop::collector::enrich
