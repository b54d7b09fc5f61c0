// Round trips of the flowtop.v1 messages through the binary and JSON forms,
// and the compatibility promises the API makes (open enums, presence).
#include <string>

#include "flowtop/v1/flowtop.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace flowtop::v1 {
namespace {

using google::protobuf::util::MessageDifferencer;

FlowEvent SampleEvent() {
  FlowEvent event;
  event.set_seq(42);
  event.set_time_unix_nanos(1'700'000'000'123'456'789);
  event.set_type(NEW);
  event.set_node("r1");
  Flow* flow = event.mutable_flow();
  flow->set_id("r1/3735928559");
  flow->set_node("r1");
  flow->set_conntrack_id(3735928559u);
  flow->set_family(IPV4);
  flow->set_protocol(TCP);
  flow->set_protocol_number(6);
  Tuple* orig = flow->mutable_original();
  orig->set_src_ip(std::string("\x0a\x00\x00\x01", 4));
  orig->set_dst_ip(std::string("\xc0\x00\x02\x07", 4));
  orig->set_src_port(40000);
  orig->set_dst_port(443);
  Tuple* reply = flow->mutable_reply();
  reply->set_src_ip(std::string("\x0a\x00\x00\x63", 4));  // DNAT target
  reply->set_dst_ip(std::string("\x0a\x00\x00\x01", 4));
  reply->set_src_port(8443);
  reply->set_dst_port(40000);
  flow->set_tcp_state(TCP_ESTABLISHED);
  flow->mutable_status()->set_assured(true);
  flow->mutable_status()->set_dst_nat(true);
  flow->mutable_original_counters()->set_packets(10);
  flow->mutable_original_counters()->set_bytes(1500);
  flow->set_start_unix_nanos(0);  // present, although zero
  Enrichment* enrichment = flow->mutable_enrichment();
  enrichment->set_service("https");
  enrichment->mutable_dst()->mutable_geo()->set_country_code("DE");
  enrichment->mutable_src()->mutable_process()->set_name("curl");
  enrichment->mutable_src()->mutable_process()->set_pid(1234);
  return event;
}

TEST(FlowtopProto, BinaryRoundTripKeepsEveryField) {
  const FlowEvent event = SampleEvent();
  std::string wire;
  ASSERT_TRUE(event.SerializeToString(&wire));
  FlowEvent back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_TRUE(MessageDifferencer::Equals(event, back)) << back.DebugString();
  EXPECT_TRUE(back.flow().has_start_unix_nanos());
  EXPECT_FALSE(back.flow().has_stop_unix_nanos());
  EXPECT_TRUE(back.flow().has_original_counters());
  EXPECT_FALSE(back.flow().has_reply_counters());
  EXPECT_EQ(back.flow().state_case(), Flow::kTcpState);
}

TEST(FlowtopProto, JsonRoundTripUsesReadableNames) {
  const FlowEvent event = SampleEvent();
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(event, &json).ok());
  EXPECT_NE(json.find("\"type\":\"NEW\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"tcpState\":\"TCP_ESTABLISHED\""), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"countryCode\":\"DE\""), std::string::npos) << json;
  FlowEvent back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(event, back)) << back.DebugString();
}

TEST(FlowtopProto, UnnamedProtocolNumbersSurvive) {
  Flow flow;
  flow.set_protocol(static_cast<L4Protocol>(115));  // L2TP: no name here
  flow.set_protocol_number(115);
  std::string wire = flow.SerializeAsString();
  Flow back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(static_cast<int>(back.protocol()), 115);
}

TEST(FlowtopProto, UnknownFieldsFromNewerWritersAreKept) {
  // A newer writer added field 99 to FlowEvent; we must read and keep it.
  std::string wire = SampleEvent().SerializeAsString();
  // Tag (99 << 3 | varint) = 792 as a varint, then the value 129.
  wire += std::string("\x98\x06\x81\x01", 4);
  FlowEvent back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.seq(), 42u);
  EXPECT_EQ(back.SerializeAsString(), wire);
}

TEST(FlowtopProto, BatchedResponseCarriesLossInBand) {
  GetFlowsResponse response;
  response.set_node("r1");
  *response.add_events() = SampleEvent();
  FlowEvent* lost = response.add_events();
  lost->set_seq(43);
  lost->set_type(LOST);
  lost->mutable_lost()->set_source(KERNEL);
  lost->mutable_lost()->set_count(17);
  GetFlowsResponse back;
  ASSERT_TRUE(back.ParseFromString(response.SerializeAsString()));
  ASSERT_EQ(back.events_size(), 2);
  EXPECT_EQ(back.events(1).lost().source(), KERNEL);
  EXPECT_EQ(back.events(1).lost().count(), 17u);
}

}  // namespace
}  // namespace flowtop::v1
