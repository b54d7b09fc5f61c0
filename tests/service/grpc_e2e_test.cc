// End to end over real gRPC on 127.0.0.1 port 0: GetFlows (snapshot, follow,
// history, number/first, since/until, filters, batching, slow clients,
// cancellation, many clients, shutdown), ListFlows and GetStatus.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/service/test_node.h"

namespace flowtop::testing {
namespace {



struct Stream {
  std::unique_ptr<grpc::ClientContext> context =
      std::make_unique<grpc::ClientContext>();
  std::unique_ptr<grpc::ClientReader<v1::GetFlowsResponse>> reader;
  size_t messages = 0;

  // Reads responses until `n` events have arrived; false if the stream ended.
  bool ReadEvents(size_t n, std::vector<v1::FlowEvent>* out) {
    v1::GetFlowsResponse response;
    while (out->size() < n) {
      if (!reader->Read(&response)) return false;
      ++messages;
      for (auto& e : *response.mutable_events()) out->push_back(std::move(e));
    }
    return true;
  }
  // Reads to the end; returns the final status.
  grpc::Status ReadAll(std::vector<v1::FlowEvent>* out) {
    v1::GetFlowsResponse response;
    while (reader->Read(&response)) {
      ++messages;
      for (auto& e : *response.mutable_events()) out->push_back(std::move(e));
    }
    return reader->Finish();
  }
};

Stream Open(v1::FlowTop::Stub& stub, const v1::GetFlowsRequest& request) {
  Stream s;
  s.context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  s.reader = stub.GetFlows(s.context.get(), request);
  return s;
}

std::vector<v1::EventType> Types(const std::vector<v1::FlowEvent>& events) {
  std::vector<v1::EventType> types;
  for (const auto& e : events) types.push_back(e.type());
  return types;
}

std::vector<uint32_t> Ids(const std::vector<v1::FlowEvent>& events) {
  std::vector<uint32_t> ids;
  for (const auto& e : events) {
    if (e.has_flow()) ids.push_back(e.flow().conntrack_id());
  }
  return ids;
}

// Publishes NEW events for ids [first, first+n) with times 1000+id seconds.
void PublishNew(TestNode& node, uint32_t first, uint32_t n) {
  std::vector<v1::FlowEvent> batch;
  for (uint32_t id = first; id < first + n; ++id) {
    batch.push_back(MakeEvent(v1::NEW, id));
    batch.back().set_time_unix_nanos((1000 + int64_t{id}) * 1'000'000'000);
  }
  node.Publish(std::move(batch));
}

TEST(GrpcEndToEnd, SnapshotThenFollow) {
  TestNode node;
  PublishNew(node, 1, 2);
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_snapshot(true);
  request.set_follow(true);
  Stream s = Open(*stub, request);
  std::vector<v1::FlowEvent> events;
  ASSERT_TRUE(s.ReadEvents(4, &events));
  EXPECT_EQ(Types(events), (std::vector<v1::EventType>{
                               v1::STATUS, v1::SNAPSHOT, v1::SNAPSHOT,
                               v1::SNAPSHOT_END}));
  EXPECT_EQ(events[0].status().node(), "t1");
  EXPECT_EQ(Ids(events), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(events[1].flow().id(), "t1/1");
  EXPECT_EQ(events[3].seq(), 2u);  // the snapshot reflects events up to 2

  std::vector<v1::FlowEvent> more = {MakeEvent(v1::NEW, 3),
                                     MakeEvent(v1::DESTROY, 1)};
  node.Publish(more);
  events.clear();
  ASSERT_TRUE(s.ReadEvents(2, &events));
  EXPECT_EQ(Types(events),
            (std::vector<v1::EventType>{v1::NEW, v1::DESTROY}));
  EXPECT_EQ(events[0].seq(), 3u);
  EXPECT_EQ(events[1].seq(), 4u);
  EXPECT_EQ(events[1].node(), "t1");
  s.context->TryCancel();
  EXPECT_EQ(s.reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST(GrpcEndToEnd, HistoryWithoutFollowEnds) {
  TestNode node;
  PublishNew(node, 1, 10);
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  Stream s = Open(*stub, request);
  std::vector<v1::FlowEvent> events;
  ASSERT_TRUE(s.ReadAll(&events).ok());
  EXPECT_EQ(events.size(), 10u);
  EXPECT_EQ(events.front().seq(), 1u);
  EXPECT_EQ(events.back().seq(), 10u);
}

TEST(GrpcEndToEnd, NumberLastAndFirst) {
  TestNode node;
  PublishNew(node, 1, 10);
  auto stub = node.Stub();
  v1::GetFlowsRequest last;
  last.set_number(3);
  Stream a = Open(*stub, last);
  std::vector<v1::FlowEvent> events;
  ASSERT_TRUE(a.ReadAll(&events).ok());
  EXPECT_EQ(Ids(events), (std::vector<uint32_t>{8, 9, 10}));

  v1::GetFlowsRequest first;
  first.set_number(3);
  first.set_first(true);
  Stream b = Open(*stub, first);
  events.clear();
  ASSERT_TRUE(b.ReadAll(&events).ok());
  EXPECT_EQ(Ids(events), (std::vector<uint32_t>{1, 2, 3}));

  // The last N *matching* events, not the last N events filtered.
  v1::GetFlowsRequest filtered = last;
  filtered.add_allow()->add_src_port(10002);
  filtered.mutable_allow(0)->add_src_port(10004);
  Stream c = Open(*stub, filtered);
  events.clear();
  ASSERT_TRUE(c.ReadAll(&events).ok());
  EXPECT_EQ(Ids(events), (std::vector<uint32_t>{2, 4}));
}

TEST(GrpcEndToEnd, LastNThenFollow) {
  TestNode node;
  PublishNew(node, 1, 5);
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_number(2);
  request.set_follow(true);
  Stream s = Open(*stub, request);
  std::vector<v1::FlowEvent> events;
  ASSERT_TRUE(s.ReadEvents(3, &events));  // STATUS, 4, 5
  EXPECT_EQ(Ids(events), (std::vector<uint32_t>{4, 5}));
  PublishNew(node, 6, 1);
  events.clear();
  ASSERT_TRUE(s.ReadEvents(1, &events));
  EXPECT_EQ(Ids(events), (std::vector<uint32_t>{6}));
  s.context->TryCancel();
}

TEST(GrpcEndToEnd, SinceAndUntil) {
  TestNode node;
  PublishNew(node, 1, 20);  // times 1001..1020 s
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_since_unix_nanos(int64_t{1005} * 1'000'000'000);
  request.set_until_unix_nanos(int64_t{1008} * 1'000'000'000);
  Stream s = Open(*stub, request);
  std::vector<v1::FlowEvent> events;
  ASSERT_TRUE(s.ReadAll(&events).ok());
  EXPECT_EQ(Ids(events), (std::vector<uint32_t>{5, 6, 7, 8}));
}

TEST(GrpcEndToEnd, BatchesRespectMaxBatch) {
  TestNode node;
  PublishNew(node, 1, 100);
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_max_batch(7);
  Stream s = Open(*stub, request);
  std::vector<v1::FlowEvent> events;
  v1::GetFlowsResponse response;
  size_t largest = 0;
  while (s.reader->Read(&response)) {
    largest = std::max<size_t>(largest, response.events_size());
    EXPECT_EQ(response.node(), "t1");
    for (auto& e : response.events()) events.push_back(e);
  }
  ASSERT_TRUE(s.reader->Finish().ok());
  EXPECT_EQ(events.size(), 100u);
  EXPECT_EQ(largest, 7u);
}

// Each allow / deny combination over GetFlows and ListFlows.
TEST(GrpcEndToEnd, AllowAndDenyCombinations) {
  TestNode node;
  std::vector<v1::FlowEvent> batch = {
      MakeEvent(v1::NEW, 1, 443), MakeEvent(v1::NEW, 2, 80),
      MakeEvent(v1::NEW, 3, 53, v1::UDP), MakeEvent(v1::NEW, 4, 22)};
  node.Publish(batch);
  auto stub = node.Stub();
  struct Case {
    const char* name;
    std::vector<v1::FlowFilter> allow, deny;
    std::vector<uint32_t> want;
  };
  v1::FlowFilter tcp, udp, https, port80, net;
  tcp.add_protocol(v1::TCP);
  udp.add_protocol(v1::UDP);
  https.add_dst_port(443);
  port80.add_any_port(80);
  net.add_src_ip("10.0.0.0/30");  // ids 1..3 (10.0.0.1 - 10.0.0.3)
  const std::vector<Case> cases = {
      {"none", {}, {}, {1, 2, 3, 4}},
      {"allow one", {udp}, {}, {3}},
      {"allow or", {udp, https}, {}, {1, 3}},
      {"deny only", {}, {tcp}, {3}},
      {"allow minus deny", {tcp}, {port80}, {1, 4}},
      {"allow cidr deny or", {net}, {udp, https}, {2}},
  };
  for (const Case& c : cases) {
    v1::ListFlowsRequest list;
    v1::GetFlowsRequest get;
    for (const auto& f : c.allow) *list.add_allow() = f, *get.add_allow() = f;
    for (const auto& f : c.deny) *list.add_deny() = f, *get.add_deny() = f;
    list.set_sort(v1::SORT_SRC);
    grpc::ClientContext context;
    v1::ListFlowsResponse listed;
    ASSERT_TRUE(stub->ListFlows(&context, list, &listed).ok()) << c.name;
    std::vector<uint32_t> ids;
    for (const auto& f : listed.flows()) ids.push_back(f.conntrack_id());
    EXPECT_EQ(ids, c.want) << "ListFlows " << c.name;
    EXPECT_EQ(listed.total(), c.want.size());
    Stream s = Open(*stub, get);
    std::vector<v1::FlowEvent> events;
    ASSERT_TRUE(s.ReadAll(&events).ok()) << c.name;
    EXPECT_EQ(Ids(events), c.want) << "GetFlows " << c.name;
  }
}

// ENRICH and COUNTERS events carry part of a flow; a filtered stream matches
// the flow merged from everything it saw.
TEST(GrpcEndToEnd, FiltersSeeTheMergedFlow) {
  TestNode node;
  auto stub = node.Stub();
  v1::GetFlowsRequest by_process;
  by_process.set_follow(true);
  by_process.add_allow()->add_process_name("curl");
  v1::GetFlowsRequest by_port;
  by_port.set_follow(true);
  by_port.add_allow()->add_dst_port(8443);
  Stream a = Open(*stub, by_process), b = Open(*stub, by_port);
  std::vector<v1::FlowEvent> ea, eb;
  ASSERT_TRUE(a.ReadEvents(1, &ea));  // STATUS: open
  ASSERT_TRUE(b.ReadEvents(1, &eb));
  ea.clear();
  eb.clear();

  v1::FlowEvent enrich;
  enrich.set_type(v1::ENRICH);
  enrich.mutable_flow()->set_conntrack_id(5);
  enrich.mutable_flow()->mutable_enrichment()->mutable_src()
      ->mutable_process()->set_name("curl");
  v1::FlowEvent counters;
  counters.set_type(v1::COUNTERS);
  counters.mutable_flow()->set_conntrack_id(5);
  counters.mutable_flow()->mutable_original_counters()->set_bytes(99);
  node.Publish({MakeEvent(v1::NEW, 5, 8443), enrich, counters,
                MakeEvent(v1::NEW, 6, 80), MakeEvent(v1::DESTROY, 5, 8443)});

  // By process: nothing until the ENRICH names curl, then the whole flow
  // (as UPDATE), its counters and its end.
  ASSERT_TRUE(a.ReadEvents(3, &ea));
  EXPECT_EQ(Types(ea), (std::vector<v1::EventType>{v1::UPDATE, v1::COUNTERS,
                                                   v1::DESTROY}));
  EXPECT_EQ(ea[0].flow().original().dst_port(), 8443u);
  EXPECT_EQ(ea[0].flow().enrichment().src().process().name(), "curl");
  EXPECT_EQ(ea[0].seq(), 2u);
  // By port: the partial ENRICH and COUNTERS of flow 5 pass too.
  ASSERT_TRUE(b.ReadEvents(4, &eb));
  EXPECT_EQ(Types(eb), (std::vector<v1::EventType>{v1::NEW, v1::ENRICH,
                                                   v1::COUNTERS, v1::DESTROY}));
  EXPECT_EQ(Ids(eb), (std::vector<uint32_t>{5, 5, 5, 5}));
  a.context->TryCancel();
  b.context->TryCancel();
}

TEST(GrpcEndToEnd, ListFlowsSortsAndLimits) {
  TestNode node;
  std::vector<v1::FlowEvent> batch;
  for (uint32_t id = 1; id <= 5; ++id) {
    batch.push_back(MakeEvent(v1::NEW, id, 1000 - id));
    batch.back().mutable_flow()->mutable_original_counters()->set_bytes(
        id * 100 % 7);
  }
  node.Publish(batch);
  auto stub = node.Stub();
  v1::ListFlowsRequest request;
  request.set_sort(v1::SORT_DST_PORT);
  request.set_limit(2);
  grpc::ClientContext context;
  v1::ListFlowsResponse response;
  ASSERT_TRUE(stub->ListFlows(&context, request, &response).ok());
  EXPECT_EQ(response.total(), 5u);
  ASSERT_EQ(response.flows_size(), 2);
  EXPECT_EQ(response.flows(0).conntrack_id(), 5u);  // dst port 995
  EXPECT_EQ(response.flows(1).conntrack_id(), 4u);
  EXPECT_EQ(response.seq(), 5u);
  EXPECT_EQ(response.node(), "t1");
}

TEST(GrpcEndToEnd, InvalidRequestsNameTheField) {
  TestNode node;
  auto stub = node.Stub();
  v1::GetFlowsRequest both;
  both.set_first(true);
  both.set_follow(true);
  both.set_number(1);
  Stream a = Open(*stub, both);
  std::vector<v1::FlowEvent> events;
  grpc::Status s = a.ReadAll(&events);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().substr(0, 6), "first:");

  v1::GetFlowsRequest cidr;
  cidr.add_allow()->add_src_ip("10.0.0.0/8");
  cidr.mutable_allow(0)->add_src_ip("10.0.0.300/8");
  Stream b = Open(*stub, cidr);
  s = b.ReadAll(&events);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "allow[0].src_ip[1]: '10.0.0.300/8' is not an address or CIDR");

  v1::ListFlowsRequest list;
  list.add_deny()->add_state("NOPE");
  grpc::ClientContext context;
  v1::ListFlowsResponse response;
  s = stub->ListFlows(&context, list, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().substr(0, 17), "deny[0].state[0]:");
  EXPECT_TRUE(events.empty());
}

// Bytes that are not a request (truncated, or a string that is not UTF-8)
// and a sort key this version does not know: INVALID_ARGUMENT saying what
// was wrong (ListFlows answered UNIMPLEMENTED with no message, and took an
// unknown sort for some order of its own).
TEST(GrpcEndToEnd, MalformedRequestsAndUnknownSortAreInvalidArgument) {
  TestNode node;
  auto channel = grpc::CreateChannel(node.address(),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  // allow[0].any_ip[0] = "\xff\xfe" (allow is field 1 of ListFlowsRequest,
  // field 6 of GetFlowsRequest), and a tag without its value.
  const struct {
    const char* method;
    std::string not_utf8;
  } kCalls[] = {
      {"/flowtop.v1.FlowTop/ListFlows", std::string("\x0a\x04\x2a\x02\xff\xfe", 6)},
      {"/flowtop.v1.FlowTop/GetFlows", std::string("\x32\x04\x2a\x02\xff\xfe", 6)},
  };
  for (const auto& [method, not_utf8] : kCalls) {
    for (const std::string& bytes : {std::string("\x08", 1), not_utf8}) {
      grpc::Slice slice(bytes);
      grpc::ByteBuffer request(&slice, 1);
      grpc::ByteBuffer response;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
      absl::Mutex mu;
      bool done = false;
      grpc::Status status;
      generic.UnaryCall(&context, method, grpc::StubOptions(), &request,
                        &response, [&](grpc::Status s) {
                          absl::MutexLock lock(&mu);
                          status = s;
                          done = true;
                        });
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(&done));
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << method;
      EXPECT_EQ(status.error_message().substr(0, 6), "not a ") << method;
    }
  }
  auto stub = node.Stub();
  v1::ListFlowsRequest list;
  list.set_sort(static_cast<v1::SortKey>(77));
  grpc::ClientContext context;
  v1::ListFlowsResponse response;
  grpc::Status s = stub->ListFlows(&context, list, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "sort: 77 is not a SortKey");
}

TEST(GrpcEndToEnd, OversizedRequestIsRefused) {
  TestNode node;  // requests are limited to 1 MiB
  auto stub = node.Stub();
  v1::ListFlowsRequest list;
  v1::FlowFilter* f = list.add_allow();
  for (int i = 0; i < 100000; ++i) f->add_any_ip("192.0.2.123");
  ASSERT_GT(list.ByteSizeLong(), 1u << 20);
  grpc::ClientContext context;
  v1::ListFlowsResponse response;
  grpc::Status s = stub->ListFlows(&context, list, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // The server is fine afterwards.
  grpc::ClientContext again;
  EXPECT_TRUE(stub->ListFlows(&again, {}, &response).ok());
}

// 20,000 allow + 10,000 deny filters fit in 1 MiB and used to be accepted;
// now the count, the values and unknown enum numbers are refused by name.
TEST(GrpcEndToEnd, FilterCountAndEnumsAreBounded) {
  TestNode node;
  auto stub = node.Stub();
  v1::GetFlowsRequest many;
  for (int i = 0; i < 20000; ++i) many.add_allow()->add_dst_port(443);
  for (int i = 0; i < 10000; ++i) many.add_deny()->add_dst_port(80);
  ASSERT_LT(many.ByteSizeLong(), 1u << 20);
  Stream a = Open(*stub, many);
  std::vector<v1::FlowEvent> events;
  grpc::Status s = a.ReadAll(&events);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "allow/deny: 20000 + 10000 filters, more than the 64 allowed per request");

  v1::ListFlowsRequest list;
  list.add_allow()->add_family(static_cast<v1::AddressFamily>(42));
  grpc::ClientContext context;
  v1::ListFlowsResponse response;
  s = stub->ListFlows(&context, list, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "allow[0].family[0]: 42 is not an AddressFamily");
}

TEST(GrpcEndToEnd, GetStatusReportsNodeRingAndClients) {
  TestNodeOptions options;
  options.ring_size = 8;
  TestNode node(options);
  PublishNew(node, 1, 20);
  std::vector<v1::FlowEvent> lost(1);
  lost[0].set_type(v1::LOST);
  lost[0].mutable_lost()->set_source(v1::KERNEL);
  lost[0].mutable_lost()->set_count(17);
  node.Publish(lost);
  auto stub = node.Stub();
  v1::GetFlowsRequest follow;
  follow.set_follow(true);
  Stream s = Open(*stub, follow);
  std::vector<v1::FlowEvent> events;
  ASSERT_TRUE(s.ReadEvents(1, &events));  // the stream is open
  grpc::ClientContext context;
  v1::GetStatusResponse response;
  ASSERT_TRUE(stub->GetStatus(&context, {}, &response).ok());
  const v1::NodeStatus& st = response.status();
  EXPECT_EQ(st.node(), "t1");
  EXPECT_FALSE(st.version().empty());
  EXPECT_EQ(st.ring_capacity(), 8u);
  EXPECT_EQ(st.ring_fill(), 8u);
  EXPECT_EQ(st.events_seen(), 21u);
  EXPECT_EQ(st.last_seq(), 21u);
  EXPECT_EQ(st.lost().kernel(), 17u);
  EXPECT_EQ(st.flows(), 20u);
  EXPECT_EQ(st.clients_connected(), 1u);
  EXPECT_EQ(st.source(), "kernel");
  s.context->TryCancel();
}

TEST(GrpcEndToEnd, CancellationEndsTheServerStream) {
  TestNode node;
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_follow(true);
  Stream s = Open(*stub, request);
  std::vector<v1::FlowEvent> events;
  ASSERT_TRUE(s.ReadEvents(1, &events));
  EXPECT_EQ(node.service().streams(), 1);
  s.context->TryCancel();
  EXPECT_EQ(s.reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(node.service().WaitForStreams(0, absl::Seconds(30)));
}

TEST(GrpcEndToEnd, ShutdownEndsStreamsWithUnavailable) {
  TestNode node;
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_follow(true);
  Stream s = Open(*stub, request);
  std::vector<v1::FlowEvent> events;
  ASSERT_TRUE(s.ReadEvents(1, &events));
  node.service().Shutdown();
  grpc::Status status = s.ReadAll(&events);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "flowtopd is shutting down");
  Stream late = Open(*stub, request);
  EXPECT_EQ(late.ReadAll(&events).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(GrpcEndToEnd, StreamLimitGivesResourceExhausted) {
  TestNodeOptions options;
  options.service.max_streams = 2;
  TestNode node(options);
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_follow(true);
  Stream a = Open(*stub, request), b = Open(*stub, request);
  std::vector<v1::FlowEvent> events;
  ASSERT_TRUE(a.ReadEvents(1, &events));
  ASSERT_TRUE(b.ReadEvents(2, &events));
  Stream c = Open(*stub, request);
  grpc::Status status = c.ReadAll(&events);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  a.context->TryCancel();
  b.context->TryCancel();
}

TEST(GrpcEndToEnd, ManyClientsEachSeeEveryEvent) {
  constexpr int kClients = 16;
  constexpr uint32_t kEvents = 2000;
  TestNode node;
  auto stub = node.Stub();
  std::vector<Stream> streams;
  v1::GetFlowsRequest request;
  request.set_follow(true);
  for (int i = 0; i < kClients; ++i) {
    streams.push_back(Open(*stub, request));
    std::vector<v1::FlowEvent> status;
    ASSERT_TRUE(streams.back().ReadEvents(1, &status));  // STATUS: open
  }
  std::vector<std::vector<v1::FlowEvent>> got(kClients);
  std::vector<std::thread> readers;
  for (int i = 0; i < kClients; ++i) {
    readers.emplace_back([&, i] { streams[i].ReadEvents(kEvents, &got[i]); });
  }
  for (uint32_t id = 1; id <= kEvents; id += 100) PublishNew(node, id, 100);
  for (auto& t : readers) t.join();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_EQ(got[i].size(), kEvents) << i;
    for (uint32_t k = 0; k < kEvents; ++k) {
      // Ring of 4096 holds all 2000: no loss, every event in order.
      ASSERT_EQ(got[i][k].seq(), k + 1) << "client " << i;
    }
    streams[i].context->TryCancel();
  }
}

// A client that stops reading falls behind in the ring and is told exactly
// what it lost; the collector keeps publishing and another client, reading
// normally, gets everything.
// Long because it is one scenario: both clients share one ring and one run.
TEST(GrpcEndToEnd, SlowClientLosesOnlyItsOwnEventsAndIsTold) {
  TestNodeOptions options;
  options.ring_size = 1024;
  TestNode node(options);
  constexpr uint32_t kEvents = 30000;
  // Small flow-control windows so that "not reading" stops the server's
  // writes soon.
  grpc::ChannelArguments args;
  args.SetInt("grpc.http2.bdp_probe", 0);
  args.SetMaxReceiveMessageSize(64 << 20);
  auto slow_stub = v1::FlowTop::NewStub(grpc::CreateCustomChannel(
      node.address(), grpc::InsecureChannelCredentials(), args));
  auto fast_stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_follow(true);
  Stream slow = Open(*slow_stub, request);
  Stream fast = Open(*fast_stub, request);
  std::vector<v1::FlowEvent> slow_events, fast_events;
  ASSERT_TRUE(slow.ReadEvents(1, &slow_events));  // STATUS, then stop reading
  ASSERT_TRUE(fast.ReadEvents(1, &fast_events));
  fast_events.clear();

  absl::Mutex mu;
  size_t fast_count = 0;
  std::thread fast_reader([&] {
    v1::GetFlowsResponse response;
    while (fast_events.size() < kEvents && fast.reader->Read(&response)) {
      for (auto& e : *response.mutable_events()) {
        if (e.type() == v1::STATUS) continue;
        fast_events.push_back(std::move(e));
      }
      absl::MutexLock lock(&mu);
      fast_count = fast_events.size();
    }
  });
  // Paced by the fast client (so it is never lapped), never by the slow one.
  const std::string padding(1000, 'x');  // 1 kB per event
  for (uint32_t id = 1; id <= kEvents; id += 100) {
    std::vector<v1::FlowEvent> batch;
    for (uint32_t k = id; k < id + 100; ++k) {
      batch.push_back(MakeEvent(v1::NEW, k));
      batch.back().mutable_flow()->set_secctx(padding);
    }
    node.Publish(std::move(batch));
    absl::MutexLock lock(&mu);
    const size_t want = id + 99;
    auto caught_up = [&]() { return fast_count >= want; };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&caught_up),
                                    absl::Seconds(60)))
        << "fast client stuck at " << fast_count << " of " << want;
  }
  fast_reader.join();
  ASSERT_EQ(fast_events.size(), kEvents);
  for (uint32_t k = 0; k < kEvents; ++k) {
    ASSERT_EQ(fast_events[k].type(), v1::NEW);
    ASSERT_EQ(fast_events[k].seq(), k + 1);
  }

  // Now the slow client reads: it sees a LOST{RING} and the numbers add up.
  slow_events.clear();
  uint64_t delivered = 0, lost = 0, last_seq = 0;
  bool gap_without_lost = false;
  v1::GetFlowsResponse response;
  while (last_seq < kEvents && slow.reader->Read(&response)) {
    for (const auto& e : response.events()) {
      if (e.type() == v1::LOST) {
        EXPECT_EQ(e.lost().source(), v1::RING);
        lost += e.lost().count();
        last_seq += e.lost().count();
        continue;
      }
      if (e.type() == v1::STATUS) continue;
      if (e.seq() != last_seq + 1) gap_without_lost = true;
      last_seq = e.seq();
      ++delivered;
    }
  }
  EXPECT_FALSE(gap_without_lost);
  EXPECT_GT(lost, 0u);
  EXPECT_EQ(delivered + lost, kEvents);
  grpc::ClientContext context;
  v1::GetStatusResponse status;
  ASSERT_TRUE(fast_stub->GetStatus(&context, {}, &status).ok());
  EXPECT_EQ(status.status().lost().ring(), lost);
  slow.context->TryCancel();
  fast.context->TryCancel();
}

}  // namespace
}  // namespace flowtop::testing
