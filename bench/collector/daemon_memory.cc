// Bytes per flow of each part flowtopd and flowtop record keep at N flows
// (default 1,000,000), side by side with the layout each part had before
// (issue 12: at most 256 bytes a flow, the kernel's own nf_conntrack entry).
//
//   bazel run -c opt //bench/collector:daemon_memory -- [N]
//
// Each part is filled alone and measured as heap growth (glibc mallinfo2:
// small blocks plus mmapped ones) divided by N:
//   - the FlowTable (FlowRecords, router enrichment: realistic_flows.h);
//   - KernelSource's reconcile fingerprints (FlowKey -> 64-bit hash of what
//     the kernel said): a flat_hash_map before, a DenseFlowMap now;
//   - RateTracker's last counters of every flow with counters: a
//     flat_hash_map of 48-byte slots before, a DenseFlowMap now;
//   - the event ring (65,536 events, its default): bounded, so its share
//     falls with N; the events are the kernel path's SNAPSHOTs;
//   - flowtop record's tables: the pipeline's and the recorder's own before,
//     the pipeline's alone now (an unfiltered recording reads it for
//     keyframes), with the recording written to a temporary file.
// What this does not see: the allocator's free pages between live blocks
// (flowtopd returns them after each whole-table dump: malloc_trim) and the
// fixed cost of the binary; bench/scale:scale_bench measures the RSS.
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "bench/collector/realistic_flows.h"
#include "collector/dense_flow_map.h"
#include "collector/rate_tracker.h"
#include "core/clock.h"
#include "core/flow_key.h"
#include "core/flow_table.h"
#include "core/pipeline.h"
#include "replay/recorder.h"
#include "service/event_ring.h"

