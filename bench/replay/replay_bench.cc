// replay_bench: the recording figures of issue 7, printed.
//
//   1. recording throughput: events/s through the Recorder (its flow table,
//      keyframes, block writes), uncompressed and zstd-3; target >= 200,000;
//   2. replay at --speed max: events/s read, checksummed, decompressed and
//      decoded by the reader, and delivered by ReplaySource; target >= 5M;
//   3. bytes per event on disk with and without compression.
//
// The stream is SyntheticStream (NEW/UPDATE/ENRICH/COUNTERS/DESTROY mix with
// full flows). Usage: replay_bench [events] [dir]  (default 2000000, $TMPDIR).
//
// For instruction counts (valgrind --tool=callgrind), one step at a time:
//   replay_bench --make FILE EVENTS LEVEL   record a file
//   replay_bench --read FILE [--ahead]      only read+crc+decode it
//   replay_bench --replay FILE [--ahead]    only ReplaySource --speed max
// (--ahead: with decode-ahead, the second decoding thread).
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "replay/reader.h"
#include "replay/recorder.h"
#include "replay/replay_source.h"
#include "replay/sample_events.h"

namespace flowtop::replay {
namespace {

// CPU time of this process: the machine is shared, so wall-clock rates
// understate what one core does; both are printed.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Rate {
  double wall;  // events per wall-clock second
  double cpu;   // events per CPU second
};

class CountingSink final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    count += events.size();
    for (const v1::FlowEvent& e : events) checksum += e.seq();
  }
  uint64_t count = 0;
  uint64_t checksum = 0;
};

struct RecordResult {
  Rate rate;
  uint64_t bytes;
  uint64_t events;
};

RecordResult RecordOnce(const std::vector<v1::FlowEvent>& base, size_t total,
                        const std::string& path, int level) {
  RecorderOptions options;
  options.path = path;
  options.header.set_node("bench");
  options.writer.zstd_level = level;
  auto recorder = Recorder::Create(options, core::RealClock::Get());
  if (!recorder.ok()) {
    std::fprintf(stderr, "replay_bench: %s\n", std::string(recorder.status().message()).c_str());
    std::exit(1);
  }
  std::vector<v1::FlowEvent> batch;
  const int64_t span = base.back().time_unix_nanos() - base.front().time_unix_nanos() +
                       1'000'000;
  const absl::Time start = absl::Now();
  const double cpu_start = CpuSeconds();
  size_t done = 0;
  for (uint64_t round = 0; done < total; ++round) {
    for (size_t i = 0; i < base.size() && done < total; i += 256) {
      const size_t n = std::min<size_t>({256, base.size() - i, total - done});
      batch.assign(base.begin() + i, base.begin() + i + n);
      for (v1::FlowEvent& e : batch) {
        // Later rounds continue the stream: new seq numbers and times.
        e.set_seq(e.seq() + round * base.size());
        e.set_time_unix_nanos(e.time_unix_nanos() + static_cast<int64_t>(round) * span);
      }
      (*recorder)->Publish(absl::MakeSpan(batch));
      done += n;
    }
  }
  if (!(*recorder)->Close().ok()) std::exit(1);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double cpu = CpuSeconds() - cpu_start;
  const RecorderStats stats = (*recorder)->stats();
  return {{stats.events / seconds, stats.events / cpu}, stats.bytes, stats.events};
}

Rate ReadOnce(const std::string& path, bool ahead, uint64_t* events) {
  const absl::Time start = absl::Now();
  const double cpu_start = CpuSeconds();
  auto reader = RecordingReader::Open(path);
  if (!reader.ok()) std::exit(1);
  (*reader)->SetDecodeAhead(ahead);
  Block block;
  uint64_t n = 0;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&block);
    if (!more.ok()) std::exit(1);
    if (!*more) break;
    if (!block.info.header.keyframe()) n += block.size();
  }
  *events = n;
  return {n / absl::ToDoubleSeconds(absl::Now() - start), n / (CpuSeconds() - cpu_start)};
}

