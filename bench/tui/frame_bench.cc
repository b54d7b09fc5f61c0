// Frame time of the flowtop view: TakeSnapshot + Render on a 200x50 screen
// for 10k and 100k flows, in the flows view (sorted by rate, by address, and
// with a filter) and the processes view.
//
//   bazel run -c opt //bench/tui:frame_bench
#include <vector>

#include "bench/tui/synthetic_flows.h"
#include "benchmark/benchmark.h"
#include "core/clock.h"
#include "tui/model.h"
#include "tui/view.h"

namespace flowtop::tui {
namespace {

void Fill(Model& model, int n) {
  const int source = model.AddSource("local");
  std::vector<v1::FlowEvent> batch;
  for (int i = 0; i < n; ++i) {
    batch.push_back(bench::SyntheticEvent(static_cast<uint32_t>(i), 0, 0));
    if (batch.size() == 1000) {
      model.SinkFor(source).Publish(absl::MakeSpan(batch));
      batch.clear();
    }
  }
  if (!batch.empty()) model.SinkFor(source).Publish(absl::MakeSpan(batch));
}

void RunFrames(benchmark::State& st, ViewState view) {
  Model model(collector::RealClock::Get());
  Fill(model, static_cast<int>(st.range(0)));
  for (auto _ : st) {
    Snapshot snap = model.TakeSnapshot();
    RenderResult r = Render(snap, view, 200, 50);
    benchmark::DoNotOptimize(r.frame.lines.data());
  }
  st.counters["flows"] = static_cast<double>(st.range(0));
}

void BM_FrameFlowsByRate(benchmark::State& st) { RunFrames(st, ViewState()); }
void BM_FrameFlowsByAddressScrolled(benchmark::State& st) {
  ViewState v;
  v.flow_sort = Column::kAddress;
  v.cursor = v.top = static_cast<size_t>(st.range(0) / 2);  // middle of the table
  RunFrames(st, v);
}
void BM_FrameFlowsFiltered(benchmark::State& st) {
  ViewState v;
  v.filter = *FilterExpr::Parse("dport 443 and country != DE and not state TIME_WAIT");
  RunFrames(st, v);
}
void BM_FrameProcesses(benchmark::State& st) {
  ViewState v;
  v.view = TableView::kProcesses;
  RunFrames(st, v);
}
void BM_SnapshotOnly(benchmark::State& st) {
  Model model(collector::RealClock::Get());
  Fill(model, static_cast<int>(st.range(0)));
  for (auto _ : st) {
    Snapshot snap = model.TakeSnapshot();
    benchmark::DoNotOptimize(snap.flows.size());
  }
}

BENCHMARK(BM_FrameFlowsByRate)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FrameFlowsByAddressScrolled)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FrameFlowsFiltered)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FrameProcesses)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SnapshotOnly)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace flowtop::tui

BENCHMARK_MAIN();
