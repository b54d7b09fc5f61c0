// flowtop --json's text per flow: core's FlowJsonWriter (record straight to
// text) beside the way it went before (AppendFlowJsonByPrinter: ToFlow,
// MakeReadable, protobuf's MessageToJsonString) on the same records, one
// row after the other:
//
//   bazel run -c opt //bench/core:flow_json_bench
//
// ns_per_flow is the time per flow (lower is better). Three kinds of
// records, 10,000 of each, written in a loop as --json writes a snapshot:
//   udp       IPv4 UDP as scale_bench makes them (counters, no enrichment)
//   tcp_rich  IPv4 TCP under NAT, with host names, Geo, a Process, rates
//   ipv6      IPv6 TCP with counters and rates
// And flowtop replay --json's events of the same flows (replay_event/...):
// AppendFlowEventJson beside MakeReadable + MessageToJsonString.
// The machine may be shared: compare the two rows of a kind, not runs.
#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/flow_json.h"
#include "core/flow_key.h"
#include "core/flow_record.h"
#include "core/string_pool.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {
namespace {

constexpr int kRecords = 10000;

std::string V4(uint32_t a) {
  const char b[4] = {static_cast<char>(a >> 24), static_cast<char>(a >> 16),
                     static_cast<char>(a >> 8), static_cast<char>(a)};
  return std::string(b, 4);
}

std::string V6(uint32_t i) {
  std::string s("\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00", 12);
  return s + V4(i);
}

v1::Flow Kernel(int kind, uint32_t i) {
  v1::Flow f;
  f.set_node("router1");
  f.set_conntrack_id(0x9e000000u + i);
  f.set_family(kind == 2 ? v1::IPV6 : v1::IPV4);
  f.set_protocol(kind == 0 ? v1::UDP : v1::TCP);
  f.set_protocol_number(kind == 0 ? 17 : 6);
  v1::Tuple* o = f.mutable_original();
  v1::Tuple* r = f.mutable_reply();
  o->set_src_ip(kind == 2 ? V6(i) : V4(0x7f000001u));
  o->set_dst_ip(kind == 2 ? V6(i + 7) : V4(0x7f010000u + i));
  o->set_src_port(40000 + i % 20000);
  o->set_dst_port(kind == 0 ? 1024 + i % 60000 : 443);
  r->set_src_ip(o->dst_ip());
  r->set_dst_ip(kind == 1 ? V4(0xc0a80002u) : o->src_ip());  // NAT for tcp_rich
  r->set_src_port(o->dst_port());
  r->set_dst_port(o->src_port());
  if (kind != 0) f.set_tcp_state(v1::TCP_ESTABLISHED);
  f.mutable_status()->set_confirmed(true);
  f.mutable_status()->set_raw(0x8);
  f.set_timeout_seconds(3600 - i % 100);
  f.mutable_original_counters()->set_packets(1 + i % 7);
  f.mutable_original_counters()->set_bytes(29 + i % 1000 * 1400);
  f.mutable_reply_counters();
  if (kind != 0) {
    f.mutable_original_rate()->set_packets_per_second(i % 50 / 3.0);
    f.mutable_original_rate()->set_bytes_per_second(i % 9 * 1400.0);
  }
  f.set_first_seen_unix_nanos(1764720000000000000 + int64_t{i} * 1000003);
  f.set_key(ComputeFlowKey(f));
  f.set_id(FlowIdFor(f.node(), f));
  return f;
}

v1::Flow Enrichment(uint32_t i) {
  v1::Flow f;
  v1::Enrichment* e = f.mutable_enrichment();
  e->mutable_src()->set_hostname("host-" + std::to_string(i % 300) + ".lan");
  v1::Process* p = e->mutable_src()->mutable_process();
  p->set_pid(1000 + i % 40);
  p->set_name(i % 2 ? "curl" : "firefox-esr");
  p->set_exe("/usr/bin/curl");
  p->set_uid(1000);
  p->set_user("alice");
  p->set_cgroup("/user.slice/user-1000.slice/session-3.scope");
  p->set_unit("session-3.scope");
  p->set_attributed_by("ebpf");
  e->mutable_dst()->set_hostname("server-" + std::to_string(i % 900) + ".example.org");
  v1::Geo* g = e->mutable_dst()->mutable_geo();
  g->set_country_code("DE");
  g->set_country("Germany");
  g->set_city(i % 3 ? "Berlin" : "M\xc3\xbcnchen");
  g->set_as_number(3320);
  g->set_as_organization("Deutsche Telekom AG");
  g->set_latitude(52.52);
  g->set_longitude(13.405);
  e->set_service("https");
  return f;
}

struct Records {
  StringPool pool;
  std::vector<FlowRecord> records;
  explicit Records(int kind) : records(kRecords) {
    for (uint32_t i = 0; i < kRecords; ++i) {
      v1::FlowEvent e;
      e.set_type(v1::NEW);
      e.set_time_unix_nanos(1);
      *e.mutable_flow() = Kernel(kind, i);
      ApplyFlowEvent(e, pool, records[i]);
      if (kind == 1) {
        e.set_type(v1::ENRICH);
        *e.mutable_flow() = Enrichment(i);
        ApplyFlowEvent(e, pool, records[i]);
      }
    }
  }
  ~Records() {
    for (FlowRecord& r : records) ReleaseRecord(pool, r);
  }
};

const Records& RecordsOf(int kind) {
  static Records* all[3] = {new Records(0), new Records(1), new Records(2)};
  return *all[kind];
}

void SetCounters(benchmark::State& state, size_t line_bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
  state.counters["ns_per_flow"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kRecords * 1e-9,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_flow"] = static_cast<double>(line_bytes) / kRecords;
}

// The writer, one per snapshot pass as --json uses it.
void Writer(benchmark::State& state, int kind) {
  const Records& r = RecordsOf(kind);
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    FlowJsonWriter writer(r.pool);
    bytes = 0;
    for (const FlowRecord& rec : r.records) {
      out.clear();
      (void)writer.Append(rec, "local", out);
      benchmark::DoNotOptimize(out.data());
      bytes += out.size() + 1;
    }
  }
  SetCounters(state, bytes);
}

// v1::Flow, MakeReadable and MessageToJsonString, as --json did before.
void Printer(benchmark::State& state, int kind) {
  const Records& r = RecordsOf(kind);
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const FlowRecord& rec : r.records) {
      out.clear();
      (void)AppendFlowJsonByPrinter(rec, r.pool, "local", out);
      benchmark::DoNotOptimize(out.data());
      bytes += out.size() + 1;
    }
  }
  SetCounters(state, bytes);
}

