// Frame time, key-to-screen time and model memory of the flowtop view at
// 100,000 and 1,000,000 flows (synthetic flows through the real Model,
// rendered by the real Render on a 200x50 screen).
//
// For each size it prints, in CPU milliseconds of the UI thread (the
// machine is shared: wall time would measure the neighbours) with wall
// time beside it:
//   - snapshot: TakeSnapshot now (chunk pointers) against copying the rows
//     as the previous model did (a vector of row pointers + one of hot
//     fields, 72 bytes per flow);
//   - frames: a refresh (new snapshot, first Render), the same snapshot
//     redrawn (a cursor move or an idle refresh), the end of the list (G),
//     the middle of the list;
//   - keys: a sort key ('>'), reverse ('r'), a filter applied ('/...'),
//     each HandleKey + Render;
//   - the full sort of the filtered rows that a frame no longer does;
//   - the model's memory per flow (resident set growth while filling).
//
//   bazel run -c opt //bench/tui:frame_bench [-- N ...]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/tui/synthetic_flows.h"
#include "core/clock.h"
#include "tui/keys.h"
#include "tui/model.h"
#include "tui/table.h"
#include "tui/view.h"

namespace flowtop::tui {
namespace {

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Resident set size in bytes (/proc/self/statm).
size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

struct Timing {
  double cpu_ms = 0;
  double wall_ms = 0;
};

// The best of `runs` (the least disturbed by the neighbours).
Timing Measure(int runs, const std::function<void()>& fn) {
  Timing best{1e300, 1e300};
  for (int i = 0; i < runs; ++i) {
    const double c0 = ThreadCpuMs();
    const absl::Time t0 = absl::Now();
    fn();
    best.cpu_ms = std::min(best.cpu_ms, ThreadCpuMs() - c0);
    best.wall_ms = std::min(best.wall_ms, absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  return best;
}

void Print(const char* what, Timing t, const char* note = "") {
  std::printf("  %-44s %9.2f ms cpu %9.2f ms wall  %s\n", what, t.cpu_ms, t.wall_ms, note);
}

void Fill(Model& model, uint32_t n) {
  const int source = model.AddSource("local");
  std::vector<v1::FlowEvent> batch;
  for (uint32_t i = 0; i < n; ++i) {
    batch.push_back(bench::SyntheticEvent(i, 0, 0));
    if (batch.size() == 1000) {
      model.SinkFor(source).Publish(absl::MakeSpan(batch));
      batch.clear();
    }
  }
  if (!batch.empty()) model.SinkFor(source).Publish(absl::MakeSpan(batch));
}

// Render after `keys`, starting from `state` (a copy), on `snap`.
RenderResult KeysThenRender(const Snapshot& snap, ViewState state, PageInfo page,
                            const std::vector<int>& keys) {
  for (int key : keys) HandleKey(state, key, page);
  return Render(snap, state, 200, 50);
}

// Snapshot: now, and the copy the previous model made.
void PrintSnapshotTimings(Model& model) {
  Print("snapshot (shared chunks)", Measure(5, [&] { model.TakeSnapshot(); }));
  const Snapshot base = model.TakeSnapshot();
  Print("snapshot as before (copy of 72 B/flow)", Measure(5, [&] {
          std::vector<const StoredRow*> rows;
          std::vector<FlowHot> hot;
          rows.reserve(base.flows.size());
          hot.reserve(base.flows.size());
          for (const StoredRow& r : base.flows.stored()) {
            rows.push_back(&r);
            hot.push_back(HotOf(r));
          }
          if (rows.size() != hot.size()) std::abort();
        }));
}

// The full sort a frame does not do, for comparison.
void PrintFullSortTiming(const Snapshot& snap) {
  Print("full sort of the filtered rows (not done)", Measure(1, [&] {
          // By rate, then bytes, on the hot fields of every passing row.
          std::vector<FlowHot> rows;
          for (const StoredRow& r : snap.flows.stored()) {
            const FlowHot h = HotOf(r);
            if (h.protocol == v1::TCP) rows.push_back(h);
          }
          std::sort(rows.begin(), rows.end(), [](const FlowHot& a, const FlowHot& b) {
            const float ra = a.original_rate + a.reply_rate;
            const float rb = b.original_rate + b.reply_rate;
            if (ra != rb) return ra > rb;
            return a.original_bytes + a.reply_bytes > b.original_bytes + b.reply_bytes;
          });
        }));
}

void RunSize(uint32_t n) {
  const size_t rss0 = ResidentBytes();
  Model model(core::RealClock::Get());
  const absl::Time f0 = absl::Now();
  Fill(model, n);
  const double fill_s = absl::ToDoubleSeconds(absl::Now() - f0);
  const size_t rss1 = ResidentBytes();
  std::printf("%u flows (model filled in %.2f s, %.0f events/s)\n", n, fill_s, n / fill_s);
  std::printf("  model memory: %.0f bytes/flow (resident growth %.0f MB; target 256)\n",
              static_cast<double>(rss1 - rss0) / n, (rss1 - rss0) / 1e6);

  PrintSnapshotTimings(model);

  ViewState state;
  // Every measured frame below starts on a new model version (one COUNTERS
  // event), so nothing is remembered from the run before; the screen as it
  // was before the key is drawn untimed.
  uint64_t tick = 0;
  auto touch = [&] {
    std::vector<v1::FlowEvent> one = {bench::SyntheticEvent(7, 1, ++tick)};
    model.SinkFor(0).Publish(absl::MakeSpan(one));
  };
  auto key = [&](const char* what, const ViewState& before, std::vector<int> keys) {
    Timing best{1e300, 1e300};
    for (int run = 0; run < 3; ++run) {
      touch();
      const Snapshot s = model.TakeSnapshot();
      ViewState st = before;
      RenderResult r = Render(s, st, 200, 50);
      st.cursor = r.page.cursor;
      st.top = r.page.top;
      const Timing t = Measure(1, [&] { KeysThenRender(s, st, r.page, keys); });
      best.cpu_ms = std::min(best.cpu_ms, t.cpu_ms);
      best.wall_ms = std::min(best.wall_ms, t.wall_ms);
    }
    Print(what, best);
  };
  Print("frame: refresh (new rows, by rate)", Measure(3, [&] {
          touch();
          Render(model.TakeSnapshot(), state, 200, 50);
        }));
  const Snapshot snap = model.TakeSnapshot();
  PageInfo page = Render(snap, state, 200, 50).page;
  Print("frame: same rows redrawn (cursor, idle)",
        Measure(5, [&] { KeysThenRender(snap, state, page, {'j'}); }));
  key("key: j (cursor down)", state, {'j'});
  key("key: d (page down)", state, {'d'});
  key("key: G (last row)", state, {'G'});
  ViewState middle = state;
  middle.cursor = middle.top = n / 2;
  key("key: d in the middle of the list", middle, {'d'});
  key("key: r (reverse)", state, {'r'});
  ViewState by_bytes = state;
  by_bytes.flow_sort = Column::kBytes;
  key("key: > (BYTES -> RATE, numeric)", by_bytes, {'>'});
  key("key: > (RATE -> PROCESS, text)", state, {'>'});
  ViewState by_port = state;
  by_port.flow_sort = Column::kPort;
  key("key: < (PORT -> ADDRESS, text)", by_port, {'<'});
  key("key: / dport 443 and not state TIME_WAIT", state,
      {'/', 'd', 'p', 'o', 'r', 't', ' ', '4', '4', '3', ' ', 'a', 'n', 'd', ' ', 'n',
       'o', 't', ' ', 's', 't', 'a', 't', 'e', ' ', 'T', 'I', 'M', 'E', '_', 'W', 'A',
       'I', 'T', kKeyEnter});
  key("key: / process curl", state,
      {'/', 'p', 'r', 'o', 'c', 'e', 's', 's', ' ', 'c', 'u', 'r', 'l', kKeyEnter});
  key("key: TAB (processes view)", state, {kKeyTab});
  PrintFullSortTiming(snap);
}

int Main(int argc, char** argv) {
  std::vector<uint32_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(static_cast<uint32_t>(std::atol(argv[i])));
  if (sizes.empty()) sizes = {100'000, 1'000'000};
  std::printf("flowtop view, 200x50 screen, best of 3-5 runs (shared machine: CPU time is\n"
              "the figure, wall time shows the waiting). Targets: frame <= 10 ms, key <= 50 ms.\n");
  for (uint32_t n : sizes) RunSize(n);
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) > 0) std::printf("machine load average: %.2f\n", load[0]);
  return 0;
}

}  // namespace
}  // namespace flowtop::tui

int main(int argc, char** argv) { return flowtop::tui::Main(argc, argv); }
