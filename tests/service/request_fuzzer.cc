// libFuzzer target: GetFlows and ListFlows requests, structured. The fuzz
// bytes build a request field by field (FuzzedDataProvider): filter lists of
// any length (beyond the documented caps too), every FlowFilter field with
// random or plausible values, enum numbers the proto does not define,
// negative and huge times, batch sizes and limits. Or, for the raw mode,
// the bytes are the request's wire form, parsed as the server parses it.
// Each request goes through the real FlowTopService (validation, the
// FlowMatcher, the ring reader and snapshot of GetFlows, the table walk,
// filter and top-k of ListFlows) over an in-process gRPC channel (no
// network) against a small table and ring.
//
// The answer must be OK or INVALID_ARGUMENT / RESOURCE_EXHAUSTED with a
// message. What the request's fields alone say must be refused (more
// filters or values than FlowMatcher's caps, counted over every repeated
// field by reflection; enum numbers the proto does not define; ports above
// 65535; GetFlows' max_batch, times and first/number rules) must get
// INVALID_ARGUMENT. A ListFlows answer must respect its limit and count the
// table's flows. Nothing may crash, hang (libFuzzer's -timeout; no client
// deadline, which a busy machine would turn into false failures) or
// allocate without bound. GetFlows requests never follow (a following
// stream is endless by design); everything else is the fuzzer's choice.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/flow_filter.h"
#include "google/protobuf/stubs/logging.h"
#include "core/pipeline.h"
#include "flowtop/v1/flowtop.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "replay/sample_events.h"
#include "service/event_ring.h"
#include "service/flowtop_service.h"
#include "service/server.h"

namespace {

using flowtop::v1::FlowFilter;

// The largest request flowtopd takes (ServerOptions::max_receive_bytes).
const int kMaxRequestBytes = flowtop::service::ServerOptions().max_receive_bytes;

// A node as flowtopd has it, without the network: a table and a ring with
// a few hundred flows and every kind of event, the service, an in-process
// server.
struct Node {
  Node()
      : pipeline({.node = "fuzz"}, flowtop::core::RealClock::Get()),
        ring(*flowtop::service::EventRing::Create(1024)),
        service({}, pipeline, *ring, flowtop::core::RealClock::Get(), nullptr) {
    pipeline.AddSink(ring.get());
    std::vector<flowtop::v1::FlowEvent> events = flowtop::replay::SyntheticStream(600);
    for (flowtop::v1::FlowEvent& e : flowtop::replay::EveryKindOfEvent(601)) {
      events.push_back(e);
    }
    pipeline.Publish(absl::MakeSpan(events));
    grpc::ServerBuilder builder;
    builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    stub = flowtop::v1::FlowTop::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  }
  flowtop::core::Pipeline pipeline;
  std::unique_ptr<flowtop::service::EventRing> ring;
  flowtop::service::FlowTopService service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<flowtop::v1::FlowTop::Stub> stub;
};

const char* const kStrings[] = {
    "10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::ffff:10.0.0.1", "0.0.0.0/0",
    "10.0.0.0/33", "ESTABLISHED", "TIME_WAIT", "established", "US", "de",
    "nginx", "nginx.service", "3f2a", "fuzz", "example", ""};

std::string SomeString(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) return kStrings[in.ConsumeIntegralInRange<size_t>(0, std::size(kStrings) - 1)];
  return in.ConsumeRandomLengthString(80);
}

uint32_t SomeNumber(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, 70000)
                          : in.ConsumeIntegral<uint32_t>();
}

// Adds 0..n values made by `make` with `add` (n large now and then); a
// large n often repeats one value, so that a few input bytes reach counts
// beyond the caps.
template <typename Make, typename Add>
void Repeated(FuzzedDataProvider& in, Make make, Add add) {
  const int n = in.ConsumeIntegralInRange<int>(0, in.ConsumeBool() ? 3 : 1100);
  if (n > 3 && in.ConsumeBool()) {
    const auto value = make();
    for (int i = 0; i < n; ++i) add(value);
    return;
  }
  for (int i = 0; i < n && in.remaining_bytes() > 0; ++i) add(make());
}

