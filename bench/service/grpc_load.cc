// grpc_load: streams flow events from a complete in-process flowtopd
// (Pipeline -> EventRing -> FlowTopService on 127.0.0.1, real gRPC over
// loopback TCP) to N following clients, and prints events/s and CPU.
//
// A publisher thread plays the collector: it publishes batches of realistic
// events at --rate events/s (0: as fast as it can). Publishing never waits
// for clients; the intake figure shows whether the collector kept its rate
// while the clients were served. --direct publishes into the ring without
// the flow table (the streaming path alone). --raw-clients count events
// from the wire format instead of parsing them (the clients share this
// process's CPU; a real client parses on its own machine or core).
// --text makes the clients ask for addresses as text too (what grpcurl and
// other JSON readers get; the default is binary_addresses_only, as
// flowtop's own clients ask): compare the two runs for its cost.
//
//   bazel run -c opt //bench/service:grpc_load -- --clients 1 --seconds 5
//   bazel run -c opt //bench/service:grpc_load -- --clients 4 --rate 1000000
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/pipeline.h"
#include "flowtop/v1/flowtop.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/sync_stream.h"
#include "service/event_ring.h"
#include "service/flowtop_service.h"
#include "service/server.h"

// A GetFlowsResponse kept as bytes: --raw-clients count events by walking
// the wire format (and decode only LOST events) instead of parsing every
// event, to measure what the server sends rather than the client's parser.
struct RawResponse {
  grpc::ByteBuffer bytes;
};

namespace grpc {
template <>
class SerializationTraits<RawResponse, void> {
 public:
  static Status Deserialize(ByteBuffer* buffer, RawResponse* msg) {
    msg->bytes.Swap(buffer);
    return Status::OK;
  }
  static Status Serialize(const RawResponse&, ByteBuffer*, bool*) {
    return Status(StatusCode::UNIMPLEMENTED, "read only");
  }
};
}  // namespace grpc

namespace flowtop::service {
namespace {

bool ReadVarint(const uint8_t** p, const uint8_t* end, uint64_t* v) {
  *v = 0;
  for (int shift = 0; *p < end && shift < 64; shift += 7) {
    const uint8_t b = *(*p)++;
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Counts the events of a serialised GetFlowsResponse; adds LOST counts.
void CountRaw(const std::string& bytes, uint64_t* events, uint64_t* lost) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* end = p + bytes.size();
  uint64_t tag, len;
  while (p < end && ReadVarint(&p, end, &tag) && ReadVarint(&p, end, &len)) {
    if ((tag & 7) != 2 || len > static_cast<uint64_t>(end - p)) return;
    if ((tag >> 3) == 1) {
      // FlowEvent.type is field 3; seq (1) and time (2) come first.
      const uint8_t* q = p;
      const uint8_t* e = p + len;
      uint64_t t, v, type = 0;
      while (q < e && ReadVarint(&q, e, &t)) {
        if ((t & 7) != 0) break;
        if (!ReadVarint(&q, e, &v)) break;
        if ((t >> 3) == 3) {
          type = v;
          break;
        }
      }
      if (type == v1::LOST) {
        v1::FlowEvent event;
        event.ParseFromArray(p, static_cast<int>(len));
        *lost += event.lost().count();
      } else if (type != v1::STATUS) {
        ++*events;
      }
    }
    p += len;
  }
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

void Fill(uint32_t id, v1::FlowEvent* e) {
  e->set_type(v1::UPDATE);
  v1::Flow* f = e->mutable_flow();
  f->set_conntrack_id(id);
  f->set_family(v1::IPV4);
  f->set_protocol(v1::TCP);
  static constexpr unsigned char kSrc[4] = {10, 1, 2, 3};
  static constexpr unsigned char kDst[4] = {192, 0, 2, 7};
  f->mutable_original()->set_src_ip(kSrc, 4);
  f->mutable_original()->set_dst_ip(kDst, 4);
  f->mutable_original()->set_src_port(40000 + id % 20000);
  f->mutable_original()->set_dst_port(443);
  f->set_tcp_state(v1::TCP_ESTABLISHED);
  f->mutable_original_counters()->set_bytes(id * 1500ull);
  f->mutable_original_counters()->set_packets(id);
  f->mutable_reply_counters()->set_bytes(id * 60ull);
  f->mutable_reply_counters()->set_packets(id);
}

// The command line: --clients N --seconds S --rate R --batch N --max-batch N
// --direct --raw-clients --text.
struct LoadOptions {
  int clients = 1;
  double seconds = 5;
  double rate = 0;
  int batch = 256;
  bool direct = false;
  bool raw_clients = false;
  bool text = false;
  int max_batch = 0;  // the server's default
};

// Reads the command line into *o; false (after saying why) on a bad option.
bool ParseArgs(int argc, char** argv, LoadOptions* o) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--direct")) {
      o->direct = true;
      continue;
    }
    if (!std::strcmp(argv[i], "--raw-clients")) {
      o->raw_clients = true;
      continue;
    }
    if (!std::strcmp(argv[i], "--text")) {
      o->text = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "grpc_load: %s needs a value\n", argv[i]);
      return false;
    }
    if (!std::strcmp(argv[i], "--clients")) o->clients = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds")) o->seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--rate")) o->rate = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--batch")) o->batch = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--max-batch")) o->max_batch = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "grpc_load: unknown option %s\n", argv[i]);
      return false;
    }
    ++i;
  }
  return true;
}

