// Addresses as text over real gRPC on loopback: flowtopd appends
// Tuple.src_addr/dst_addr to every flow it serves (snapshot events, events
// pre-serialised by the ring, ListFlows) unless the client asks for
// binary_addresses_only, as flowtop's own clients do. The JSON a reader
// like grpcurl prints from such a response (proto field names) shows them.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/service/test_node.h"

namespace flowtop::testing {
namespace {

// Reads a snapshot+follow stream until `n` flow events arrived.
std::vector<v1::FlowEvent> ReadFlowEvents(v1::FlowTop::Stub& stub,
                                          const v1::GetFlowsRequest& request, size_t n) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auto reader = stub.GetFlows(&context, request);
  std::vector<v1::FlowEvent> out;
  v1::GetFlowsResponse response;
  while (out.size() < n && reader->Read(&response)) {
    for (auto& e : *response.mutable_events()) {
      if (e.has_flow()) out.push_back(std::move(e));
    }
  }
  context.TryCancel();
  reader->Finish();
  return out;
}

class TextAddresses : public ::testing::TestWithParam<bool> {};

TEST_P(TextAddresses, StreamedFlowsCarryTextUnlessBinaryOnly) {
  const bool binary_only = GetParam();
  TestNode node;
  node.Publish({MakeEvent(v1::NEW, 1)});  // reaches the client as a SNAPSHOT
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_snapshot(true);
  request.set_follow(true);
  request.set_binary_addresses_only(binary_only);
  std::thread publisher([&node] {
    absl::SleepFor(absl::Milliseconds(300));
    node.Publish({MakeEvent(v1::NEW, 2)});  // from the ring's shared bytes
  });
  std::vector<v1::FlowEvent> events = ReadFlowEvents(*stub, request, 2);
  publisher.join();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type(), v1::SNAPSHOT);
  EXPECT_EQ(events[1].type(), v1::NEW);
  for (int i = 0; i < 2; ++i) {
    const v1::Tuple& t = events[i].flow().original();
    EXPECT_EQ(t.src_ip(), Ip4(i == 0 ? "10.0.0.1" : "10.0.0.2"));  // bytes always
    EXPECT_EQ(t.src_addr(), binary_only ? "" : (i == 0 ? "10.0.0.1" : "10.0.0.2"));
    EXPECT_EQ(t.dst_addr(), binary_only ? "" : "192.0.2.1");
    EXPECT_EQ(events[i].flow().conntrack_id(), static_cast<uint32_t>(i + 1));
    EXPECT_EQ(events[i].flow().original().dst_port(), 443u);
  }
}

TEST_P(TextAddresses, ListFlowsCarriesTextUnlessBinaryOnly) {
  const bool binary_only = GetParam();
  TestNode node;
  node.Publish({MakeEvent(v1::NEW, 7)});
  auto stub = node.Stub();
  v1::ListFlowsRequest request;
  request.set_binary_addresses_only(binary_only);
  grpc::ClientContext context;
  v1::ListFlowsResponse response;
  ASSERT_TRUE(stub->ListFlows(&context, request, &response).ok());
  ASSERT_EQ(response.flows_size(), 1);
  EXPECT_EQ(response.flows(0).original().src_addr(), binary_only ? "" : "10.0.0.7");
  if (binary_only) return;
  // What grpcurl prints: protobuf JSON with the .proto's field names.
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  std::string text;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(response, &text, json).ok());
  EXPECT_NE(text.find("\"src_addr\":\"10.0.0.7\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"dst_addr\":\"192.0.2.1\""), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(Both, TextAddresses, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "BinaryOnly" : "Text"; });

}  // namespace
}  // namespace flowtop::testing
