// soak: the real flowtopd under connection churn and clients, for minutes,
// printing its memory, CPU and losses at intervals (issue 13, item 14).
//
// In a fresh network namespace: a churn thread opens and closes --rate TCP
// connections per second to a listener inside (each a NEW, a few UPDATEs and
// a DESTROY once conntrack's TIME_WAIT, set to --time-wait seconds in the
// namespace only, runs out: about rate x time-wait live flows); flowtopd
// watches the kernel; clients follow GetFlows (one with a snapshot, one
// filtered) and poll ListFlows (top 100 each second, the whole table every
// 10 s). Every --interval seconds it prints flowtopd's RSS, CPU over the
// interval, the flows in its table, the events the clients saw and every
// loss counted (GetStatus's kernel/ring/client counts and the LOST events
// the streams received).
//
// --wrap runs flowtopd under a profiler, e.g. --wrap "heaptrack -o /tmp/soak"
// (flowtopd gets SIGTERM at the end so the profile is complete).
// Root only (network namespace). The machine is shared: run it with nice.
//   nice bazel run -c opt //bench/service:soak -- --minutes 30
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "flowtop/v1/flowtop.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/netns/netns.h"

ABSL_FLAG(double, minutes, 5, "how long to soak");
ABSL_FLAG(int, interval, 30, "seconds between figures");
ABSL_FLAG(int, rate, 200, "new TCP connections per second");
ABSL_FLAG(int, time_wait, 60,
          "conntrack's TCP TIME_WAIT timeout in the namespace, seconds "
          "(live flows ~ rate x time_wait)");
ABSL_FLAG(std::string, flowtopd, "service/flowtopd", "flowtopd path");
ABSL_FLAG(std::string, wrap, "", "command prefix for flowtopd (a profiler)");
ABSL_FLAG(std::string, args, "", "extra flowtopd arguments");

namespace flowtop::bench {
namespace {

std::atomic<bool> stopping{false};

absl::Status Fail(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

// Moves this thread (and every thread it starts later) into the namespace.
absl::Status EnterNamespace(const testing::NetNs& ns) {
  const int fd = open(ns.Path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("open " + ns.Path());
  const int rc = setns(fd, CLONE_NEWNET);
  close(fd);
  if (rc != 0) return Fail("setns");
  std::ofstream tw("/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait");
  tw << absl::GetFlag(FLAGS_time_wait) << "\n";
  tw.close();
  if (!tw) return Fail("set nf_conntrack_tcp_timeout_time_wait");
  return absl::OkStatus();
}

// A TCP listener on all of 127/8 that accepts and closes; returns its port.
absl::StatusOr<int> StartListener(std::vector<std::thread>* threads) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(fd, 1024) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Fail("listener");
  }
  threads->emplace_back([fd] {
    while (!stopping.load()) {
      const int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) close(c);
    }
  });
  return ntohs(addr.sin_port);
}

// Opens and closes `rate` connections per second, paced, until stopping,
// to 127.0.0.1 .. 127.0.0.8 in turn: the kernel reuses a free source port
// soon, and a new SYN on a tuple in TIME_WAIT replaces its conntrack entry,
// so one destination would hold only ~8,400 flows however long TIME_WAIT is.
void Churn(int port, int rate, std::atomic<uint64_t>* made) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  const absl::Duration step = absl::Seconds(1) / rate;
  absl::Time next = absl::Now();
  for (uint32_t i = 0; !stopping.load(); ++i) {
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK + i % 8);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 &&
        connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      made->fetch_add(1);
    }
    if (fd >= 0) close(fd);
    next += step;
    absl::SleepFor(next - absl::Now());
  }
}

