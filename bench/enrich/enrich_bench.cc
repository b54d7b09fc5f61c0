// Enrichment benchmarks.
//
// 1. Burst: 50,000 NEW events published into a Pipeline by one thread in
//    batches of 64 (as the netlink reader does), with enrichment off and on
//    (real sock_diag, /proc index, GeoIP, service names, reverse DNS to a
//    local server that answers NXDOMAIN at once). Each mode is one long-lived
//    collector (Pipeline + Enricher, like a flowtopd that has run for a
//    while): every round sends it a burst of new flows with fresh addresses,
//    then (untimed) lets enrichment and its DNS queries finish and the flows
//    end. Prints the
//    publisher's event rate for each mode and the ratio on/off, median of
//    interleaved rounds (--rounds, default 15): once with the burst arriving
//    at 200,000 events/s (about 3x what the kernel produces for one sender
//    here), once flat out. Run as root for sock_diag; GeoIP uses
//    --geoip_dir (default: the search path).
// 2. GeoIP lookup cost per address (random IPv4 addresses).
// 3. Reverse-DNS cache hit cost.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "core/clock.h"
#include "collector/enrich/enricher.h"
#include "collector/enrich/geoip.h"
#include "collector/enrich/reverse_dns.h"
#include "core/pipeline.h"

namespace flowtop::collector::enrich {
namespace {

constexpr int kBurst = 50000;
constexpr int kBatch = 64;

std::vector<std::string> g_geoip_dirs;
bool g_no_dns = false;  // --no_dns: enrichment on without reverse DNS
int g_worker_nice = 10;  // --worker_nice=N

std::string V4(uint32_t host_order) {
  const uint32_t n = htonl(host_order);
  return std::string(reinterpret_cast<const char*>(&n), 4);
}

// Counts events, standing in for the event ring.
class CountingSink final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override { count_ += events.size(); }
  uint64_t count() const { return count_; }

