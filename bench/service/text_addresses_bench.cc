// text_addresses_bench: what addresses as text cost, side by side with the
// binary path, per event, on one core (no gRPC, no network: the work a
// flowtopd stream and a JSON printer do for each event).
//
//   stream  bytes only   the ring's serialization appended to the batch
//                        (flowtop's own clients: binary_addresses_only)
//   stream  text too     the same plus the text-address suffix
//                        (AppendAddressTextSuffix: grpcurl, JSON readers)
//   JSON    as stored    MessageToJsonString of the event (base64 bytes)
//   JSON    readable     MakeReadable, then MessageToJsonString
//                        (flowtop --json, flowtop replay --json)
//
// Events are random flows (IPv4 and IPv6, original and reply tuples,
// counters, a process on one end) with a fixed seed.
//
//   bazel build -c opt //bench/service:text_addresses_bench
//   bazel-bin/bench/service/text_addresses_bench [--events N] [--seconds S]
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "flowtop/v1/flowtop.pb.h"
#include "google/protobuf/util/json_util.h"
#include "proto/flow_text.h"

namespace flowtop {
namespace {

std::string RandomAddress(std::mt19937_64& rng, bool v6) {
  std::string bytes(v6 ? 16 : 4, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  if (v6 && rng() % 2) std::memset(&bytes[4], 0, 8);  // some with a "::"
  return bytes;
}

void RandomTuple(std::mt19937_64& rng, bool v6, v1::Tuple* t) {
  t->set_src_ip(RandomAddress(rng, v6));
  t->set_dst_ip(RandomAddress(rng, v6));
  t->set_src_port(static_cast<uint32_t>(rng() % 65536));
  t->set_dst_port(static_cast<uint32_t>(rng() % 65536));
}

std::vector<v1::FlowEvent> RandomEvents(size_t n) {
  std::mt19937_64 rng(42);
  std::vector<v1::FlowEvent> events(n);
  for (size_t i = 0; i < n; ++i) {
    v1::FlowEvent& e = events[i];
    e.set_seq(i + 1);
    e.set_time_unix_nanos(1700000000000000000 + i * 1000);
    e.set_type(i % 4 == 0 ? v1::NEW : v1::UPDATE);
    e.set_node("edge1");
    v1::Flow* f = e.mutable_flow();
    const bool v6 = rng() % 4 == 0;
    f->set_id("edge1/" + std::to_string(i));
    f->set_conntrack_id(static_cast<uint32_t>(rng()));
    f->set_family(v6 ? v1::IPV6 : v1::IPV4);
    f->set_protocol(v1::TCP);
    f->set_tcp_state(v1::TCP_ESTABLISHED);
    RandomTuple(rng, v6, f->mutable_original());
    RandomTuple(rng, v6, f->mutable_reply());
    f->mutable_original_counters()->set_bytes(rng() % 1000000);
    f->mutable_reply_counters()->set_bytes(rng() % 1000000);
    if (i % 2 == 0) {
      f->mutable_enrichment()->mutable_src()->mutable_process()->set_name("curl");
      f->mutable_enrichment()->mutable_src()->mutable_process()->set_pid(1000 + i % 5000);
    }
  }
  return events;
}

// This thread's CPU time: on a shared, loaded machine the wall clock
// measures the neighbours too.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Runs `one(i)` over the events for about `seconds` of CPU; returns events
// per CPU-second.
template <typename F>
double Rate(size_t n, double seconds, F one) {
  uint64_t done = 0;
  const double start = ThreadCpuSeconds();
  double elapsed = 0;
  do {
    for (size_t i = 0; i < n; ++i) one(i);
    done += n;
    elapsed = ThreadCpuSeconds() - start;
  } while (elapsed < seconds);
  return static_cast<double>(done) / elapsed;
}

// The field-1 framing the stream puts before each event.
void AppendFramed(const std::string& wire, std::string* out) {
  out->push_back(0x0A);
  size_t n = wire.size();
  while (n >= 0x80) {
    out->push_back(static_cast<char>(n | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
  out->append(wire);
}

int Main(int argc, char** argv) {
  size_t n = 20000;
  double seconds = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--events")) n = std::strtoul(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::strtod(argv[i + 1], nullptr);
  }
  if (n == 0 || seconds <= 0) {
    std::fprintf(stderr, "usage: text_addresses_bench [--events N] [--seconds S]\n");
    return 2;
  }
  const std::vector<v1::FlowEvent> events = RandomEvents(n);
  std::vector<std::string> wires(n);
  for (size_t i = 0; i < n; ++i) wires[i] = events[i].SerializeAsString();

  std::string batch;
  auto flush = [&batch]() {
    if (batch.size() > (1 << 20)) batch.clear();
  };
  const double stream_bytes = Rate(n, seconds, [&](size_t i) {
    AppendFramed(wires[i], &batch);
    flush();
  });
  const double stream_text = Rate(n, seconds, [&](size_t i) {
    AppendFramed(wires[i], &batch);
    AppendAddressTextSuffix(events[i], &batch);
    flush();
  });
  google::protobuf::util::JsonPrintOptions options;
  std::string line;
  const double json_stored = Rate(n, seconds, [&](size_t i) {
    line.clear();
    (void)google::protobuf::util::MessageToJsonString(events[i], &line, options);
  });
  v1::FlowEvent readable;
  const double json_readable = Rate(n, seconds, [&](size_t i) {
    readable = events[i];
    MakeReadable(&readable);
    line.clear();
    (void)google::protobuf::util::MessageToJsonString(readable, &line, options);
  });

  std::printf("text_addresses_bench: %zu random events (1/4 IPv6), %.1f CPU-s each, events per CPU-second\n",
              n, seconds);
  std::printf("%-8s %-22s %14s %14s %8s\n", "path", "", "binary ev/s", "text ev/s",
              "ratio");
  std::printf("%-8s %-22s %14.0f %14.0f %7.2fx\n", "stream", "bytes only / text too",
              stream_bytes, stream_text, stream_bytes / stream_text);
  std::printf("%-8s %-22s %14.0f %14.0f %7.2fx\n", "JSON", "base64 / readable",
              json_stored, json_readable, json_stored / json_readable);
  return 0;
}

}  // namespace
}  // namespace flowtop

int main(int argc, char** argv) { return flowtop::Main(argc, argv); }