// flowtopd (under --wrap) in its own process group; returns the group.
absl::StatusOr<pid_t> StartDaemon(const std::string& out) {
  const std::string cmd = absl::StrCat(
      "exec ", absl::GetFlag(FLAGS_wrap), " ", absl::GetFlag(FLAGS_flowtopd),
      " --listen 127.0.0.1:0 --node-name soak ", absl::GetFlag(FLAGS_args),
      " >", out, " 2>", out, ".err");
  const pid_t pid = fork();
  if (pid < 0) return Fail("fork");
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

// The port from flowtopd's "flowtopd: listening on 127.0.0.1:PORT" line.
absl::StatusOr<int> WaitForPort(const std::string& out) {
  for (int i = 0; i < 600; ++i) {
    std::ifstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      const size_t at = line.find("flowtopd: listening on ");
      const size_t colon = line.rfind(':');
      int port;
      if (at != std::string::npos &&
          absl::SimpleAtoi(line.substr(colon + 1), &port)) {
        return port;
      }
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError("flowtopd did not say it listens; see " +
                                     out + ".err");
}

// The flowtopd process in group `pgid` (the leader itself, or a profiler's
// child).
pid_t FindDaemon(pid_t pgid) {
  for (int pid = 1; pid < 4194304; ++pid) {
    std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    if (text.find("(flowtopd)") == std::string::npos) continue;
    std::vector<std::string> f = absl::StrSplit(text.substr(text.rfind(')') + 2), ' ');
    if (f.size() > 2 && f[2] == absl::StrCat(pgid)) return pid;
  }
  return 0;
}

struct ProcSample {
  double rss_mb = 0;
  double cpu_seconds = 0;
};

ProcSample Sample(pid_t pid) {
  ProcSample s;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      s.rss_mb = std::atof(line.c_str() + 6) / 1024.0;
    }
  }
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  std::vector<std::string> f = absl::StrSplit(text.substr(text.rfind(')') + 2), ' ');
  if (f.size() > 13) {
    s.cpu_seconds = (std::atof(f[11].c_str()) + std::atof(f[12].c_str())) /
                    sysconf(_SC_CLK_TCK);
  }
  return s;
}

struct ClientCounts {
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> lost_events{0};  // LOST events received
  std::atomic<uint64_t> lost_count{0};   // events those LOST events count
  std::atomic<uint64_t> lists{0};
  std::atomic<uint64_t> errors{0};
};

// Follows GetFlows until stopping; reconnects after an error.
void Follow(const std::shared_ptr<grpc::Channel>& channel, bool snapshot,
            uint32_t port_filter, ClientCounts* counts) {
  auto stub = v1::FlowTop::NewStub(channel);
  while (!stopping.load()) {
    v1::GetFlowsRequest req;
    req.set_follow(true);
    req.set_snapshot(snapshot);
    req.set_binary_addresses_only(true);
    if (port_filter != 0) req.add_allow()->add_dst_port(port_filter);
    grpc::ClientContext ctx;
    auto reader = stub->GetFlows(&ctx, req);
    v1::GetFlowsResponse resp;
    while (!stopping.load() && reader->Read(&resp)) {
      counts->events.fetch_add(resp.events_size());
      for (const v1::FlowEvent& e : resp.events()) {
        if (e.type() != v1::LOST) continue;
        counts->lost_events.fetch_add(1);
        counts->lost_count.fetch_add(e.lost().count());
      }
    }
    ctx.TryCancel();
    reader->Finish();
    if (!stopping.load()) counts->errors.fetch_add(1);
  }
}

// Polls ListFlows: the top 100 by rate each second, everything every 10th.
void Poll(const std::shared_ptr<grpc::Channel>& channel, ClientCounts* counts) {
  auto stub = v1::FlowTop::NewStub(channel);
  for (int i = 0; !stopping.load(); ++i) {
    v1::ListFlowsRequest req;
    req.set_sort(v1::SORT_RATE);
    req.set_descending(true);
    req.set_limit(i % 10 == 0 ? 0 : 100);
    req.set_binary_addresses_only(true);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ListFlowsResponse resp;
    if (stub->ListFlows(&ctx, req, &resp).ok()) {
      counts->lists.fetch_add(1);
    } else {
      counts->errors.fetch_add(1);
    }
    absl::SleepFor(absl::Seconds(1));
  }
}

v1::NodeStatus Status(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::FlowTop::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetStatusResponse resp;
  stub->GetStatus(&ctx, v1::GetStatusRequest(), &resp).ok();
  return resp.status();
}

