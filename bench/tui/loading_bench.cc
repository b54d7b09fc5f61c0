// The first screen at 1,000,000 flows: a source thread publishes a node's
// initial snapshot (STATUS loading with the count, N SNAPSHOT events in
// batches of 1,000, SNAPSHOT_END) into the real Model while the real
// interactive loop (RunInteractive) draws on a 200x50 terminal that presses
// a key every 100 ms. Prints:
//   - how long the source alone takes to make the N events (no model): the
//     floor any consumer of this source has; and the source into the model
//     with no screen;
//   - when the first full screen (every table line filled) was drawn and
//     what its status line said (`loading N/M`);
//   - when the model had every flow, and when a frame first showed all;
//   - key-to-screen while loading: from the key to the frame drawn for it.
//
//   bazel run -c opt //bench/tui:loading_bench [-- N]
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/tui/synthetic_flows.h"
#include "core/clock.h"
#include "tui/app.h"
#include "tui/keys.h"
#include "tui/model.h"
#include "tui/terminal.h"

namespace flowtop::tui {
namespace {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

// Publishes the initial snapshot of `n` flows into `sink` (or makes the
// events only, with a null sink).
void PublishSnapshot(uint32_t n, core::EventSink* sink) {
  std::vector<v1::FlowEvent> batch(1);
  batch[0].set_type(v1::STATUS);
  batch[0].mutable_status()->set_loading(true);
  batch[0].mutable_status()->set_conntrack_count(n);
  if (sink != nullptr) sink->Publish(absl::MakeSpan(batch));
  batch.clear();
  for (uint32_t i = 0; i < n; ++i) {
    batch.push_back(bench::SyntheticEvent(i, 0, 0));
    batch.back().set_type(v1::SNAPSHOT);
    if (batch.size() == 1000 || i + 1 == n) {
      if (sink != nullptr) sink->Publish(absl::MakeSpan(batch));
      batch.clear();
    }
  }
  batch.emplace_back().set_type(v1::SNAPSHOT_END);
  if (sink != nullptr) sink->Publish(absl::MakeSpan(batch));
}

// A 200x50 terminal that presses j / k every 100 ms, times each key to the
// frame drawn after it, and notes the first full screen and the first frame
// that shows all `n` flows; then it quits.
class BenchTerminal : public Terminal {
 public:
  BenchTerminal(uint32_t n, absl::Time start) : n_(n), start_(start) {}

  int Width() override { return 200; }
  int Height() override { return 50; }

  void Draw(const Frame& frame) override {
    const absl::Time now = absl::Now();
    if (key_pending_) {
      key_ms_.push_back(absl::ToDoubleMilliseconds(now - key_time_));
      key_pending_ = false;
    }
    const std::string status = frame.lines.back().Text();
    const bool full = frame.lines.size() >= 2 &&
                      frame.lines[frame.lines.size() - 2].Text().find_first_not_of(' ') !=
                          std::string::npos;
    if (full && first_full_ == absl::InfiniteFuture()) {
      first_full_ = now;
      first_full_status_ = status;
      first_full_title_ = frame.lines[0].Text();
    }
    const std::string all = absl::StrCat("/", n_, " ");
    if (frame.lines[0].Text().find(all) != std::string::npos &&
        status.find("loading") == std::string::npos) {
      all_shown_ = now;
      quit_ = true;
    }
  }

  int ReadKey(absl::Duration timeout) override {
    const absl::Time now = absl::Now();
    const absl::Time key_at = last_key_ + absl::Milliseconds(100);
    if (now < key_at) {
      absl::SleepFor(std::min(timeout, key_at - now));
      if (absl::Now() < key_at) return kKeyNone;
    }
    last_key_ = absl::Now();
    key_time_ = last_key_;
    key_pending_ = true;
    return (keys_++ % 2 == 0) ? 'j' : 'k';
  }
  void RequestQuit() override { quit_ = true; }
  bool quit_requested() const override { return quit_ || absl::Now() - start_ > absl::Minutes(10); }

  void Report(absl::Time loaded) const {
    auto since = [this](absl::Time t) { return absl::ToDoubleSeconds(t - start_); };
    std::printf("first full screen:       %.2f s  status: %s\n", since(first_full_),
                first_full_status_.substr(0, first_full_status_.find("  ?")).c_str());
    std::printf("                         title:  %.60s\n", first_full_title_.c_str());
    std::printf("model has every flow:    %.2f s\n", since(loaded));
    std::printf("first frame with all:    %.2f s\n", since(all_shown_));
    std::printf("keys while loading:      %zu, key-to-screen p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
                key_ms_.size(), Percentile(key_ms_, 0.5), Percentile(key_ms_, 0.99),
                Percentile(key_ms_, 1.0));
  }

 private:
  uint32_t n_;
  absl::Time start_;
  absl::Time last_key_ = absl::InfinitePast();
  absl::Time key_time_;
  bool key_pending_ = false;
  int keys_ = 0;
  bool quit_ = false;
  std::vector<double> key_ms_;
  absl::Time first_full_ = absl::InfiniteFuture();
  std::string first_full_status_, first_full_title_;
  absl::Time all_shown_ = absl::InfiniteFuture();
};

int Main(int argc, char** argv) {
  const uint32_t n = argc > 1 ? static_cast<uint32_t>(std::atol(argv[1])) : 1'000'000;
  const absl::Time g0 = absl::Now();
  PublishSnapshot(n, nullptr);
  std::printf("%u flows; the source alone makes them in %.2f s\n", n,
              absl::ToDoubleSeconds(absl::Now() - g0));
  std::fflush(stdout);

  {
    Model alone(core::RealClock::Get());
    const int src = alone.AddSource("local");
    const absl::Time m0 = absl::Now();
    PublishSnapshot(n, &alone.SinkFor(src));
    std::printf("source into the model, no screen: %.2f s\n",
                absl::ToDoubleSeconds(absl::Now() - m0));
  }
  Model model(core::RealClock::Get());
  const int source = model.AddSource("local");
  const absl::Time start = absl::Now();
  absl::Time loaded;
  std::thread producer([&] {
    PublishSnapshot(n, &model.SinkFor(source));
    loaded = absl::Now();
  });
  BenchTerminal terminal(n, start);
  absl::Status st = RunInteractive(model, ViewState(), LoopOptions(),
                                   core::RealClock::Get(), terminal, nullptr);
  producer.join();
  if (!st.ok()) std::printf("loop: %s\n", st.ToString().c_str());
  terminal.Report(loaded);
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) > 0) std::printf("machine load average: %.2f (shared machine)\n", load[0]);
  return 0;
}

}  // namespace
}  // namespace flowtop::tui

int main(int argc, char** argv) { return flowtop::tui::Main(argc, argv); }