 private:
  uint64_t count_ = 0;  // written under the pipeline's lock
};

// A burst of new flows: local 10.0.x.y clients to 5,000 public servers
// (8.8.0.0/16, 81.2.0.0/16, ...) on common ports.
// Each round uses other addresses (round 0..12 stay distinct), so reverse
// DNS and the process lookups miss their caches as in a real burst.
std::vector<v1::FlowEvent> MakeBurst(uint32_t first_id, uint32_t round) {
  std::vector<v1::FlowEvent> events(kBurst);
  std::mt19937 rng(42 + round);
  static constexpr uint32_t kPorts[] = {443, 80, 53, 22, 993, 8080, 5223};
  static constexpr uint32_t kNets[] = {0x08080000, 0x51020000, 0x01010000, 0xC6336400,
                                       0x5DB80000, 0x97650000};
  for (int i = 0; i < kBurst; ++i) {
    v1::FlowEvent& e = events[i];
    e.set_type(v1::NEW);
    v1::Flow* f = e.mutable_flow();
    f->set_conntrack_id(first_id + i);
    f->set_family(v1::IPV4);
    f->set_protocol(i % 4 == 0 ? v1::UDP : v1::TCP);
    v1::Tuple* o = f->mutable_original();
    o->set_src_ip(V4(0x0A000000 + ((round % 256) << 16) + (rng() & 0xffff)));
    o->set_src_port(32768 + (i % 28000));
    o->set_dst_ip(V4(kNets[rng() % 6] + (rng() % 5000 + round % 13 * 5000) % 65536));
    o->set_dst_port(kPorts[rng() % 7]);
    v1::Tuple* r = f->mutable_reply();
    r->set_src_ip(o->dst_ip());
    r->set_src_port(o->dst_port());
    r->set_dst_ip(o->src_ip());
    r->set_dst_port(o->src_port());
  }
  return events;
}

// A port on 127.0.0.1 with no listener: DNS queries to it are refused.
int ClosedUdpPort() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A fast local DNS resolver stand-in (like a caching resolver on the same
// host): answers every query at once with NXDOMAIN, on its own thread.
class NxdomainServer {
 public:
  NxdomainServer() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    timeval tv{0, 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    thread_ = std::thread([this] {
      // It stands for the DNS server (another host, or a resolver process
      // of its own): its CPU time is not the collector's, so it does not
      // compete with the collector's thread here (nice 19).
      setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
      unsigned char buf[512];
      while (!stop_.load()) {
        sockaddr_in peer{};
        socklen_t plen = sizeof(peer);
        const ssize_t n = recvfrom(fd_, buf, sizeof(buf), 0,
                                   reinterpret_cast<sockaddr*>(&peer), &plen);
        if (n < 12) continue;  // timeout (to see stop_) or junk
        buf[2] |= 0x80;                    // QR: a response
        buf[3] = (buf[3] & 0xf0) | 0x83;   // RA, RCODE 3: NXDOMAIN
        sendto(fd_, buf, n, 0, reinterpret_cast<sockaddr*>(&peer), plen);
      }
    });
  }
  ~NxdomainServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct BurstResult {
  double events_per_second;
  double enrich_seconds;  // until every flow was enriched (on only)
  EnricherStats stats;
  // ENRICH events the pipeline had taken when the last NEW was published
  // (the enrichment work that overlapped the burst).
  uint64_t enrich_during_burst = 0;
  // Events per second of the publishing thread's own CPU time: what the
  // collector's thread spends, without the machine's scheduling noise
  // (time asleep waiting for the lock is not counted).
  double events_per_cpu_second = 0;
};

// Returns the calling thread's CPU time.
absl::Duration ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return absl::DurationFromTimespec(ts);
}

// One mode's collector: a Pipeline with a counting sink and, for the "on"
// modes, an Enricher; kept across rounds.
class Collector {
 public:
  // `enrich` false: enrichment off. `lookups` false: the Enricher only names
  // services, so what remains is the cost of its ENRICH events.
  Collector(bool enrich, bool lookups) : pipeline_(core::PipelineOptions{}, core::RealClock::Get()) {
    pipeline_.AddSink(&ring_);
    if (!enrich) return;
    EnricherOptions options;
    options.geoip.dirs = g_geoip_dirs;
    options.services.etc_services = "/etc/services";
    options.dns.servers = {absl::StrCat("127.0.0.1:", dns_.port())};
    options.no_dns = g_no_dns;
    options.worker_nice = g_worker_nice;
    if (!lookups) options.no_dns = options.no_geoip = options.no_process = true;
    enricher_ = Enricher::Create(options, pipeline_, core::RealClock::Get());
    pipeline_.AddSink(enricher_.get());
  }
  ~Collector() {
    // The Enricher publishes into the Pipeline: stop it first.
    enricher_.reset();
  }

  // Publishes a burst of new flows in batches; with `rate` > 0 the batches
  // are paced to arrive at that many events per second (a kernel burst),
  // otherwise as fast as the pipeline takes them. Then, untimed, waits for
  // their enrichment and ends the flows (DESTROY), so every round starts
  // from an empty table.
  BurstResult Burst(uint32_t round, double rate) {
    const uint32_t first_id = 1 + round * kBurst;
    std::vector<v1::FlowEvent> burst = MakeBurst(first_id, round);
    const uint64_t events_before = pipeline_.stats().events;
    const EnricherStats stats_before = enricher_ ? enricher_->stats() : EnricherStats{};
    const absl::Time start = absl::Now();
    const absl::Duration cpu_start = ThreadCpu();
    for (int i = 0; i < kBurst; i += kBatch) {
      if (rate > 0) {
        // The kernel delivers event i at start + i/rate; a collector that
        // falls behind publishes late and its achieved rate drops.
        const absl::Time due = start + absl::Seconds(i / rate);
        const absl::Time now = absl::Now();
        if (due > now) absl::SleepFor(due - now);
      }
      const int n = std::min(kBatch, kBurst - i);
      pipeline_.Publish(absl::MakeSpan(&burst[i], n));
    }
    const absl::Duration publish = absl::Now() - start;
    const absl::Duration cpu = ThreadCpu() - cpu_start;
    BurstResult result{kBurst / absl::ToDoubleSeconds(publish), 0, {}};
    result.enrich_during_burst = pipeline_.stats().events - events_before - kBurst;
    result.events_per_cpu_second = kBurst / absl::ToDoubleSeconds(cpu);
    if (enricher_) {
      enricher_->Drain();
      result.enrich_seconds = absl::ToDoubleSeconds(absl::Now() - start);
      const EnricherStats now = enricher_->stats();
      result.stats.queued = now.queued - stats_before.queued;
      result.stats.skipped = now.skipped - stats_before.skipped;
      result.stats.enriched = now.enriched - stats_before.enriched;
    }
    SettleDns();
    std::vector<v1::FlowEvent> end(kBurst);
    for (int i = 0; i < kBurst; ++i) {
      end[i].set_type(v1::DESTROY);
      end[i].mutable_flow()->set_conntrack_id(first_id + i);
    }
    pipeline_.Publish(absl::MakeSpan(end));
    return result;
  }

 private:
  // Waits (at most 30 s) until reverse DNS has answered every query it sent
  // and sent nothing new for 100 ms, so a round's lookups do not run into
  // the next round's burst.
  void SettleDns() {
    if (!enricher_ || enricher_->resolver() == nullptr) return;
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    uint64_t last_queries = ~uint64_t{0};
    while (absl::Now() < give_up) {
      const ReverseResolverStats s = enricher_->resolver()->stats();
      const bool answered = s.queries == s.answered + s.no_name + s.failed;
      if (answered && s.queries == last_queries) return;
      last_queries = answered ? s.queries : ~uint64_t{0};
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  NxdomainServer dns_;
  core::Pipeline pipeline_;
  CountingSink ring_;
  std::unique_ptr<Enricher> enricher_;
};

void BurstComparison(double rate, int rounds) {
  std::vector<double> off, on, events_only, enrich_time, on_during, events_during;
  std::vector<double> off_cpu, on_cpu, events_cpu;
  EnricherStats last;
  Collector off_collector(false, false), on_collector(true, true), events_collector(true, false);
  // A first, untimed round: memory the collectors keep (table, queues,
  // maps) is allocated once, as in a collector that has been running.
  off_collector.Burst(0, rate);
  on_collector.Burst(0, rate);
  events_collector.Burst(0, rate);
  for (int round = 1; round <= rounds; ++round) {
    BurstResult o = off_collector.Burst(round, rate);
    off.push_back(o.events_per_second);
    off_cpu.push_back(o.events_per_cpu_second);
    BurstResult r = on_collector.Burst(round, rate);
    on.push_back(r.events_per_second);
    on_cpu.push_back(r.events_per_cpu_second);
    enrich_time.push_back(r.enrich_seconds);
    on_during.push_back(static_cast<double>(r.enrich_during_burst));
    last = r.stats;
    BurstResult events = events_collector.Burst(round, rate);
    events_only.push_back(events.events_per_second);
    events_during.push_back(static_cast<double>(events.enrich_during_burst));
    events_cpu.push_back(events.events_per_cpu_second);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  // Ratio of each round's "on" to the same round's "off": their spread
  // shows how much of a difference is the machine's noise.
  std::vector<double> ratios;
  for (size_t i = 0; i < on.size(); ++i) ratios.push_back(on[i] / off[i]);
  std::sort(ratios.begin(), ratios.end());
  const double m_off = median(off), m_on = median(on);
  if (rate > 0) {
    std::printf("burst of %d new flows arriving at %.0f/s, batches of %d, median of %d rounds\n",
                kBurst, rate, kBatch, rounds);
  } else {
    std::printf("burst of %d new flows published flat out, batches of %d, median of %d rounds\n",
                kBurst, kBatch, rounds);
  }
  std::printf("  enrichment off: %10.0f events/s\n", m_off);
  std::printf("  enrichment on:  %10.0f events/s   (all flows enriched after %.2f s)\n",
              m_on, median(enrich_time));
  std::printf("  ratio on/off:   %10.3f   (goal: >= 0.90; per round: min %.3f, "
              "quartiles %.3f %.3f, max %.3f)\n",
              m_on / m_off, ratios.front(), ratios[ratios.size() / 4],
              ratios[ratios.size() * 3 / 4], ratios.back());
  std::printf("  ENRICH events only (no lookups): %.0f events/s, ratio %.3f\n",
              median(events_only), median(events_only) / m_off);
  std::printf("  per CPU second of the publishing thread: off %.0f, on %.0f (ratio %.3f),"
              " ENRICH events only %.0f (ratio %.3f)\n",
              median(off_cpu), median(on_cpu), median(on_cpu) / median(off_cpu),
              median(events_cpu), median(events_cpu) / median(off_cpu));
  std::printf("  ENRICH events merged while the burst was published: %.0f (on), %.0f (events only)\n",
              median(on_during), median(events_during));
  std::printf("  last round: queued %llu, skipped %llu, enriched %llu\n",
              static_cast<unsigned long long>(last.queued),
              static_cast<unsigned long long>(last.skipped),
              static_cast<unsigned long long>(last.enriched));
  std::fflush(stdout);
}

void BM_GeoIpLookup(benchmark::State& state) {
  static std::unique_ptr<GeoIp> geo = GeoIp::Open({{}, g_geoip_dirs});
  if (!geo->available()) {
    state.SkipWithError(geo->hint().c_str());
    return;
  }
  std::mt19937 rng(7);
  std::vector<std::string> ips(4096);
  for (auto& ip : ips) ip = V4(rng());
  size_t i = 0, found = 0;
  for (auto _ : state) {
    v1::Geo g = geo->Lookup(ips[i++ & 4095]);
    found += !g.country_code().empty();
    benchmark::DoNotOptimize(g);
  }
  state.counters["found_ratio"] = static_cast<double>(found) / state.iterations();
  state.SetLabel(absl::StrJoin(geo->paths(), ","));
}
BENCHMARK(BM_GeoIpLookup);

void BM_ReverseDnsCacheHit(benchmark::State& state) {
  ReverseResolverOptions options;
  options.servers = {absl::StrCat("127.0.0.1:", ClosedUdpPort())};
  options.failure_ttl = absl::Hours(1);
  options.max_in_flight = 256;
  absl::Mutex mu;
  size_t answers = 0;
  auto resolver = ReverseResolver::Create(options, core::RealClock::Get(),
                                          [&](const std::string&, const std::string&) {
                                            absl::MutexLock lock(&mu);
                                            ++answers;
                                          });
  if (!resolver.ok()) {
    state.SkipWithError(std::string(resolver.status().message()).c_str());
    return;
  }
  std::vector<std::string> ips;
  for (uint32_t i = 0; i < 1024; ++i) ips.push_back(V4(0xC0000200 + i));
  std::string name;
  for (const auto& ip : ips) (*resolver)->Lookup(ip, &name);
  {
    absl::MutexLock lock(&mu);
    auto all = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return answers == ips.size(); };
    mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(30));
  }
  size_t i = 0;
  for (auto _ : state) {
    auto r = (*resolver)->Lookup(ips[i++ & 1023], &name);
    benchmark::DoNotOptimize(r);
  }
  state.counters["hit_ratio"] =
      static_cast<double>((*resolver)->stats().cache_hits) / state.iterations();
}
BENCHMARK(BM_ReverseDnsCacheHit);

}  // namespace
}  // namespace flowtop::collector::enrich

int main(int argc, char** argv) {
  int rounds = 15;
  bool rounds_given = false;
  using flowtop::collector::enrich::g_geoip_dirs;
  std::vector<char*> rest;
  bool burst = true;
  const char* single = nullptr;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no_burst") == 0) {
      burst = false;
    } else if (std::strncmp(argv[i], "--worker_nice=", 14) == 0) {
      flowtop::collector::enrich::g_worker_nice = std::atoi(argv[i] + 14);
    } else if (std::strncmp(argv[i], "--rounds=", 9) == 0) {
      rounds = std::max(1, std::atoi(argv[i] + 9));
      rounds_given = true;
    } else if (std::strcmp(argv[i], "--no_dns") == 0) {
      flowtop::collector::enrich::g_no_dns = true;
    } else if (std::strncmp(argv[i], "--single=", 9) == 0) {
      single = argv[i] + 9;
    } else if (std::strncmp(argv[i], "--geoip_dir=", 12) == 0) {
      g_geoip_dirs.push_back(argv[i] + 12);
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (g_geoip_dirs.empty()) g_geoip_dirs = flowtop::collector::enrich::DefaultGeoIpSearchPath();
  if (single != nullptr) {
    // One flat-out burst, for instruction counts under callgrind
    // (--separate-threads=yes): off, events (ENRICH events, no lookups), on.
    const std::string mode = single;
    if (mode != "off" && mode != "events" && mode != "on") {
      std::fprintf(stderr, "--single=%s: expected off, events or on\n", single);
      return 2;
    }
    flowtop::collector::enrich::Collector collector(mode != "off", mode == "on");
    for (int round = 0; round < (rounds_given ? rounds : 1); ++round) {
      const auto r = collector.Burst(round, 0);
      std::printf("single burst (%s) round %d: %.0f events/s, enriched %llu after %.2f s\n",
                  single, round, r.events_per_second,
                  static_cast<unsigned long long>(r.stats.enriched), r.enrich_seconds);
    }
    return 0;
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  // 200,000/s is about three times the new-flow rate one sender reaches
  // through conntrack here (68,000/s); flat out shows the CPU cost on a
  // shared two-core machine.
  if (burst) {
    flowtop::collector::enrich::BurstComparison(200000, rounds);
    flowtop::collector::enrich::BurstComparison(0, rounds);
  }
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