// Prints one line every --interval seconds until --minutes have passed.
void Report(pid_t daemon, const std::shared_ptr<grpc::Channel>& channel,
            const std::atomic<uint64_t>& made, const ClientCounts& counts) {
  std::printf("%6s %8s %7s %7s %9s %10s %9s %12s %12s %6s\n", "t_s", "rss_mb",
              "cpu_%", "flows", "ct_count", "conns", "lists", "events",
              "lost(k/r/c)", "LOSTev");
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Minutes(absl::GetFlag(FLAGS_minutes));
  const absl::Duration interval = absl::Seconds(absl::GetFlag(FLAGS_interval));
  ProcSample last = Sample(daemon);
  absl::Time last_at = start;
  for (absl::Time next = start + interval; next <= end; next += interval) {
    absl::SleepFor(next - absl::Now());
    const ProcSample s = Sample(daemon);
    const v1::NodeStatus st = Status(channel);
    const absl::Time now = absl::Now();
    const double cpu = 100.0 * (s.cpu_seconds - last.cpu_seconds) /
                       absl::ToDoubleSeconds(now - last_at);
    std::printf("%6.0f %8.1f %7.1f %7llu %9llu %10llu %9llu %12llu %4llu/%llu/%llu %6llu\n",
                absl::ToDoubleSeconds(now - start), s.rss_mb, cpu,
                (unsigned long long)st.flows(),
                (unsigned long long)st.conntrack_count(),
                (unsigned long long)made.load(),
                (unsigned long long)counts.lists.load(),
                (unsigned long long)counts.events.load(),
                (unsigned long long)st.lost().kernel(),
                (unsigned long long)st.lost().ring(),
                (unsigned long long)st.lost().client(),
                (unsigned long long)counts.lost_events.load());
    std::fflush(stdout);
    last = s;
    last_at = now;
  }
}

int Run() {
  auto ns = testing::NetNs::Create();
  if (!ns.ok()) return std::fprintf(stderr, "soak: %s\n", ns.status().ToString().c_str()), 1;
  if (absl::Status s = EnterNamespace(**ns); !s.ok()) {
    return std::fprintf(stderr, "soak: %s\n", s.ToString().c_str()), 1;
  }
  char dir[] = "/tmp/soak.XXXXXX";
  if (mkdtemp(dir) == nullptr) return std::perror("soak: mkdtemp"), 1;
  const std::string out = absl::StrCat(dir, "/flowtopd.out");
  absl::StatusOr<pid_t> group = StartDaemon(out);
  absl::StatusOr<int> port = group.ok() ? WaitForPort(out) : group.status();
  if (!port.ok()) return std::fprintf(stderr, "soak: %s\n", port.status().ToString().c_str()), 1;
  const pid_t daemon = FindDaemon(*group);
  std::printf("soak: flowtopd pid %d on port %d, %d conn/s, TIME_WAIT %d s, %g min\n",
              daemon, *port, absl::GetFlag(FLAGS_rate), absl::GetFlag(FLAGS_time_wait),
              absl::GetFlag(FLAGS_minutes));
  std::vector<std::thread> threads;
  absl::StatusOr<int> sink = StartListener(&threads);
  if (!sink.ok()) return std::fprintf(stderr, "soak: %s\n", sink.status().ToString().c_str()), 1;
  std::atomic<uint64_t> made{0};
  ClientCounts counts;
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port),
                                     grpc::InsecureChannelCredentials());
  threads.emplace_back(Churn, *sink, absl::GetFlag(FLAGS_rate), &made);
  threads.emplace_back(Follow, channel, true, 0, &counts);
  threads.emplace_back(Follow, channel, false, *sink, &counts);
  threads.emplace_back(Poll, channel, &counts);
  Report(daemon, channel, made, counts);
  stopping.store(true);
  kill(daemon, SIGTERM);  // ends the streams too; a profiler writes its file
  int status = 0;
  waitpid(*group, &status, 0);
  const int wake = socket(AF_INET, SOCK_STREAM, 0);  // unblocks accept()
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(*sink);
  connect(wake, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  for (std::thread& t : threads) t.join();
  std::printf("soak: flowtopd exit status %d; client errors %llu; output in %s\n",
              WEXITSTATUS(status), (unsigned long long)counts.errors.load(), dir);
  return 0;
}

}  // namespace
}  // namespace flowtop::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return flowtop::bench::Run();
}