// One FlowFilter: every field of the proto, each with 0..n values.
void FillFilter(FuzzedDataProvider& in, FlowFilter* f) {
  const auto string = [&in] { return SomeString(in); };
  const auto number = [&in] { return SomeNumber(in); };
  const auto enum_number = [&in](int32_t last) {
    return [&in, last] {
      return in.ConsumeBool() ? in.ConsumeIntegralInRange<int32_t>(-1, last)
                              : in.ConsumeIntegral<int32_t>();
    };
  };
  Repeated(in, enum_number(12), [f](int32_t v) { f->add_family(static_cast<flowtop::v1::AddressFamily>(v)); });
  Repeated(in, enum_number(300), [f](int32_t v) { f->add_protocol(static_cast<flowtop::v1::L4Protocol>(v)); });
  Repeated(in, string, [f](const std::string& v) { f->add_src_ip(v); });
  Repeated(in, string, [f](const std::string& v) { f->add_dst_ip(v); });
  Repeated(in, string, [f](const std::string& v) { f->add_any_ip(v); });
  Repeated(in, number, [f](uint32_t v) { f->add_src_port(v); });
  Repeated(in, number, [f](uint32_t v) { f->add_dst_port(v); });
  Repeated(in, number, [f](uint32_t v) { f->add_any_port(v); });
  Repeated(in, string, [f](const std::string& v) { f->add_state(v); });
  Repeated(in, string, [f](const std::string& v) { f->add_process_name(v); });
  Repeated(in, number, [f](uint32_t v) { f->add_pid(v); });
  Repeated(in, string, [f](const std::string& v) { f->add_country_code(v); });
  Repeated(in, string, [f](const std::string& v) { f->add_node(v); });
  Repeated(in, enum_number(40), [f](int32_t v) { f->add_event_type(static_cast<flowtop::v1::EventType>(v)); });
  Repeated(in, string, [f](const std::string& v) { f->add_hostname(v); });
  Repeated(in, string, [f](const std::string& v) { f->add_unit(v); });
  Repeated(in, string, [f](const std::string& v) { f->add_container(v); });
}

// 0..n filters (n beyond kMaxFilters now and then; a large n often repeats
// one filter).
template <typename Filters>
void FillFilters(FuzzedDataProvider& in, Filters* filters) {
  const int n = in.ConsumeIntegralInRange<int>(0, in.ConsumeBool() ? 4 : 200);
  if (n > 4 && in.ConsumeBool()) {
    FlowFilter one;
    FillFilter(in, &one);
    for (int i = 0; i < n; ++i) *filters->Add() = one;
    return;
  }
  for (int i = 0; i < n && in.remaining_bytes() > 0; ++i) FillFilter(in, filters->Add());
}

flowtop::v1::GetFlowsRequest GetFlowsFrom(FuzzedDataProvider& in) {
  flowtop::v1::GetFlowsRequest r;
  r.set_number(in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(0, 2000) : in.ConsumeIntegral<uint64_t>());
  r.set_first(in.ConsumeBool());
  r.set_since_unix_nanos(in.ConsumeIntegral<int64_t>());
  r.set_until_unix_nanos(in.ConsumeBool() ? 0 : in.ConsumeIntegral<int64_t>());
  r.set_snapshot(in.ConsumeBool());
  r.set_max_batch(in.ConsumeIntegralInRange<uint32_t>(0, 5000));
  r.set_binary_addresses_only(in.ConsumeBool());
  FillFilters(in, r.mutable_allow());
  FillFilters(in, r.mutable_deny());
  return r;
}

flowtop::v1::ListFlowsRequest ListFlowsFrom(FuzzedDataProvider& in) {
  flowtop::v1::ListFlowsRequest r;
  r.set_sort(static_cast<flowtop::v1::SortKey>(in.ConsumeIntegralInRange<int32_t>(-2, 20)));
  r.set_descending(in.ConsumeBool());
  r.set_limit(in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, 700) : in.ConsumeIntegral<uint32_t>());
  r.set_binary_addresses_only(in.ConsumeBool());
  FillFilters(in, r.mutable_allow());
  FillFilters(in, r.mutable_deny());
  return r;
}

using Filters = google::protobuf::RepeatedPtrField<FlowFilter>;

// Every value of every repeated field of `f`, whatever fields the proto has.
size_t Values(const FlowFilter& f) {
  const google::protobuf::Descriptor* d = f.GetDescriptor();
  const google::protobuf::Reflection* r = f.GetReflection();
  size_t n = 0;
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->is_repeated()) n += r->FieldSize(f, d->field(i));
  }
  return n;
}

