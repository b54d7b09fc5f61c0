#include "proto/flow_text.h"

#include <string>

#include "gtest/gtest.h"

namespace flowtop {
namespace {

std::string V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                     static_cast<char>(d)};
}

std::string V6Doc1() {  // 2001:db8::1
  std::string s(16, '\0');
  s[0] = 0x20; s[1] = 0x01; s[2] = 0x0d; s[3] = static_cast<char>(0xb8); s[15] = 1;
  return s;
}

v1::Flow SampleFlow() {
  v1::Flow f;
  f.set_conntrack_id(7);
  f.mutable_original()->set_src_ip(V4(192, 0, 2, 1));
  f.mutable_original()->set_dst_ip(V4(198, 51, 100, 7));
  f.mutable_reply()->set_src_ip(V4(198, 51, 100, 7));
  f.mutable_reply()->set_dst_ip(V4(203, 0, 113, 9));
  return f;
}

TEST(AddressText, FourAndSixteenBytes) {
  EXPECT_EQ(AddressText(V4(192, 0, 2, 1)), "192.0.2.1");
  EXPECT_EQ(AddressText(V6Doc1()), "2001:db8::1");
  EXPECT_EQ(AddressText(""), "");
  EXPECT_EQ(AddressText("abc"), "");
}

TEST(FillAddressText, BothTuples) {
  v1::Flow f = SampleFlow();
  FillAddressText(&f);
  EXPECT_EQ(f.original().src_addr(), "192.0.2.1");
  EXPECT_EQ(f.original().dst_addr(), "198.51.100.7");
  EXPECT_EQ(f.reply().dst_addr(), "203.0.113.9");
  EXPECT_EQ(f.original().src_ip(), V4(192, 0, 2, 1));  // bytes kept
}

TEST(AddressTextSuffix, AppendedBytesParseAsTextFields) {
  v1::FlowEvent e;
  e.set_type(v1::NEW);
  *e.mutable_flow() = SampleFlow();
  e.mutable_flow()->mutable_original()->set_src_ip(V6Doc1());
  std::string wire = e.SerializeAsString() + AddressTextSuffix(e);
  v1::FlowEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.flow().original().src_addr(), "2001:db8::1");
  EXPECT_EQ(parsed.flow().reply().src_addr(), "198.51.100.7");
  EXPECT_EQ(parsed.flow().original().src_ip(), V6Doc1());
  EXPECT_EQ(parsed.flow().conntrack_id(), 7u);
  EXPECT_EQ(parsed.type(), v1::NEW);
}

TEST(AddressTextSuffix, NothingForEventsWithoutAddresses) {
  v1::FlowEvent e;
  e.set_type(v1::ENRICH);
  e.mutable_flow()->set_conntrack_id(3);
  EXPECT_EQ(AddressTextSuffix(e), "");
  e.Clear();
  e.set_type(v1::LOST);
  EXPECT_EQ(AddressTextSuffix(e), "");
}

TEST(MakeReadable, TextOnlyAndNoEmptyObjects) {
  v1::Flow f = SampleFlow();
  v1::Enrichment* e = f.mutable_enrichment();
  e->mutable_src()->mutable_process();            // empty
  e->mutable_dst()->mutable_process()->set_pid(42);
  e->mutable_dst()->mutable_geo();                // empty
  f.mutable_original_counters();                  // zero counters mean zero
  MakeReadable(&f);
  EXPECT_TRUE(f.original().src_ip().empty());
  EXPECT_EQ(f.original().src_addr(), "192.0.2.1");
  EXPECT_FALSE(f.enrichment().has_src());
  EXPECT_TRUE(f.enrichment().dst().has_process());
  EXPECT_FALSE(f.enrichment().dst().has_geo());
  EXPECT_TRUE(f.has_original_counters());
}

TEST(MakeReadable, EmptyEnrichmentGoes) {
  v1::Flow f = SampleFlow();
  f.mutable_enrichment()->mutable_src()->mutable_process();
  f.mutable_enrichment()->mutable_dst();
  MakeReadable(&f);
  EXPECT_FALSE(f.has_enrichment());
}

}  // namespace
}  // namespace flowtop