// flowtop replay --json: the events of the same flows (NEW with the
// kernel's view, then ENRICH for tcp_rich), from the message.
const std::vector<v1::FlowEvent>& EventsOf(int kind) {
  static std::vector<v1::FlowEvent>* all[3] = {};
  if (all[kind] == nullptr) {
    all[kind] = new std::vector<v1::FlowEvent>();
    for (uint32_t i = 0; i < kRecords; ++i) {
      v1::FlowEvent e;
      e.set_seq(i + 1);
      e.set_time_unix_nanos(1764720000000000000 + int64_t{i});
      e.set_type(v1::NEW);
      e.set_node("router1");
      *e.mutable_flow() = Kernel(kind, i);
      if (kind == 1) e.mutable_flow()->MergeFrom(Enrichment(i));
      all[kind]->push_back(std::move(e));
    }
  }
  return *all[kind];
}

template <absl::Status (*Append)(const v1::FlowEvent&, std::string&)>
void Events(benchmark::State& state, int kind) {
  const std::vector<v1::FlowEvent>& events = EventsOf(kind);
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const v1::FlowEvent& e : events) {
      out.clear();
      (void)Append(e, out);
      benchmark::DoNotOptimize(out.data());
      bytes += out.size() + 1;
    }
  }
  SetCounters(state, bytes);
}

}  // namespace
}  // namespace flowtop::core

int main(int argc, char** argv) {
  static const char* const kKinds[] = {"udp", "tcp_rich", "ipv6"};
  for (int kind = 0; kind < 3; ++kind) {
    const std::string name = std::string("json/") + kKinds[kind];
    benchmark::RegisterBenchmark((name + "/writer").c_str(), flowtop::core::Writer, kind)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((name + "/protobuf_printer").c_str(), flowtop::core::Printer,
                                 kind)
        ->Unit(benchmark::kMillisecond);
  }
  for (int kind = 0; kind < 3; ++kind) {
    const std::string name = std::string("replay_event/") + kKinds[kind];
    benchmark::RegisterBenchmark((name + "/writer").c_str(),
                                 flowtop::core::Events<flowtop::core::AppendFlowEventJson>, kind)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(
        (name + "/protobuf_printer").c_str(),
        flowtop::core::Events<flowtop::core::AppendFlowEventJsonByPrinter>, kind)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