Rate ReplayOnce(const std::string& path, bool ahead, uint64_t* events) {
  ReplayOptions options;
  options.speed = 0;
  options.decode_ahead = ahead;
  const absl::Time start = absl::Now();
  const double cpu_start = CpuSeconds();
  auto source = ReplaySource::Open(path, options, core::RealClock::Get());
  if (!source.ok()) std::exit(1);
  CountingSink sink;
  if (!(*source)->Run(sink).ok()) std::exit(1);
  *events = sink.count;
  return {sink.count / absl::ToDoubleSeconds(absl::Now() - start),
          sink.count / (CpuSeconds() - cpu_start)};
}

}  // namespace
}  // namespace flowtop::replay

int main(int argc, char** argv) {
  using namespace flowtop::replay;
  size_t total = 2'000'000;
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "--make" && argc == 5) {
    int level = 0;
    if (!absl::SimpleAtoi(argv[3], &total) || !absl::SimpleAtoi(argv[4], &level)) return 2;
    const RecordResult rec = RecordOnce(SyntheticStream(200'000, 42), total, argv[2], level);
    std::printf("%s: %llu events, %llu bytes\n", argv[2],
                static_cast<unsigned long long>(rec.events),
                static_cast<unsigned long long>(rec.bytes));
    return 0;
  }
  if ((mode == "--read" || mode == "--replay") && (argc == 3 || argc == 4)) {
    const bool ahead = argc == 4 && std::string(argv[3]) == "--ahead";
    if (argc == 4 && !ahead) return 2;
    uint64_t events = 0;
    const Rate rate = mode == "--read" ? ReadOnce(argv[2], ahead, &events)
                                       : ReplayOnce(argv[2], ahead, &events);
    std::printf("%s %s%s: %llu events, %.0f events/s wall, %.0f per CPU-second\n",
                mode.c_str(), argv[2], ahead ? " --ahead" : "",
                static_cast<unsigned long long>(events), rate.wall, rate.cpu);
    return 0;
  }
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &total)) {
    std::fprintf(stderr, "usage: replay_bench [events] [dir]\n");
    return 2;
  }
  std::string dir = argc > 2 ? argv[2] : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
  const std::vector<flowtop::v1::FlowEvent> base = SyntheticStream(200'000, 42);
  uint64_t base_bytes = 0;
  for (const auto& e : base) base_bytes += e.ByteSizeLong();
  std::printf("stream: %zu events (synthetic mix, %.1f bytes/event serialized)\n", total,
              static_cast<double>(base_bytes) / base.size());
  for (int level : {0, 3}) {
    const std::string path =
        dir + "/replay_bench_" + std::to_string(getpid()) + "_" + std::to_string(level) + ".ftr";
    const RecordResult rec = RecordOnce(base, total, path, level);
    const char* name = level == 0 ? "uncompressed" : "zstd level 3";
    std::printf("%-13s record  %10.0f events/s wall, %10.0f per CPU-second (target >= 200000)\n",
                name, rec.rate.wall, rec.rate.cpu);
    // One decoding thread, then with decode-ahead (a second one): the wall
    // rate is what a user waits for; per CPU-second is the single-core cost.
    for (bool ahead : {false, true}) {
      uint64_t read_events = 0, replay_events = 0;
      const Rate read_rate = ReadOnce(path, ahead, &read_events);
      const Rate replay_rate = ReplayOnce(path, ahead, &replay_events);
      const char* threads = ahead ? "2 threads" : "1 thread ";
      std::printf("%-13s read    %10.0f events/s wall, %10.0f per CPU-second: read+crc+decode, "
                  "%s (target >= 5000000), %llu events\n",
                  name, read_rate.wall, read_rate.cpu, threads,
                  static_cast<unsigned long long>(read_events));
      std::printf("%-13s replay  %10.0f events/s wall, %10.0f per CPU-second: ReplaySource "
                  "--speed max into a sink, %s, %llu events\n",
                  name, replay_rate.wall, replay_rate.cpu, threads,
                  static_cast<unsigned long long>(replay_events));
    }
    std::printf("%-13s size    %10.1f bytes/event on disk (%llu bytes, keyframes included)\n",
                name, static_cast<double>(rec.bytes) / rec.events,
                static_cast<unsigned long long>(rec.bytes));
    unlink(path.c_str());
  }
  return 0;
}
