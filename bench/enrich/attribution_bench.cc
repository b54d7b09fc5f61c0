// Process attribution of short connections against the real kernel, with
// eBPF and without it (sock_diag only) side by side, and what it costs.
//
// In a network namespace: a python3 server (TCP: answers one line and
// closes; UDP: answers each datagram) and a python3 client that opens short
// connections at a fixed rate (TCP: connect, send, receive, close; UDP: a new
// socket per request, one datagram each way). The collector's whole local
// path runs in the namespace (KernelSource -> Pipeline -> Enricher, process
// attribution only). After the load, every flow to the server port in the
// table is checked: is each end named (a pid), and by which process.
//
// Printed per protocol and mode (off = no process attribution, the
// baseline; sock_diag = --no-bpf; ebpf):
//   * the share of flows named on the client and the server end;
//   * flowtop's CPU time (user + system, all threads of this process: the
//     conntrack reader, the pipeline, the enrichment worker and the kernel
//     work of their sock_diag requests) per second of load, and above the
//     baseline, scaled to 10,000 new flows/s (cost is per flow);
//   * with eBPF, the kernel time of the eBPF programs (run-time statistics),
//     which the connecting and sending processes pay, per flow and scaled.
//
// Needs root. Run:
//   bazel run -c opt //bench/enrich:attribution_bench -- [--rate=1000]
//     [--seconds=5] [--modes=off,sock_diag,ebpf] [--protocols=tcp,udp]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "collector/enrich/bpf_owners.h"
#include "collector/enrich/enricher.h"
#include "collector/kernel_source.h"
#include "core/clock.h"
#include "core/pipeline.h"
#include "tests/netns/netns.h"

ABSL_FLAG(int, rate, 1000, "new connections per second");
ABSL_FLAG(double, seconds, 5, "seconds of load per run");
ABSL_FLAG(std::string, modes, "off,sock_diag,ebpf", "attribution modes to run");
ABSL_FLAG(std::string, protocols, "tcp,udp", "protocols to run");

namespace flowtop::collector::enrich {
namespace {

using ::flowtop::testing::NetNs;

constexpr int kPort = 7007;

constexpr char kTcpServer[] = R"(
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7007))
s.listen(1024)
while True:
    c, _ = s.accept()
    try:
        c.recv(64)
        c.sendall(b"ok\n")
    except OSError:
        pass
    c.close()
)";

constexpr char kUdpServer[] = R"(
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 7007))
while True:
    data, peer = s.recvfrom(64)
    s.sendto(b"ok\n", peer)
)";

// Paced client: RATE connections per second for SECONDS; prints how many
// completed.
std::string Client(bool tcp, int rate, double seconds) {
  return absl::StrCat(R"(
import socket, time
rate, seconds, tcp = )", rate, ", ", seconds, ", ", tcp ? "True" : "False", R"(
n = int(rate * seconds)
done = 0
t0 = time.monotonic()
for i in range(n):
    delay = t0 + i / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    try:
        if tcp:
            s = socket.create_connection(("127.0.0.1", 7007), timeout=2)
            s.sendall(b"hi\n")
            s.recv(8)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            s.sendto(b"hi\n", ("127.0.0.1", 7007))
            s.recv(8)
        s.close()
        done += 1
    except OSError:
        pass
print(done)
)");
}

std::string Python(const std::string& code) {
  std::string quoted;
  for (char c : code) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return absl::StrCat("exec python3 -c '", quoted, "'");
}

absl::Duration CpuTime() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return absl::DurationFromTimeval(ru.ru_utime) + absl::DurationFromTimeval(ru.ru_stime);
}

struct Result {
  std::string mode;  // as reported by the Enricher
  size_t flows = 0;
  size_t client_named = 0;
  size_t server_named = 0;
  int completed = 0;
  double cpu_per_second = 0;  // flowtop's CPU seconds per second of load
  uint64_t bpf_runs = 0;
  uint64_t bpf_ns = 0;
};