// What the client threads count, each in its own slot.
struct ClientCounts {
  explicit ClientCounts(int clients) : received(clients), lost(clients) {}
  std::vector<std::atomic<uint64_t>> received, lost;
  std::atomic<bool> stop{false};
  std::atomic<int> open{0};
};

// Client `c`: follows GetFlows from `address` until told to stop, counting
// events and losses (by walking the wire format under --raw-clients).
void RunClient(const LoadOptions& o, const std::string& address, int c,
               ClientCounts& counts) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // One connection per client, as separate processes would have.
  args.SetInt("flowtop.bench.client", c);
  auto stub = v1::FlowTop::NewStub(grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext context;
  v1::GetFlowsRequest request;
  request.set_follow(true);
  request.set_max_batch(o.max_batch);
  request.set_binary_addresses_only(!o.text);
  if (o.raw_clients) {
    auto channel = grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args);
    const grpc::internal::RpcMethod method(
        "/flowtop.v1.FlowTop/GetFlows",
        grpc::internal::RpcMethod::SERVER_STREAMING);
    std::unique_ptr<grpc::ClientReader<RawResponse>> raw(
        grpc::internal::ClientReaderFactory<RawResponse>::Create(
            channel.get(), method, &context, request));
    RawResponse response;
    bool first = true;
    std::vector<grpc::Slice> slices;
    std::string bytes;
    while (raw->Read(&response)) {
      if (first) {
        first = false;
        ++counts.open;
      }
      slices.clear();
      bytes.clear();
      if (!response.bytes.Dump(&slices).ok()) continue;
      for (const auto& slice : slices) {
        bytes.append(reinterpret_cast<const char*>(slice.begin()),
                     slice.size());
      }
      uint64_t n = 0, l = 0;
      CountRaw(bytes, &n, &l);
      counts.received[c].fetch_add(n, std::memory_order_relaxed);
      counts.lost[c] += l;
      if (counts.stop.load(std::memory_order_relaxed)) context.TryCancel();
    }
    return;
  }
  auto reader = stub->GetFlows(&context, request);
  v1::GetFlowsResponse response;
  bool first = true;
  while (reader->Read(&response)) {
    if (first) {
      first = false;
      ++counts.open;
    }
    for (const auto& e : response.events()) {
      if (e.type() == v1::LOST) {
        counts.lost[c] += e.lost().count();
      } else if (e.type() != v1::STATUS) {
        counts.received[c].fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (counts.stop.load(std::memory_order_relaxed)) context.TryCancel();
  }
}

void PrintResults(const LoadOptions& o, const ClientCounts& counts, uint64_t published,
                  double wall, double drained_wall, double cpu) {
  std::printf("clients=%d%s%s seconds=%.1f batch=%d target_rate=%s%s\n",
              o.clients, o.raw_clients ? " (raw)" : "", o.text ? " text-addresses" : "", wall, o.batch,
              o.rate > 0 ? absl::StrCat(o.rate).c_str() : "max",
              o.direct ? " direct-to-ring" : " via pipeline+table");
  std::printf("intake: %llu events published, %.0f events/s\n",
              static_cast<unsigned long long>(published), published / wall);
  uint64_t total = 0;
  for (int c = 0; c < o.clients; ++c) {
    total += counts.received[c];
    std::printf("client %d: %llu events received (%.0f events/s), %llu lost\n",
                c, static_cast<unsigned long long>(counts.received[c].load()),
                counts.received[c] / drained_wall,
                static_cast<unsigned long long>(counts.lost[c].load()));
  }
  std::printf("all clients: %.0f events/s; CPU %.2f s over %.2f s wall "
              "(%.0f%% of one core) on %u cores\n",
              total / drained_wall, cpu, drained_wall,
              100 * cpu / drained_wall, std::thread::hardware_concurrency());
  // What a shared, loaded machine cannot skew much: events delivered per
  // second of this process's CPU (publisher, server and clients together).
  std::printf("per CPU-second: %.0f events delivered\n", cpu > 0 ? total / cpu : 0.0);
}

int Main(int argc, char** argv) {
  LoadOptions o;
  if (!ParseArgs(argc, argv, &o)) return 2;
  const int clients = o.clients;

  core::Pipeline pipeline({.node = "bench", .max_flows = 1 << 16},
                               core::RealClock::Get());
  auto ring = *EventRing::Create(size_t{1} << 18, /*move_events=*/true);
  pipeline.AddSink(ring.get());
  ServiceOptions service_options;
  service_options.max_streams = clients + 4;
  FlowTopService service(service_options, pipeline, *ring,
                         core::RealClock::Get(), nullptr);
  ServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  auto running = StartServer(server_options, &service);
  if (!running.ok()) {
    std::fprintf(stderr, "grpc_load: %s\n",
                 std::string(running.status().message()).c_str());
    return 1;
  }
  const std::string address = absl::StrCat("127.0.0.1:", running->port);

  // The flow table should not grow without bound: flows cycle over 65536
  // conntrack ids (UPDATEs of existing flows after the first lap).
  ClientCounts counts(clients);
  std::vector<std::thread> readers;
  for (int c = 0; c < clients; ++c) {
    readers.emplace_back([&, c] { RunClient(o, address, c, counts); });
  }
  while (counts.open.load() < clients) absl::SleepFor(absl::Milliseconds(10));

  const double cpu0 = CpuSeconds();
  const absl::Time t0 = absl::Now();
  uint64_t published = 0;
  std::vector<v1::FlowEvent> events(o.batch);
  uint32_t id = 0;
  while (absl::Now() - t0 < absl::Seconds(o.seconds)) {
    if (o.rate > 0) {
      const absl::Time due = t0 + absl::Seconds(published / o.rate);
      const absl::Time now = absl::Now();
      if (due > now) absl::SleepFor(due - now);
    }
    for (v1::FlowEvent& e : events) Fill(++id % 65536 + 1, &e);
    if (o.direct) {
      // Straight into the ring (no flow table): the streaming path alone.
      for (v1::FlowEvent& e : events) e.set_seq(published + 1 + (&e - &events[0]));
      ring->Publish(absl::MakeSpan(events));
    } else {
      pipeline.Publish(absl::MakeSpan(events));
    }
    published += events.size();
  }
  const double wall = absl::ToDoubleSeconds(absl::Now() - t0);
  // Let clients drain what was published (bounded: at most 10 s).
  const absl::Time drain_until = absl::Now() + absl::Seconds(10);
  auto done = [&] {
    for (int c = 0; c < clients; ++c) {
      if (counts.received[c] + counts.lost[c] < published) return false;
    }
    return true;
  };
  while (!done() && absl::Now() < drain_until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const double drained_wall = absl::ToDoubleSeconds(absl::Now() - t0);
  const double cpu = CpuSeconds() - cpu0;
  counts.stop = true;
  service.Shutdown();
  running->server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  for (auto& t : readers) t.join();

  PrintResults(o, counts, published, wall, drained_wall, cpu);
  return 0;
}

}  // namespace
}  // namespace flowtop::service

int main(int argc, char** argv) { return flowtop::service::Main(argc, argv); }
