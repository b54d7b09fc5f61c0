// ctcapture: records raw ctnetlink messages (a dump and/or live events) from
// the network namespace it runs in to a capture file (see
// netlink_capture.h). Used to make the parser's test fixtures from the real
// kernel; see tests/fixtures/netlink/make_fixtures.sh.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "collector/conntrack_parser.h"
#include "collector/netlink_capture.h"
#include "collector/netlink_socket.h"

ABSL_FLAG(std::string, out, "", "capture file to write (required)");
ABSL_FLAG(bool, dump, false, "record a dump of the table first");
ABSL_FLAG(bool, events, true, "record NEW/UPDATE/DESTROY events");
ABSL_FLAG(bool, final_dump, false, "record a dump of the table at the end");
ABSL_FLAG(int64_t, count, 0,
          "stop after this many event messages (0: no limit)");
ABSL_FLAG(double, duration, 0, "stop after this many seconds (0: no limit)");
ABSL_FLAG(std::string, decode, "",
          "instead of capturing, print the events of this capture file");
ABSL_FLAG(std::string, ready_file, "",
          "create this file once subscribed (for scripts to wait on)");

namespace flowtop::collector {
namespace {

// The binary's one piece of signal state: the handler only wakes the reader.
Waker* g_waker = nullptr;

void OnSignal(int) {
  if (g_waker != nullptr) g_waker->Wake();
}

absl::Status Dump(CaptureWriter& out, size_t* n) {
  absl::StatusOr<std::unique_ptr<KernelNetlinkSocket>> sock = KernelNetlinkSocket::Open(0);
  if (!sock.ok()) return sock.status();
  absl::StatusOr<uint32_t> seq = (*sock)->RequestDump(AF_UNSPEC, 0);
  if (!seq.ok()) return seq.status();
  std::vector<char> buf(1 << 20);
  absl::Status write_status;
  absl::Status s = ReceiveDump(**sock, *seq, buf.data(), buf.size(), nullptr,
                               [&](const char* p, size_t len) {
                                 if (!write_status.ok()) return;
                                 write_status = out.Write({p, len});
                                 ++*n;
                               });
  return s.ok() ? write_status : s;
}

// Prints every message of a capture as a FlowEvent (text format).
int Decode(const std::string& path) {
  absl::StatusOr<std::vector<std::string>> msgs = ReadCaptureFile(path);
  if (!msgs.ok()) {
    std::fprintf(stderr, "ctcapture: %s\n",
                 std::string(msgs.status().message()).c_str());
    return 1;
  }
  v1::FlowEvent event;
  int rc = 0;
  for (size_t i = 0; i < msgs->size(); ++i) {
    const std::string& m = (*msgs)[i];
    absl::Status s = ParseConntrackMessage(m.data(), m.size(), event);
    if (!s.ok()) {
      std::printf("# message %zu: %s\n", i, std::string(s.message()).c_str());
      rc = 1;
      continue;
    }
    std::printf("# message %zu\n%s", i, event.DebugString().c_str());
  }
  return rc;
}

// Makes SIGINT and SIGTERM wake the reader (through g_waker).
void InstallSignals() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Opens the socket for live events (NEW, UPDATE, DESTROY) with room for
// bursts; prints why not and returns null when it cannot.
std::unique_ptr<KernelNetlinkSocket> OpenEvents() {
  absl::StatusOr<std::unique_ptr<KernelNetlinkSocket>> s =
      KernelNetlinkSocket::Open(kGroupNew | kGroupUpdate | kGroupDestroy);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.status().message()).c_str());
    return nullptr;
  }
  if (absl::StatusOr<int> r = (*s)->SetReceiveBuffer(8 << 20); !r.ok()) {
    std::fprintf(stderr, "ctcapture: %s\n", r.status().ToString().c_str());
    return nullptr;
  }
  return *std::move(s);
}

// Wakes the reader after --duration seconds, unless `done` comes first.
std::thread StartTimer(absl::Notification& done) {
  const double duration = absl::GetFlag(FLAGS_duration);
  if (duration <= 0) return std::thread();
  return std::thread([&done, duration] {
    if (!done.WaitForNotificationWithTimeout(absl::Seconds(duration))) {
      g_waker->Wake();
    }
  });
}