// Waits until every flow to the server has its ENRICH merged (or 10 s).
void WaitEnriched(core::Pipeline& pipeline, Enricher& enricher) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    enricher.Drain();
    const bool all = pipeline.WithTable([](const core::FlowTable& table) {
      bool done = true;
      table.ForEach([&done](const v1::Flow& f) {
        if (f.original().dst_port() == kPort && !f.has_enrichment()) done = false;
      });
      return done;
    });
    if (all) return;
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::StatusOr<Result> RunOne(const std::string& mode, bool tcp, int rate, double seconds) {
  absl::StatusOr<std::unique_ptr<NetNs>> ns = NetNs::Create();
  if (!ns.ok()) return ns.status();
  absl::StatusOr<pid_t> server = (*ns)->Spawn(Python(tcp ? kTcpServer : kUdpServer));
  if (!server.ok()) return server.status();
  absl::SleepFor(absl::Milliseconds(500));  // python's start-up

  EnricherOptions options;
  options.no_dns = true;
  options.no_geoip = true;
  options.no_process = mode == "off";
  options.no_bpf = mode == "sock_diag";
  KernelSourceOptions source_options;
  source_options.enable_accounting = false;
  source_options.rate_interval = absl::ZeroDuration();
  core::Pipeline pipeline(core::PipelineOptions{}, core::RealClock::Get());
  std::unique_ptr<KernelSource> source;
  std::unique_ptr<Enricher> enricher;
  absl::Status created;
  absl::Status inside = (*ns)->RunInside([&] {
    auto s = KernelSource::Create(source_options);
    created = s.status();
    if (s.ok()) source = *std::move(s);
    enricher = Enricher::Create(options, pipeline, core::RealClock::Get());
  });
  if (!inside.ok()) return inside;
  if (!created.ok()) return created;
  Result result;
  result.mode = enricher->attribution_mode().mode;
  if (mode != "off" && result.mode != mode) {
    return absl::FailedPreconditionError(absl::StrCat(
        "asked for ", mode, ", got ", DescribeAttribution(enricher->attribution_mode())));
  }
  pipeline.AddSink(enricher.get());
  const auto* bpf = dynamic_cast<const BpfOwners*>(enricher->owners());
  const BpfOwners::RunStats bpf0 = bpf != nullptr ? bpf->run_stats() : BpfOwners::RunStats{};
  absl::Status run_status;
  std::thread runner([&] { run_status = source->Run(pipeline); });
  absl::SleepFor(absl::Seconds(1));  // the source's start-up dump and subscription

  const absl::Duration cpu0 = CpuTime();
  const absl::Time t0 = absl::Now();
  absl::StatusOr<std::string> out = (*ns)->Run(Python(Client(tcp, rate, seconds)));
  WaitEnriched(pipeline, *enricher);
  const absl::Duration cpu = CpuTime() - cpu0;
  const absl::Duration wall = absl::Now() - t0;
  source->Stop();
  runner.join();
  if (!out.ok()) return out.status();
  result.completed = std::atoi(out->c_str());
  result.cpu_per_second = absl::ToDoubleSeconds(cpu) / seconds;
  if (bpf != nullptr) {
    const BpfOwners::RunStats bpf1 = bpf->run_stats();
    result.bpf_runs = bpf1.runs - bpf0.runs;
    result.bpf_ns = bpf1.run_time_ns - bpf0.run_time_ns;
  }
  (void)wall;
  pipeline.WithTable([&result](const core::FlowTable& table) {
    table.ForEach([&result](const v1::Flow& f) {
      if (f.original().dst_port() != kPort) return;
      ++result.flows;
      if (f.enrichment().src().process().pid() != 0) ++result.client_named;
      if (f.enrichment().dst().process().pid() != 0) ++result.server_named;
    });
    return 0;
  });
  enricher.reset();
  return result;
}

std::string Percent(size_t part, size_t whole) {
  return whole == 0 ? "-" : absl::StrFormat("%.1f%%", 100.0 * part / whole);
}

int Main() {
  const int rate = absl::GetFlag(FLAGS_rate);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const std::vector<std::string> modes = absl::StrSplit(absl::GetFlag(FLAGS_modes), ',');
  const std::vector<std::string> protocols =
      absl::StrSplit(absl::GetFlag(FLAGS_protocols), ',');
  // eBPF run-time statistics, for the kernel-side cost (off again at exit).
  absl::StatusOr<int> stats_fd = BpfOwners::EnableRunStats();
  if (!stats_fd.ok()) std::fprintf(stderr, "%s\n", std::string(stats_fd.status().message()).c_str());
  std::printf("attribution of short connections: %d new connections/s for %.0f s per run\n",
              rate, seconds);
  std::printf("(shared 2-core VM: CPU figures are noisy; compare modes within one run)\n\n");
  std::printf("%-5s %-10s %7s %7s %9s %9s %12s %16s %14s\n", "proto", "mode", "flows",
              "done", "client", "server", "flowtop CPU", "+CPU @10k/s", "eBPF ns/run");
  for (const std::string& protocol : protocols) {
    const bool tcp = protocol == "tcp";
    double baseline = -1;
    for (const std::string& mode : modes) {
      absl::StatusOr<Result> r = RunOne(mode, tcp, rate, seconds);
      if (!r.ok()) {
        std::printf("%-5s %-10s error: %s\n", protocol.c_str(), mode.c_str(),
                    std::string(r.status().message()).c_str());
        continue;
      }
      if (mode == "off") baseline = r->cpu_per_second;
      std::string extra = "-";
      if (baseline >= 0 && mode != "off") {
        // Cost per flow above the baseline, times 10,000 flows/s, as a
        // share of one core.
        const double per_flow = (r->cpu_per_second - baseline) / rate;
        extra = absl::StrFormat("%.1f%% core", 100.0 * per_flow * 10000);
      }
      std::string bpf = "-";
      if (r->bpf_runs > 0) {
        bpf = absl::StrFormat("%.0f (%.1f/flow)", static_cast<double>(r->bpf_ns) / r->bpf_runs,
                              static_cast<double>(r->bpf_runs) / std::max<size_t>(1, r->flows));
      }
      std::printf("%-5s %-10s %7zu %7d %9s %9s %10.1f%% %16s %14s\n", protocol.c_str(),
                  r->mode.c_str(), r->flows, r->completed,
                  Percent(r->client_named, r->flows).c_str(),
                  Percent(r->server_named, r->flows).c_str(), 100.0 * r->cpu_per_second,
                  extra.c_str(), bpf.c_str());
      std::fflush(stdout);
    }
  }
  std::printf(
      "\nclient/server: flows named on that end. flowtop CPU: this process's user+system\n"
      "time per second of load, in %% of one core. +CPU @10k/s: the same above the 'off'\n"
      "baseline, per flow, times 10,000 new flows/s. eBPF ns/run: kernel time per\n"
      "program run (paid by the connecting/sending processes), runs per flow.\n");
  if (stats_fd.ok()) close(*stats_fd);
  return 0;
}

}  // namespace
}  // namespace flowtop::collector::enrich

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return flowtop::collector::enrich::Main();
}
