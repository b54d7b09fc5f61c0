// IPFIX export figures (docs/export.md has the method and the numbers):
//   --mode=encode  records encoded and sent over UDP per CPU-second, by the
//                  session alone and through the whole exporter (events in,
//                  datagrams out); no root needed.
//   --mode=live    the exporter's share of flowtop's CPU while the kernel
//                  source handles --rate new UDP flows/s (each ending about
//                  a second later: udp timeout 1 s in the namespace). Root.
//   --mode=nfcapd  records nfcapd stored vs records sent at --ends flow
//                  ends/s (two records each) on loopback. Root.
//   --mode=all     all three.
// The machine is shared: read the figures as orders of magnitude and ratios.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/clock.h"
#include "collector/kernel_source.h"
#include "core/pipeline.h"
#include "exporters/ipfix_encoder.h"
#include "exporters/ipfix_exporter.h"
#include "exporters/ipfix_session.h"
#include "exporters/transport.h"
#include "tests/netns/netns.h"

ABSL_FLAG(std::string, mode, "encode", "encode, live, nfcapd or all");
ABSL_FLAG(int, records, 2000000, "--mode=encode: records per run");
ABSL_FLAG(int, rate, 50000, "--mode=live: new flows per second");
ABSL_FLAG(int, ends, 100000, "--mode=nfcapd: flow ends per second");
ABSL_FLAG(double, seconds, 5, "--mode=live/nfcapd: how long");
ABSL_FLAG(int, nfcapd_buffer, 0, "--mode=nfcapd: nfcapd -B bytes (0: its default)");
ABSL_FLAG(std::string, generate, "", "internal: RATE,SECONDS for the live generator");