namespace flowtop::bench {
namespace {

size_t Heap() {
  const auto m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// Heap growth per flow while `fill` runs (what it keeps must still be alive
// when it returns: fill owns nothing that it frees at its end).
double PerFlow(size_t n, const std::function<void()>& fill) {
  malloc_trim(0);
  const size_t before = Heap();
  fill();
  return (static_cast<double>(Heap()) - static_cast<double>(before)) / static_cast<double>(n);
}

// FlowKeys as the kernel path files them.
uint64_t KeyOf(uint32_t i) { return core::FlowKey(RealisticEvent(i, 0).flow()); }

// The rate tracker's slot before DenseFlowMap: key and 40-byte value.
struct LastCounters {
  uint64_t counters[4];
  uint32_t generation;
  bool moving;
};

struct Row {
  const char* part;
  double before;
  double now;
};

void Print(const std::vector<Row>& rows, size_t n) {
  std::printf("%-52s %14s %14s\n", "part (bytes per flow at N)", "before", "now");
  for (const Row& r : rows) {
    std::printf("%-52s %14.1f %14.1f\n", r.part, r.before, r.now);
  }
  std::printf("(N = %zu; target: at most 256 B/flow of RSS, docs/scale.md)\n", n);
}

double TableBytes(size_t n) {
  auto* table = new core::FlowTable(n + 1);
  const double b = PerFlow(n, [&] {
    for (uint32_t i = 0; i < n; ++i) {
      for (int part = 0; part < 3; ++part) table->Apply(RealisticEvent(i, part));
    }
  });
  delete table;
  return b;
}

void ReconcileBytes(size_t n, const std::vector<uint64_t>& keys, double& before, double& now) {
  {
    absl::flat_hash_map<uint64_t, uint64_t> map;
    before = PerFlow(n, [&] {
      for (uint64_t k : keys) map[k] = k * 3;
    });
  }
  collector::DenseFlowMap<uint64_t> map;
  now = PerFlow(n, [&] {
    for (uint64_t k : keys) *map.TryEmplace(k).first = k * 3;
  });
}

void TrackerBytes(size_t n, const std::vector<uint64_t>& keys, double& before, double& now) {
  {
    absl::flat_hash_map<uint64_t, LastCounters> map;
    before = PerFlow(n, [&] {
      for (uint64_t k : keys) map[k] = LastCounters{{k, k, k, k}, 1, false};
    });
  }
  collector::RateTracker tracker;
  v1::Flow flow;
  flow.mutable_original_counters()->set_packets(1);
  flow.mutable_reply_counters()->set_bytes(100);
  tracker.BeginSample(absl::FromUnixSeconds(1'790'000'000));
  now = PerFlow(n, [&] {
    for (uint64_t k : keys) {
      core::SetFlowKey(k, flow);
      tracker.Remember(flow);
    }
  });
}

double RingBytes(size_t n) {
  auto ring = service::EventRing::Create(service::EventRing::kDefaultCapacity,
                                         /*move_events=*/true);
  if (!ring.ok()) return -1;
  std::vector<v1::FlowEvent> batch(512);
  return PerFlow(n, [&] {
    for (uint32_t i = 0; i < n;) {
      size_t k = 0;
      for (; k < batch.size() && i < n; ++k, ++i) {
        batch[k] = RealisticEvent(i, 0);
        batch[k].set_type(v1::SNAPSHOT);
        batch[k].set_seq(i + 1);
      }
      (*ring)->Publish(absl::MakeSpan(batch.data(), k));
    }
  });
}

// A pipeline and a recorder behind it, as flowtop record runs them; with
// `own_table` the recorder keeps its own (a filter that keeps everything:
// the layout before).
double RecordBytes(size_t n, bool own_table) {
  const std::string path =
      std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
      "/daemon_memory." + std::to_string(getpid()) + ".ftr";
  auto* pipeline = new core::Pipeline(core::PipelineOptions{}, core::RealClock::Get());
  replay::RecorderOptions options;
  options.path = path;
  options.writer.zstd_level = 1;
  options.keyframe_interval = absl::ZeroDuration();
  options.table = &pipeline->PublishedTable();
  if (own_table) options.filter = [](const v1::FlowEvent&) { return true; };
  std::unique_ptr<replay::Recorder> recorder;
  std::vector<v1::FlowEvent> batch(512);
  const double b = PerFlow(n, [&] {
    auto created = replay::Recorder::Create(options, core::RealClock::Get());
    if (!created.ok()) return;
    recorder = std::move(*created);
    pipeline->AddSink(recorder.get());
    // Each flow's NEW and its two ENRICH events, as the table row above.
    for (uint32_t i = 0; i < 3 * n;) {
      size_t k = 0;
      for (; k < batch.size() && i < 3 * n; ++k, ++i) batch[k] = RealisticEvent(i / 3, i % 3);
      pipeline->Publish(absl::MakeSpan(batch.data(), k));
    }
  });
  if (recorder != nullptr) recorder->Close().IgnoreError();
  recorder.reset();
  delete pipeline;
  unlink(path.c_str());
  return b;
}

}  // namespace
}  // namespace flowtop::bench

int main(int argc, char** argv) {
  using namespace flowtop::bench;
  const size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  if (n == 0 || n > 5000000) {
    std::fprintf(stderr, "daemon_memory: N must be from 1 to 5000000\n");
    return 2;
  }
  std::vector<uint64_t> keys(n);
  for (uint32_t i = 0; i < n; ++i) keys[i] = KeyOf(i);
  const double table = TableBytes(n);
  double reconcile_before, reconcile_now, tracker_before, tracker_now;
  ReconcileBytes(n, keys, reconcile_before, reconcile_now);
  TrackerBytes(n, keys, tracker_before, tracker_now);
  const double ring = RingBytes(n);
  const double record_before = RecordBytes(n, /*own_table=*/true);
  const double record_now = RecordBytes(n, /*own_table=*/false);
  std::vector<Row> rows = {
      {"FlowTable (FlowRecord, router enrichment)", table, table},
      {"KernelSource: reconcile fingerprints", reconcile_before, reconcile_now},
      {"RateTracker: last counters", tracker_before, tracker_now},
      {"EventRing: 65,536 SNAPSHOT events (bounded)", ring, ring},
  };
  const double kernel_before = reconcile_before + tracker_before;
  const double kernel_now = reconcile_now + tracker_now;
  rows.push_back({"flowtopd, sum of the parts", table + kernel_before + ring,
                  table + kernel_now + ring});
  rows.push_back({"flowtop record: pipeline + recorder tables", record_before, record_now});
  rows.push_back({"flowtop record, sum (tables + kernel path)", record_before + kernel_before,
                  record_now + kernel_now});
  Print(rows, n);
  return 0;
}
