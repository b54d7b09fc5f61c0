#include "service/get_flows_response.h"

#include <string>

#include "gtest/gtest.h"
#include "proto/flow_text.h"

namespace flowtop::service {
namespace {

v1::FlowEvent NewFlow(uint64_t seq) {
  v1::FlowEvent e;
  e.set_type(v1::NEW);
  e.set_seq(seq);
  v1::Flow* f = e.mutable_flow();
  f->set_conntrack_id(seq);
  f->mutable_original()->set_src_ip(std::string("\xC0\x00\x02\x01", 4));
  f->mutable_original()->set_dst_ip(std::string("\xC6\x33\x64\x07", 4));
  return e;
}

TEST(GetFlowsResponseWriter, SerialisedAndSharedEventsParseBackWithTheNode) {
  GetFlowsResponseWriter writer(/*text_addresses=*/false);
  const v1::FlowEvent a = NewFlow(1), b = NewFlow(2);
  writer.Add(a);
  writer.AddSerialized(b, b.SerializeAsString());
  EXPECT_EQ(writer.events(), 2u);
  v1::GetFlowsResponse response;
  ASSERT_TRUE(response.ParseFromString(writer.Finish("router1")));
  ASSERT_EQ(response.events_size(), 2);
  EXPECT_EQ(response.events(0).SerializeAsString(), a.SerializeAsString());
  EXPECT_EQ(response.events(1).SerializeAsString(), b.SerializeAsString());
  EXPECT_EQ(response.node(), "router1");
}

TEST(GetFlowsResponseWriter, TextAddressesAreMergedIntoEveryEvent) {
  GetFlowsResponseWriter writer(/*text_addresses=*/true);
  const v1::FlowEvent a = NewFlow(1), b = NewFlow(2);
  writer.Add(a);
  writer.AddSerialized(b, b.SerializeAsString());
  v1::GetFlowsResponse response;
  ASSERT_TRUE(response.ParseFromString(writer.Finish("n")));
  ASSERT_EQ(response.events_size(), 2);
  for (const v1::FlowEvent& e : response.events()) {
    EXPECT_EQ(e.flow().original().src_addr(), "192.0.2.1");
    EXPECT_EQ(e.flow().original().dst_addr(), "198.51.100.7");
  }
}

TEST(GetFlowsResponseWriter, ClearStartsTheNextResponse) {
  GetFlowsResponseWriter writer(/*text_addresses=*/false);
  writer.Add(NewFlow(1));
  writer.Finish("n");
  writer.Clear();
  EXPECT_EQ(writer.events(), 0u);
  writer.Add(NewFlow(7));
  v1::GetFlowsResponse response;
  ASSERT_TRUE(response.ParseFromString(writer.Finish("m")));
  ASSERT_EQ(response.events_size(), 1);
  EXPECT_EQ(response.events(0).seq(), 7u);
  EXPECT_EQ(response.node(), "m");
}

}  // namespace
}  // namespace flowtop::service
