// EventRing throughput: one writer publishing realistic flow events in
// batches (copied, or moved as flowtopd does with move=1) while 0 or 4
// readers follow (each in its own thread, copying
// chunks out as a GetFlows stream does). Reports events/s written, and per
// reader events/s delivered and lost (lapped).
//
//   bazel run -c opt //bench/service:ring_benchmark
#include <arpa/inet.h>
#include <sys/resource.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "service/event_ring.h"

namespace flowtop::service {
namespace {

// A realistic event: an UPDATE of a TCP flow with counters (about 90 bytes
// serialised, 5 heap objects).
void FillFully(uint32_t id, v1::FlowEvent* event) {
  v1::FlowEvent& e = *event;
  e.set_type(v1::UPDATE);
  e.set_node("router1");
  v1::Flow* f = e.mutable_flow();
  f->set_id("router1/123456");
  f->set_node("router1");
  f->set_family(v1::IPV4);
  f->set_protocol(v1::TCP);
  f->set_protocol_number(6);
  static constexpr unsigned char kSrc[4] = {10, 1, 2, 3};
  static constexpr unsigned char kDst[4] = {192, 0, 2, 7};
  f->mutable_original()->set_src_ip(kSrc, 4);
  f->mutable_original()->set_dst_ip(kDst, 4);
  f->mutable_original()->set_src_port(40000);
  f->mutable_original()->set_dst_port(443);
  f->set_tcp_state(v1::TCP_ESTABLISHED);
  f->set_conntrack_id(id);
}

// Stamps an event as the pipeline does and updates what changes from one
// event to the next (in move mode the ring hands back events whose fields
// and sub-messages are already there, as a recycling source would reuse).
void Stamp(uint32_t id, v1::FlowEvent* e) {
  if (!e->has_flow()) FillFully(id, e);
  e->set_seq(id);
  e->set_time_unix_nanos(int64_t{1'700'000'000'000'000'000} + id);
  v1::Flow* f = e->mutable_flow();
  f->set_conntrack_id(id);
  f->mutable_original_counters()->set_bytes(id * 1500);
  f->mutable_original_counters()->set_packets(id);
  f->mutable_reply_counters()->set_bytes(id * 60);
  f->mutable_reply_counters()->set_packets(id);
}

void BM_RingWrite(benchmark::State& state) {
  const int readers = static_cast<int>(state.range(0));
  const size_t batch_size = static_cast<size_t>(state.range(1));
  const bool move = state.range(2) != 0;
  auto ring = *EventRing::Create(size_t{1} << 16, move);
  std::vector<v1::FlowEvent> batch(batch_size);
  uint32_t id = 0;

  std::atomic<uint64_t> delivered{0}, lost{0};
  std::vector<std::unique_ptr<RingReader>> rs;
  std::vector<std::thread> threads;
  for (int r = 0; r < readers; ++r) {
    rs.push_back(std::make_unique<RingReader>(*ring, 0));
    threads.emplace_back([&, r] {
      std::vector<v1::FlowEvent> out;
      out.reserve(256);
      uint64_t mine = 0;
      while (true) {
        out.clear();
        auto n = rs[r]->Read(256, absl::InfiniteFuture(), &out);
        if (!n.ok()) break;
        mine += out.size();
      }
      delivered += mine;
      lost += rs[r]->lost();
    });
  }
  rusage before{}, after{};
  getrusage(RUSAGE_THREAD, &before);
  for (auto _ : state) {
    // Every event published is a complete flow event with new numbers.
    for (v1::FlowEvent& e : batch) Stamp(++id, &e);
    ring->Publish(absl::MakeSpan(batch));
  }
  getrusage(RUSAGE_THREAD, &after);
  ring->Close();
  for (auto& t : threads) t.join();
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  const double writer_cpu = seconds(after.ru_utime) - seconds(before.ru_utime) +
                            seconds(after.ru_stime) - seconds(before.ru_stime);
  const double events = static_cast<double>(state.iterations()) * batch_size;
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["written/s"] =
      benchmark::Counter(events, benchmark::Counter::kIsRate);
  // Per second of the writer thread's own CPU time: what the writer can do
  // when it has a core (this machine's cores are shared).
  if (writer_cpu > 0) state.counters["written/writer-cpu-s"] = events / writer_cpu;
  if (readers > 0) {
    state.counters["read/s/reader"] = benchmark::Counter(
        static_cast<double>(delivered.load()) / readers,
        benchmark::Counter::kIsRate);
    state.counters["lost/s/reader"] = benchmark::Counter(
        static_cast<double>(lost.load()) / readers,
        benchmark::Counter::kIsRate);
  }
}
BENCHMARK(BM_RingWrite)
    ->ArgNames({"readers", "batch", "move"})
    ->Args({0, 64, 0})
    ->Args({0, 64, 1})
    ->Args({4, 64, 1})
    ->Args({4, 256, 1})
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace
}  // namespace flowtop::service

BENCHMARK_MAIN();