namespace flowtop::exporters {
namespace {

double ThreadCpu() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

double ProcessCpu() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

// A UDP socket on 127.0.0.1 that nobody reads (the kernel drops what does
// not fit its buffer; the sender's cost is the same).
int SinkSocket(uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

std::unique_ptr<Transport> Udp(uint16_t port) {
  auto t = OpenTransport({.tcp = false, .host = "127.0.0.1", .port = port});
  if (!t.ok()) {
    std::fprintf(stderr, "ipfix_bench: %s\n", std::string(t.status().message()).c_str());
    std::exit(1);
  }
  return *std::move(t);
}

std::string V4(uint32_t a) {
  a = htonl(a);
  return std::string(reinterpret_cast<const char*>(&a), 4);
}

// A DNATed TCP flow with counters (two records when it ends).
v1::Flow MakeFlow(uint32_t id) {
  v1::Flow f;
  f.set_conntrack_id(id);
  f.set_family(v1::IPV4);
  f.set_protocol(v1::TCP);
  f.set_protocol_number(6);
  f.mutable_original()->set_src_ip(V4(0x0a000000 | id));
  f.mutable_original()->set_dst_ip(V4(0xc6336401));
  f.mutable_original()->set_src_port(1024 + id % 60000);
  f.mutable_original()->set_dst_port(443);
  f.mutable_reply()->set_src_ip(V4(0x0a640001));
  f.mutable_reply()->set_dst_ip(V4(0x0a000000 | id));
  f.mutable_reply()->set_src_port(8443);
  f.mutable_reply()->set_dst_port(1024 + id % 60000);
  f.mutable_status()->set_dst_nat(id % 5 == 0);
  f.set_tcp_state(v1::TCP_TIME_WAIT);
  f.set_start_unix_nanos(1700000000000000000 + id);
  f.mutable_original_counters()->set_packets(10);
  f.mutable_original_counters()->set_bytes(1000 + id % 1000);
  f.mutable_reply_counters()->set_packets(8);
  f.mutable_reply_counters()->set_bytes(9000);
  return f;
}

void Encode() {
  const int n = absl::GetFlag(FLAGS_records);
  uint16_t port;
  const int sink = SinkSocket(&port);
  // 1. The session alone: records in, datagrams out.
  std::vector<FlowRecord> records(4096);
  for (size_t i = 0; i < records.size(); ++i) {
    FlowRecord& r = records[i];
    r.ipv6 = i % 10 == 0;
    r.nat = i % 5 == 1;
    r.flow_id = i;
    r.src[0] = 10;
    r.src[3] = static_cast<uint8_t>(i);
    r.protocol = 6;
    r.octet_delta = r.octet_total = 1000 + i;
    r.packet_delta = r.packet_total = 10;
  }
  IpfixSession session({}, Udp(port));
  const absl::Time now = absl::Now();
  double t0 = ThreadCpu();
  for (int i = 0; i < n; ++i) session.Add(records[i & 4095], now);
  session.Flush(now);
  double cpu = ThreadCpu() - t0;
  const SessionStats s = session.stats();
  std::printf("encode+send (session): %llu records in %llu datagrams, %.3f CPU-s: "
              "%.0f records per CPU-second (target >= 1,000,000)\n",
              static_cast<unsigned long long>(s.records),
              static_cast<unsigned long long>(s.messages), cpu, s.records / cpu);
  // 2. The whole exporter: NEW and DESTROY events in, datagrams out.
  IpfixOptions o;
  o.node = "bench";
  std::vector<std::unique_ptr<Transport>> ts;
  ts.push_back(Udp(port));
  IpfixExporter exporter(o, core::RealClock::Get(), std::move(ts));
  const int flows = n / 2;
  std::vector<v1::FlowEvent> batch(512);
  cpu = 0;
  for (int base = 0; base < flows; base += 256) {
    for (int i = 0; i < 256; ++i) {
      v1::FlowEvent& a = batch[2 * i];
      a.set_type(v1::NEW);
      *a.mutable_flow() = MakeFlow(base + i + 1);
      v1::FlowEvent& b = batch[2 * i + 1];
      b.set_type(v1::DESTROY);
      *b.mutable_flow() = a.flow();
    }
    t0 = ThreadCpu();
    exporter.Publish(absl::MakeSpan(batch));
    if (base % (64 * 256) == 0) exporter.Tick();
    cpu += ThreadCpu() - t0;
  }
  t0 = ThreadCpu();
  exporter.Tick();
  cpu += ThreadCpu() - t0;
  const IpfixStats e = exporter.stats();
  std::printf("events->records->send (whole exporter: Publish NEW+DESTROY, Tick): %llu "
              "records, %.3f CPU-s: %.0f records per CPU-second\n",
              static_cast<unsigned long long>(e.sessions[0].records), cpu,
              e.sessions[0].records / cpu);
  close(sink);
}

// Counts the CPU time spent in a sink's Publish (on the caller's thread).
class TimedSink final : public core::EventSink {
 public:
  explicit TimedSink(core::EventSink& inner) : inner_(inner) {}
  void Publish(absl::Span<v1::FlowEvent> events) override {
    const double t0 = ThreadCpu();
    inner_.Publish(events);
    cpu_ = cpu_ + (ThreadCpu() - t0);
  }
  double cpu() const { return cpu_; }

 private:
  core::EventSink& inner_;
  std::atomic<double> cpu_{0};
};

// The live generator (run inside the namespace): RATE new UDP flows per
// second for SECONDS, each to its own address in 127.64.0.0/10.
int Generate(const std::string& spec) {
  const size_t comma = spec.find(',');
  const double rate = std::atof(spec.substr(0, comma).c_str());
  const double seconds = std::atof(spec.substr(comma + 1).c_str());
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const absl::Time start = absl::Now();
  uint64_t sent = 0;
  uint32_t next = 0;
  constexpr int kBatch = 64;
  sockaddr_in dst[kBatch] = {};
  iovec iov[kBatch];
  mmsghdr msgs[kBatch] = {};
  char byte = 'x';
  for (int i = 0; i < kBatch; ++i) {
    iov[i] = {&byte, 1};
    msgs[i].msg_hdr.msg_name = &dst[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(dst[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  while (true) {
    const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
    if (elapsed >= seconds) break;
    const uint64_t due = static_cast<uint64_t>(elapsed * rate);
    while (sent < due) {
      const int n = static_cast<int>(std::min<uint64_t>(kBatch, due - sent));
      for (int i = 0; i < n; ++i) {
        dst[i].sin_family = AF_INET;
        dst[i].sin_addr.s_addr = htonl(0x7f400000 | (next++ & 0x3fffff));
        dst[i].sin_port = htons(9);
      }
      const int got = sendmmsg(fd, msgs, n, 0);
      if (got <= 0) break;
      sent += got;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  std::printf("%llu flows in %.1f s\n", static_cast<unsigned long long>(sent),
              absl::ToDoubleSeconds(absl::Now() - start));
  return 0;
}

void Live(const char* self) {
  auto ns = testing::NetNs::Create();
  if (!ns.ok()) {
    std::printf("live: skipped: %s\n", std::string(ns.status().message()).c_str());
    return;
  }
  // UDP flows end a second after their only packet: DESTROYs at the rate.
  (void)(*ns)->Run("sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1 "
                   "net.netfilter.nf_conntrack_max=1000000");
  const int rate = absl::GetFlag(FLAGS_rate);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  for (bool with_export : {false, true}) {
    std::unique_ptr<collector::KernelSource> source;
    uint16_t port = 0;
    int sink_fd = -1;
    std::unique_ptr<IpfixExporter> exporter;
    (void)(*ns)->RunInside([&] {
      collector::KernelSourceOptions o;
      o.notice = [](const std::string&) {};
      auto s = collector::KernelSource::Create(o);
      if (s.ok()) source = *std::move(s);
      sink_fd = SinkSocket(&port);
      IpfixOptions io;
      io.node = "bench";
      std::vector<std::unique_ptr<Transport>> ts;
      ts.push_back(Udp(port));
      exporter = std::make_unique<IpfixExporter>(io, core::RealClock::Get(),
                                                 std::move(ts));
    });
    if (source == nullptr) {
      std::printf("live: no kernel source in the namespace\n");
      return;
    }
    core::Pipeline pipeline({.node = "bench"}, core::RealClock::Get());
    TimedSink timed(*exporter);
    if (with_export) pipeline.AddSink(&timed);
    std::thread run([&] { source->Run(pipeline).IgnoreError(); });
    absl::SleepFor(absl::Milliseconds(300));
    std::atomic<bool> stop{false};
    std::atomic<double> tick_cpu{0};
    std::thread ticker([&] {
      while (!stop) {
        absl::SleepFor(absl::Milliseconds(200));
        if (!with_export) continue;
        const double t0 = ThreadCpu();
        exporter->Tick();
        tick_cpu = tick_cpu + (ThreadCpu() - t0);
      }
    });
    const double cpu0 = ProcessCpu();
    const absl::Time t0 = absl::Now();
    auto out = (*ns)->Run(absl::StrCat(self, " --generate=", rate, ",", seconds));
    absl::SleepFor(absl::Seconds(2));  // the last flows end
    const double wall = absl::ToDoubleSeconds(absl::Now() - t0);
    const double cpu = ProcessCpu() - cpu0;
    stop = true;
    ticker.join();
    source->Stop();
    run.join();
    const core::PipelineStats ps = pipeline.stats();
    if (!with_export) {
      std::printf("live without export: %s new flows (%.0f s asked); pipeline saw %llu "
                  "events; flowtop CPU %.2f s (%.1f%% of a core)\n",
                  out.ok() ? std::string(absl::StripTrailingAsciiWhitespace(*out)).c_str() : "?",
                  seconds, static_cast<unsigned long long>(ps.events), cpu,
                  100 * cpu / wall);
    } else {
      const double exp_cpu = timed.cpu() + tick_cpu;
      const IpfixStats es = exporter->stats();
      std::printf("live with export: %s new flows; pipeline saw %llu events; %llu records sent; "
                  "flowtop CPU %.2f s (%.1f%% of a core), exporter %.2f s = %.1f%% "
                  "of flowtop's CPU (%.1f%% of a core)\n",
                  out.ok() ? std::string(absl::StripTrailingAsciiWhitespace(*out)).c_str() : "?",
                  static_cast<unsigned long long>(ps.events),
                  static_cast<unsigned long long>(es.sessions[0].records), cpu,
                  100 * cpu / wall, exp_cpu, 100 * exp_cpu / cpu, 100 * exp_cpu / wall);
    }
    close(sink_fd);
  }
}

// Sums "KEY: N" over nfcapd's statistics lines.
uint64_t NfcapdCount(const std::string& log, const std::string& key) {
  std::ifstream in(log);
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    const size_t at = line.find(key + ": ");
    if (at != std::string::npos) n += std::strtoull(line.c_str() + at + key.size() + 2, nullptr, 10);
  }
  return n;
}

void Nfcapd() {
  auto ns = testing::NetNs::Create();
  if (!ns.ok()) {
    std::printf("nfcapd: skipped: %s\n", std::string(ns.status().message()).c_str());
    return;
  }
  char dir_template[] = "/tmp/ipfix_bench.XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const int buffer = absl::GetFlag(FLAGS_nfcapd_buffer);
  auto pid = (*ns)->Spawn(absl::StrCat("exec nfcapd -w ", dir, " -b 127.0.0.1 -p 4739",
                                       buffer > 0 ? absl::StrCat(" -B ", buffer) : "",
                                       " >", dir, "/log 2>&1"));
  if (!pid.ok()) {
    std::printf("nfcapd: %s\n", std::string(pid.status().message()).c_str());
    return;
  }
  absl::SleepFor(absl::Milliseconds(500));
  std::unique_ptr<IpfixExporter> exporter;
  (void)(*ns)->RunInside([&] {
    IpfixOptions o;
    o.node = "bench";
    o.collectors = {"127.0.0.1:4739"};
    auto e = IpfixExporter::Create(o, core::RealClock::Get());
    if (e.ok()) exporter = *std::move(e);
  });
  if (exporter == nullptr) return;
  exporter->Start();
  const int ends = absl::GetFlag(FLAGS_ends);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const absl::Time start = absl::Now();
  uint64_t done = 0;
  std::vector<v1::FlowEvent> batch;
  while (true) {
    const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
    if (elapsed >= seconds) break;
    const uint64_t due = static_cast<uint64_t>(elapsed * ends);
    batch.clear();
    for (; done < due; ++done) {
      v1::FlowEvent a;
      a.set_type(v1::NEW);
      *a.mutable_flow() = MakeFlow(static_cast<uint32_t>(done + 1));
      v1::FlowEvent b = a;
      b.set_type(v1::DESTROY);
      batch.push_back(std::move(a));
      batch.push_back(std::move(b));
    }
    if (!batch.empty()) exporter->Publish(absl::MakeSpan(batch));
    absl::SleepFor(absl::Milliseconds(1));
  }
  exporter->Finish();
  const IpfixStats s = exporter->stats();
  absl::SleepFor(absl::Seconds(1));
  (void)(*ns)->Run("pkill -TERM -x nfcapd; sleep 1");
  const uint64_t stored = NfcapdCount(dir + "/log", "Flows");
  const uint64_t gaps = NfcapdCount(dir + "/log", "Sequence Errors");
  std::printf("nfcapd%s: %llu flow ends in %.0f s (%.0f/s), %llu records sent in %llu "
              "datagrams, %llu not sent; nfcapd stored %llu records = %.2f%% of sent "
              "(it saw %llu sequence gaps)\n",
              buffer > 0 ? absl::StrCat(" -B ", buffer).c_str() : " (default buffer)",
              static_cast<unsigned long long>(done), seconds, done / seconds,
              static_cast<unsigned long long>(s.sessions[0].records),
              static_cast<unsigned long long>(s.sessions[0].messages),
              static_cast<unsigned long long>(s.sessions[0].not_sent_records),
              static_cast<unsigned long long>(stored),
              s.sessions[0].records == 0 ? 0.0 : 100.0 * stored / s.sessions[0].records,
              static_cast<unsigned long long>(gaps));
}

}  // namespace
}  // namespace flowtop::exporters

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string generate = absl::GetFlag(FLAGS_generate);
  if (!generate.empty()) return flowtop::exporters::Generate(generate);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  std::printf("ipfix_bench (shared machine: figures are indicative)\n");
  if (mode == "encode" || mode == "all") flowtop::exporters::Encode();
  char self[4096] = {};
  if (realpath("/proc/self/exe", self) == nullptr) return 1;
  if (mode == "live" || mode == "all") flowtop::exporters::Live(self);
  if (mode == "nfcapd" || mode == "all") flowtop::exporters::Nfcapd();
  return 0;
}
