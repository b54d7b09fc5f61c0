// Live collector benchmark, in a fresh network namespace: N generators
// (udp_flood) create new UDP flows as fast as they can for S seconds while
// KernelSource and `conntrack -E` (conntrack-tools, default buffer) watch
// side by side. Prints both tools' NEW counts against the kernel's count,
// losses, resyncs, whether our table equals the kernel's afterwards, CPU per
// 10,000 events/s. Root only.
//   bazel run -c opt //bench/collector:live_bench -- --generators=1 --seconds=3
#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/flow_key.h"
#include "collector/kernel_source.h"
#include "core/pipeline.h"
#include "tests/netns/netns.h"

ABSL_FLAG(int, generators, 1, "parallel udp_flood processes");
ABSL_FLAG(double, seconds, 3, "how long each generator runs");
ABSL_FLAG(int, rcvbuf, 64 << 20, "our event socket's receive buffer");
ABSL_FLAG(std::string, flood, "bench/collector/udp_flood", "udp_flood path");

namespace flowtop::collector {
namespace {

// Counts distinct flows announced (NEW/SNAPSHOT, and NEW inside a resync),
// minus DESTROYs, and losses. Cheap: runs on the reader thread.
class CountingSink : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    absl::MutexLock lock(&mu_);
    for (const v1::FlowEvent& e : events) {
      switch (e.type()) {
        case v1::NEW:
        case v1::SNAPSHOT:
        case v1::UPDATE:
          if (live_.insert(core::FlowKey(e.flow())).second) ++announced_;
          if (e.type() == v1::NEW) ++new_events_;
          break;
        case v1::DESTROY:
          live_.erase(core::FlowKey(e.flow()));
          break;
        case v1::LOST:
          ++lost_;
          break;
        default:
          break;
      }
      ++events_;
    }
  }
  absl::Mutex mu_;
  absl::flat_hash_set<uint64_t> live_ ABSL_GUARDED_BY(mu_);  // FlowKeys
  uint64_t announced_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t new_events_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t lost_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t events_ ABSL_GUARDED_BY(mu_) = 0;
};

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

uint64_t Number(const absl::StatusOr<std::string>& s) {
  uint64_t v = 0;
  if (s.ok()) (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(*s), &v);
  return v;
}

// The conntrack ids the kernel lists, to compare our table with id by id (a
// multiset: conntrack ids collide, about one pair per 100,000 flows).
std::multiset<uint32_t> KernelIds(const testing::NetNs& ns) {
  std::multiset<uint32_t> ids;
  for (absl::string_view line : absl::StrSplit(
           ns.Run("conntrack -L -o id 2>/dev/null").value_or(""), '\n')) {
    const size_t pos = line.rfind(" id=");
    uint32_t id;
    if (pos != absl::string_view::npos &&
        absl::SimpleAtoi(line.substr(pos + 4), &id)) {
      ids.insert(id);
    }
  }
  return ids;
}

// conntrack -E: lets it drain, then counts its NEW lines for our flows.
uint64_t ConntrackEventsNew(const testing::NetNs& ns, const std::string& tmp) {
  uint64_t ct_new = 0;
  for (int i = 0; i < 50; ++i) {
    const uint64_t n = Number(
        ns.Run(absl::StrCat("grep -c '^ *\\[NEW\\] udp.*dst=127\\.1[0-9]\\.' ",
                            tmp, ".ctE || true")));
    if (n == ct_new && i > 2) break;
    ct_new = n;
    absl::SleepFor(absl::Milliseconds(300));  // a benchmark, not a test
  }
  return ct_new;
}

// How many of `a`'s ids `b` lacks, counting repeats.
size_t Lacking(const std::multiset<uint32_t>& a, const std::multiset<uint32_t>& b) {
  std::vector<uint32_t> d;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(d));
  return d.size();
}