// Why these filters must be refused, or nullptr when they may pass.
const char* MustRefuse(const Filters& allow, const Filters& deny) {
  if (allow.size() + deny.size() > flowtop::core::FlowMatcher::kMaxFilters) {
    return "more filters than kMaxFilters";
  }
  size_t values = 0;
  for (const Filters* list : {&allow, &deny}) {
    for (const FlowFilter& f : *list) values += Values(f);
  }
  if (values > flowtop::core::FlowMatcher::kMaxFilterValues) {
    return "more values than kMaxFilterValues";
  }
  for (const Filters* list : {&allow, &deny}) {
    for (const FlowFilter& f : *list) {
      for (int v : f.family()) if (!flowtop::v1::AddressFamily_IsValid(v)) return "unknown family";
      for (int v : f.protocol()) if (!flowtop::v1::L4Protocol_IsValid(v)) return "unknown protocol";
      for (int v : f.event_type()) if (!flowtop::v1::EventType_IsValid(v)) return "unknown event_type";
      for (const auto* ports : {&f.src_port(), &f.dst_port(), &f.any_port()}) {
        for (uint32_t p : *ports) if (p > 65535) return "port above 65535";
      }
    }
  }
  return nullptr;
}

const char* MustRefuse(const flowtop::v1::GetFlowsRequest& r) {
  if (r.max_batch() > flowtop::service::ServiceOptions().max_batch) return "max_batch too large";
  if (r.since_unix_nanos() < 0 || r.until_unix_nanos() < 0) return "negative time";
  if (r.until_unix_nanos() != 0 && r.since_unix_nanos() > r.until_unix_nanos()) return "until before since";
  if (r.first() && r.number() == 0) return "first without number";
  return MustRefuse(r.allow(), r.deny());
}

const char* MustRefuse(const flowtop::v1::ListFlowsRequest& r) {
  if (!flowtop::v1::SortKey_IsValid(r.sort())) return "unknown sort";
  return MustRefuse(r.allow(), r.deny());
}

// Aborts unless the answer is OK or a refusal with a message; a request
// larger than flowtopd takes must get RESOURCE_EXHAUSTED, one that `refuse`
// names a reason for INVALID_ARGUMENT.
void Check(const grpc::Status& s, const char* call, const google::protobuf::Message& request,
           const char* refuse) {
  const bool named = !s.error_message().empty();
  if (request.ByteSizeLong() > static_cast<size_t>(kMaxRequestBytes)) {
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && named) return;
    refuse = "larger than max_receive_bytes";
  } else if (refuse != nullptr) {
    if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT && named) return;
  }
  if (refuse != nullptr) {
    std::fprintf(stderr, "%s (%s) answered %d: %s\n", call, refuse,
                 s.error_code(), s.error_message().c_str());
    std::abort();
  }
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      if (named) return;
      break;
    default:
      break;
  }
  std::fprintf(stderr, "%s answered %d: %s\n", call, s.error_code(), s.error_message().c_str());
  std::abort();
}

void GetFlows(Node& node, flowtop::v1::GetFlowsRequest request) {
  request.set_follow(false);
  grpc::ClientContext ctx;
  auto reader = node.stub->GetFlows(&ctx, request);
  flowtop::v1::GetFlowsResponse response;
  while (reader->Read(&response)) {
  }
  Check(reader->Finish(), "GetFlows", request, MustRefuse(request));
}

void ListFlows(Node& node, const flowtop::v1::ListFlowsRequest& request) {
  grpc::ClientContext ctx;
  flowtop::v1::ListFlowsResponse response;
  const grpc::Status s = node.stub->ListFlows(&ctx, request, &response);
  Check(s, "ListFlows", request, MustRefuse(request));
  if (!s.ok()) return;
  const uint64_t flows = node.pipeline.stats().flows;
  const uint64_t shown = static_cast<uint64_t>(response.flows_size());
  const uint64_t want = request.limit() == 0 ? response.total()
                                             : std::min<uint64_t>(request.limit(), response.total());
  const bool filtered = request.allow_size() + request.deny_size() > 0;
  if (shown != want || response.total() > flows || (!filtered && response.total() != flows)) {
    std::fprintf(stderr, "ListFlows limit %u: %llu flows of total %llu, table %llu\n",
                 request.limit(), static_cast<unsigned long long>(shown),
                 static_cast<unsigned long long>(response.total()),
                 static_cast<unsigned long long>(flows));
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // protobuf logs every non-UTF-8 string it serialises or refuses.
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  static Node* node = new Node;
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      GetFlows(*node, GetFlowsFrom(in));
      break;
    case 1:
      ListFlows(*node, ListFlowsFrom(in));
      break;
    case 2: {  // the wire form, as a client might send anything
      flowtop::v1::GetFlowsRequest r;
      if (r.ParseFromString(in.ConsumeRemainingBytesAsString())) GetFlows(*node, r);
      break;
    }
    default: {
      flowtop::v1::ListFlowsRequest r;
      if (r.ParseFromString(in.ConsumeRemainingBytesAsString())) ListFlows(*node, r);
      break;
    }
  }
  return 0;
}
