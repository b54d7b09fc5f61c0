// Key-to-screen latency of the flowtop client under load: 100,000 flows in
// the model while a generator publishes events at a fixed rate (default
// 100,000 per second: 80% COUNTERS, 10% NEW, 10% DESTROY) from its own
// thread, as a collector or remote stream would. The main thread plays the
// UI loop: a key arrives, HandleKey, a fresh snapshot, Render of a 200x50
// frame; the time from key to finished frame is recorded.
//
//   bazel run -c opt //bench/tui:latency_bench -- [flows] [events_per_second] [keys]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/tui/synthetic_flows.h"
#include "collector/clock.h"
#include "tui/keys.h"
#include "tui/model.h"
#include "tui/view.h"

namespace flowtop::tui {
namespace {

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

int Main(int argc, char** argv) {
  const uint32_t flows = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 100'000;
  const int rate = argc > 2 ? std::atoi(argv[2]) : 100'000;
  const int keys = argc > 3 ? std::atoi(argv[3]) : 300;

  Model model(collector::RealClock::Get());
  const int source = model.AddSource("local");
  {
    std::vector<v1::FlowEvent> batch;
    for (uint32_t i = 0; i < flows; ++i) {
      batch.push_back(bench::SyntheticEvent(i, 0, 0));
      if (batch.size() == 1000) {
        model.SinkFor(source).Publish(absl::MakeSpan(batch));
        batch.clear();
      }
    }
    if (!batch.empty()) model.SinkFor(source).Publish(absl::MakeSpan(batch));
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> published{0};
  std::thread generator([&]() {
    // Batches every 10 ms, paced against a deadline like a steady stream.
    const int per_batch = std::max(1, rate / 100);
    uint32_t oldest = 0, next = flows;
    uint64_t tick = 0;
    absl::Time deadline = absl::Now();
    std::vector<v1::FlowEvent> batch;
    while (!stop.load()) {
      batch.clear();
      for (int k = 0; k < per_batch; ++k, ++tick) {
        const int m = static_cast<int>(tick % 10);
        if (m == 0) {
          batch.push_back(bench::SyntheticEvent(oldest++, 2, tick));
        } else if (m == 1) {
          batch.push_back(bench::SyntheticEvent(next++, 0, tick));
        } else {
          const uint32_t id = oldest + static_cast<uint32_t>((tick * 2654435761u) % (next - oldest));
          batch.push_back(bench::SyntheticEvent(id, 1, tick));
        }
      }
      model.SinkFor(source).Publish(absl::MakeSpan(batch));
      published.fetch_add(batch.size());
      deadline += absl::Milliseconds(10);
      const absl::Duration left = deadline - absl::Now();
      if (left > absl::ZeroDuration()) absl::SleepFor(left);
    }
  });

  ViewState state;
  PageInfo page = Render(model.TakeSnapshot(), state, 200, 50).page;
  const int script[] = {'j', 'j', '<', 'd', 'r', kKeyTab, kKeyTab, '>', 'k', 'b'};
  std::vector<double> latency_ms, render_ms, snapshot_ms;
  const absl::Time start = absl::Now();
  const uint64_t published_at_start = published.load();
  for (int i = 0; i < keys; ++i) {
    const absl::Time t0 = absl::Now();
    HandleKey(state, script[i % 10], page);
    Snapshot snap = model.TakeSnapshot();
    const absl::Time t1 = absl::Now();
    RenderResult r = Render(snap, state, 200, 50);
    state.cursor = r.page.cursor;
    state.top = r.page.top;
    page = r.page;
    const absl::Time t2 = absl::Now();
    latency_ms.push_back(absl::ToDoubleMilliseconds(t2 - t0));
    snapshot_ms.push_back(absl::ToDoubleMilliseconds(t1 - t0));
    render_ms.push_back(absl::ToDoubleMilliseconds(t2 - t1));
    absl::SleepFor(absl::Milliseconds(20));  // keys arrive 50 per second
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const uint64_t events = published.load() - published_at_start;
  stop.store(true);
  generator.join();

  std::printf("flows in model:        %zu (started with %u)\n", model.size(), flows);
  std::printf("events published:      %.0f per second (target %d)\n", events / seconds, rate);
  std::printf("keys:                  %d\n", keys);
  std::printf("key-to-frame latency:  p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              Percentile(latency_ms, 0.5), Percentile(latency_ms, 0.95),
              Percentile(latency_ms, 0.99), Percentile(latency_ms, 1.0));
  std::printf("  of which snapshot:   p50 %.2f ms  p99 %.2f ms\n", Percentile(snapshot_ms, 0.5),
              Percentile(snapshot_ms, 0.99));
  std::printf("  of which render:     p50 %.2f ms  p99 %.2f ms\n", Percentile(render_ms, 0.5),
              Percentile(render_ms, 0.99));
  std::printf("targets: key within 50 ms, frame within 10 ms -> %s, %s\n",
              Percentile(latency_ms, 0.99) <= 50 ? "met" : "MISSED",
              Percentile(render_ms, 0.99) <= 10 ? "met" : "MISSED");
  return 0;
}

}  // namespace
}  // namespace flowtop::tui

int main(int argc, char** argv) { return flowtop::tui::Main(argc, argv); }