// A KernelSource inside the namespace, with --rcvbuf and no rates.
absl::StatusOr<std::unique_ptr<KernelSource>> CreateSourceIn(const testing::NetNs& ns) {
  KernelSourceOptions options;
  options.receive_buffer_bytes = absl::GetFlag(FLAGS_rcvbuf);
  options.rate_interval = absl::ZeroDuration();
  options.notice = [](const std::string&) {};
  absl::StatusOr<std::unique_ptr<KernelSource>> created =
      absl::InternalError("not run");
  (void)ns.RunInside([&] { created = KernelSource::Create(options); });
  return created;
}

// Long because it is one measured run: the namespace, the reader thread,
// the flood and the comparison share its timing and its temporary files.
int Main() {
  auto ns_or = testing::NetNs::Create();
  if (!ns_or.ok()) {
    std::fprintf(stderr, "live_bench: %s\n", ns_or.status().ToString().c_str());
    return 1;
  }
  auto& ns = *ns_or;
  const std::string tmp = absl::StrCat("/tmp/live_bench_", getpid());
  (void)ns->Run(
      "sysctl -qw net.netfilter.nf_conntrack_udp_timeout=300 "
      "net.netfilter.nf_conntrack_max=1048576 2>/dev/null; true");
  const uint64_t max =
      Number(ns->Run("cat /proc/sys/net/netfilter/nf_conntrack_max"));

  // conntrack -E with its default buffer, NEW events only; wait until it
  // shows a probe flow so that it is surely subscribed.
  auto ct = ns->Spawn(absl::StrCat("exec conntrack -E -e NEW -p udp >", tmp,
                                   ".ctE 2>", tmp, ".ctE.err"));
  if (!ct.ok()) return 1;
  for (int i = 0; i < 100; ++i) {
    (void)ns->Run(
        "python3 -c \"import socket;socket.socket(socket.AF_INET,"
        "socket.SOCK_DGRAM).sendto(b'p',('127.0.0.2',9))\"");
    if (Number(ns->Run(
            absl::StrCat("grep -c 'dport=9 ' ", tmp, ".ctE || true"))) > 0)
      break;
  }

  absl::StatusOr<std::unique_ptr<KernelSource>> created = CreateSourceIn(*ns);
  if (!created.ok()) {
    std::fprintf(stderr, "live_bench: %s\n", created.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<KernelSource> source = std::move(*created);
  // The real path: KernelSource -> Pipeline (FlowTable) -> a counting sink.
  CountingSink sink;
  core::Pipeline pipeline({.node = "bench"}, core::RealClock::Get());
  pipeline.AddSink(&sink);
  std::thread reader([&] { (void)source->Run(pipeline); });
  const uint64_t before = Number(ns->Run("conntrack -C"));
  {
    absl::MutexLock lock(&sink.mu_);
    auto snapshot_done = [&]() ABSL_SHARED_LOCKS_REQUIRED(sink.mu_) {
      return sink.events_ > 0;
    };
    sink.mu_.AwaitWithTimeout(absl::Condition(&snapshot_done),
                              absl::Seconds(10));
  }

  char flood_path[PATH_MAX];
  if (realpath(absl::GetFlag(FLAGS_flood).c_str(), flood_path) == nullptr) {
    std::fprintf(stderr, "live_bench: udp_flood not found at %s\n",
                 absl::GetFlag(FLAGS_flood).c_str());
    return 1;
  }
  const int gens = absl::GetFlag(FLAGS_generators);
  const double secs = absl::GetFlag(FLAGS_seconds);
  const double cpu0 = CpuSeconds();
  const absl::Time t0 = absl::Now();
  std::string cmd;
  for (int g = 0; g < gens; ++g) {
    absl::StrAppend(&cmd, flood_path, " ", secs, " ", 10 + g, " >", tmp, ".gen",
                    g, " & ");
  }
  absl::StrAppend(&cmd, "wait");
  (void)ns->Run(cmd);
  uint64_t sent = 0;
  for (int g = 0; g < gens; ++g) {
    sent += Number(ns->Run(absl::StrCat("cat ", tmp, ".gen", g)));
  }
  const uint64_t kernel_count = Number(ns->Run("conntrack -C")) - before;
  const std::multiset<uint32_t> kernel_ids = KernelIds(*ns);
  // Wait until we have announced as many flows as the kernel lists (or 30 s).
  {
    absl::MutexLock lock(&sink.mu_);
    auto caught_up = [&]() ABSL_SHARED_LOCKS_REQUIRED(sink.mu_) {
      return sink.live_.size() >= kernel_ids.size();
    };
    sink.mu_.AwaitWithTimeout(absl::Condition(&caught_up), absl::Seconds(30));
  }
  const double wall = absl::ToDoubleSeconds(absl::Now() - t0);
  const double cpu = CpuSeconds() - cpu0;
  const uint64_t ct_new = ConntrackEventsNew(*ns, tmp);
  const std::string ct_err =
      ns->Run(absl::StrCat("cat ", tmp, ".ctE.err")).value_or("");
  source->Stop();
  reader.join();
  const size_t table_size =
      pipeline.WithTable([](const core::FlowTable& t) { return t.size(); });
  const size_t table_missing = pipeline.WithTable([&](const core::FlowTable& t) {
    std::multiset<uint32_t> ours;
    t.ForEach([&](const v1::Flow& f) { ours.insert(f.conntrack_id()); });
    return Lacking(kernel_ids, ours);
  });
  const KernelSourceStats st = source->stats();
  absl::MutexLock lock(&sink.mu_);
  std::multiset<uint32_t> announced;
  for (uint64_t key : sink.live_) announced.insert(static_cast<uint32_t>(key));
  const size_t missing = Lacking(kernel_ids, announced);
  const size_t extra = Lacking(announced, kernel_ids);
  const double rate = sent / secs;
  std::printf(
      "generators: %d x %.1f s   datagrams sent: %lu (%.0f/s)   "
      "nf_conntrack_max: %lu\n",
      gens, secs, sent, rate, max);
  // The flows the generators created, as conntrack -L lists them.
  const uint64_t kernel = kernel_ids.size() - before;
  std::printf("kernel: new flows: %lu listed by conntrack -L (%lu by conntrack -C)\n",
              kernel, kernel_count);
  std::printf(
      "conntrack -E (default buffer): NEW shown: %lu (%.1f%% of kernel)%s\n",
      ct_new, kernel ? 100.0 * ct_new / kernel : 0.0,
      ct_err.find("No buffer space") != std::string::npos
          ? "  [printed ENOBUFS]"
          : "");
  std::printf(
      "flowtop KernelSource: flows announced: %lu (%.1f%% of kernel), "
      "NEW events: %lu, LOST events: %lu, ENOBUFS: %lu, resyncs: %lu, "
      "rcvbuf: %d\n",
      sink.announced_ - before,
      kernel ? 100.0 * (sink.announced_ - before) / kernel : 0.0,
      sink.new_events_, sink.lost_, st.overflows, st.resyncs,
      st.receive_buffer_bytes);
  std::printf("pipeline FlowTable: %zu flows, %zu of the kernel's missing\n",
              table_size, table_missing);
  std::printf(
      "table vs conntrack -L: kernel %zu flows, ours %zu, missing %zu, extra "
      "%zu -> %s\n",
      kernel_ids.size(), sink.live_.size(), missing, extra,
      missing == 0 && extra == 0 ? "EXACT" : "DIFFERENT");
  const double evps = (sink.events_) / wall;
  std::printf(
      "our CPU: %.2f s over %.2f s wall for %lu events = %.1f%% of a core "
      "per 10,000 events/s\n",
      cpu, wall, sink.events_,
      evps > 0 ? 100.0 * (cpu / wall) / (evps / 10000) : 0.0);
  (void)ns->Run(absl::StrCat("rm -f ", tmp, ".*"));
  return 0;
}

}  // namespace
}  // namespace flowtop::collector

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return flowtop::collector::Main();
}
