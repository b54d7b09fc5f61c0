// Parser throughput on real captured bytes: every fixture message (TCP, UDP,
// UDP-lite, ICMP, ICMPv6, SCTP, NAT, dump replies) parsed in a loop into one
// reused FlowEvent, on one core. Target: >= 2,000,000 events/s.
//   bazel run -c opt //bench/collector:parser_bench
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "collector/conntrack_parser.h"
#include "collector/netlink_capture.h"

namespace flowtop::collector {
namespace {

std::vector<std::string> LoadAll() {
  std::vector<std::string> all;
  for (const char* name :
       {"tcp4", "tcp6", "udp", "udplite", "icmp", "sctp", "nat", "dump"}) {
    auto msgs = ReadCaptureFile(std::string("tests/fixtures/netlink/") + name +
                                ".nlcap");
    if (!msgs.ok()) continue;
    all.insert(all.end(), msgs->begin(), msgs->end());
  }
  return all;
}

void BM_ParseCapturedMessages(benchmark::State& state) {
  const std::vector<std::string> msgs = LoadAll();
  if (msgs.empty()) {
    state.SkipWithError("no fixtures: run from the workspace (bazel run)");
    return;
  }
  v1::FlowEvent event;
  size_t i = 0, errors = 0;
  for (auto _ : state) {
    const std::string& m = msgs[i];
    if (!ParseConntrackMessage(m.data(), m.size(), event).ok()) ++errors;
    benchmark::DoNotOptimize(event);
    if (++i == msgs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["messages"] = msgs.size();
  state.counters["errors"] = errors;
}
BENCHMARK(BM_ParseCapturedMessages);

// Only the NEW events (what a storm of new flows consists of).
void BM_ParseNewEvents(benchmark::State& state) {
  std::vector<std::string> msgs;
  v1::FlowEvent event;
  for (const std::string& m : LoadAll()) {
    if (ParseConntrackMessage(m.data(), m.size(), event).ok() &&
        event.type() == v1::NEW) {
      msgs.push_back(m);
    }
  }
  if (msgs.empty()) {
    state.SkipWithError("no fixtures: run from the workspace (bazel run)");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    const std::string& m = msgs[i];
    benchmark::DoNotOptimize(ParseConntrackMessage(m.data(), m.size(), event));
    if (++i == msgs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["messages"] = msgs.size();
}
BENCHMARK(BM_ParseNewEvents);

}  // namespace
}  // namespace flowtop::collector

BENCHMARK_MAIN();