// Writes the conntrack messages among the `n` bytes of one receive to
// `out`, counting them in *recorded. Returns false when a write failed.
bool WriteMessages(const char* p, size_t n, CaptureWriter& out, size_t* recorded) {
  bool ok = true;
  size_t left = n;
  while (left >= sizeof(nlmsghdr)) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(p);
    if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > left) break;
    if (IsConntrackMessage(p, nlh->nlmsg_len)) {
      if (absl::Status s = out.Write({p, nlh->nlmsg_len}); !s.ok()) {
        std::fprintf(stderr, "ctcapture: %s\n", std::string(s.message()).c_str());
        ok = false;
      }
      ++*recorded;
    }
    const size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
    if (step >= left) break;
    p += step;
    left -= step;
  }
  return ok;
}

// Records live events until --count, a signal or the timer. Returns the
// exit code so far.
int RecordEvents(KernelNetlinkSocket& events, CaptureWriter& out, size_t* recorded) {
  const int64_t limit = absl::GetFlag(FLAGS_count);
  int rc = 0;
  std::vector<char> buf(1 << 16);
  while (limit == 0 || static_cast<int64_t>(*recorded) < limit) {
    absl::StatusOr<size_t> n = events.Receive(buf.data(), buf.size(), g_waker);
    if (absl::IsCancelled(n.status())) break;
    if (absl::IsResourceExhausted(n.status())) {
      std::fprintf(stderr, "ctcapture: events lost (ENOBUFS)\n");
      continue;
    }
    if (!n.ok()) {
      std::fprintf(stderr, "ctcapture: %s\n", std::string(n.status().message()).c_str());
      return 1;
    }
    if (!WriteMessages(buf.data(), *n, out, recorded)) rc = 1;
  }
  return rc;
}

int Main() {
  if (!absl::GetFlag(FLAGS_decode).empty()) {
    return Decode(absl::GetFlag(FLAGS_decode));
  }
  const std::string path = absl::GetFlag(FLAGS_out);
  if (path.empty()) {
    std::fprintf(stderr, "ctcapture: --out FILE is required\n");
    return 2;
  }
  absl::StatusOr<std::unique_ptr<Waker>> waker = Waker::Create();
  if (!waker.ok()) {
    std::fprintf(stderr, "ctcapture: %s\n", waker.status().ToString().c_str());
    return 1;
  }
  g_waker = waker->get();
  InstallSignals();
  absl::StatusOr<std::unique_ptr<CaptureWriter>> out = CaptureWriter::Create(path);
  if (!out.ok()) {
    std::fprintf(stderr, "ctcapture: %s\n", out.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<KernelNetlinkSocket> events;
  if (absl::GetFlag(FLAGS_events) && (events = OpenEvents()) == nullptr) return 1;
  size_t dumped = 0, recorded = 0;
  if (absl::GetFlag(FLAGS_dump)) {
    if (absl::Status s = Dump(**out, &dumped); !s.ok()) {
      std::fprintf(stderr, "ctcapture: dump: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  if (!absl::GetFlag(FLAGS_ready_file).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_ready_file)) << "ready\n";
  }
  absl::Notification done;
  std::thread timer = StartTimer(done);
  int rc = events != nullptr ? RecordEvents(*events, **out, &recorded) : 0;
  done.Notify();
  if (timer.joinable()) timer.join();
  if (rc == 0 && absl::GetFlag(FLAGS_final_dump)) {
    if (absl::Status s = Dump(**out, &dumped); !s.ok()) {
      std::fprintf(stderr, "ctcapture: final dump: %s\n", std::string(s.message()).c_str());
      rc = 1;
    }
  }
  if (absl::Status s = (*out)->Close(); !s.ok()) {
    std::fprintf(stderr, "ctcapture: %s\n", std::string(s.message()).c_str());
    rc = 1;
  }
  std::fprintf(stderr, "ctcapture: %zu dump messages, %zu events -> %s\n",
               dumped, recorded, path.c_str());
  g_waker = nullptr;
  return rc;
}

}  // namespace
}  // namespace flowtop::collector

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "records raw conntrack netlink messages: ctcapture --out FILE "
      "[--dump] [--events] [--final_dump] [--count N] [--duration S]");
  absl::ParseCommandLine(argc, argv);
  return flowtop::collector::Main();
}
