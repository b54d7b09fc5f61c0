// Bytes below are written out by hand from RFC 7011 (message header 3.1,
// set header 3.3.2, template record 3.4.1, options template 3.4.2.2,
// variable length 7) and the IANA element ids, not produced by the encoder.
#include "exporters/ipfix_encoder.h"

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace flowtop::exporters {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes ToBytes(absl::string_view s) { return Bytes(s.begin(), s.end()); }

void Append(Bytes& b, std::initializer_list<uint8_t> v) {
  b.insert(b.end(), v.begin(), v.end());
}

FlowRecord V4Record() {
  FlowRecord r;
  r.flow_id = 0x11223344;
  const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {192, 0, 2, 7};
  std::memcpy(r.src, src, 4);
  std::memcpy(r.dst, dst, 4);
  r.src_port = 40000;  // 0x9c40
  r.dst_port = 443;    // 0x01bb
  r.protocol = 6;
  r.start_ms = 0x0000018a00000001;
  r.end_ms = 0x0000018a00000102;
  r.octet_delta = 1500;  // 0x5dc
  r.packet_delta = 3;
  r.octet_total = 0x100000000;
  r.packet_total = 9;
  r.vrf = 7;
  r.end_reason = EndReason::kEndOfFlow;
  r.direction = kInitiator;
  return r;
}

// The 77 bytes of V4Record() in template 256's field order.
Bytes V4RecordBytes() {
  Bytes b;
  Append(b, {0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44});  // flowId
  Append(b, {10, 0, 0, 1});                          // sourceIPv4Address
  Append(b, {192, 0, 2, 7});                         // destinationIPv4Address
  Append(b, {0x9c, 0x40});                           // sourceTransportPort
  Append(b, {0x01, 0xbb});                           // destinationTransportPort
  Append(b, {6});                                    // protocolIdentifier
  Append(b, {0, 0});                                 // icmpTypeCodeIPv4
  Append(b, {0, 0, 1, 0x8a, 0, 0, 0, 1});            // flowStartMilliseconds
  Append(b, {0, 0, 1, 0x8a, 0, 0, 1, 2});            // flowEndMilliseconds
  Append(b, {0, 0, 0, 0, 0, 0, 0x05, 0xdc});         // octetDeltaCount
  Append(b, {0, 0, 0, 0, 0, 0, 0, 3});               // packetDeltaCount
  Append(b, {0, 0, 0, 1, 0, 0, 0, 0});               // octetTotalCount
  Append(b, {0, 0, 0, 0, 0, 0, 0, 9});               // packetTotalCount
  Append(b, {0, 0, 0, 7});                           // ingressVRFID
  Append(b, {3});                                    // flowEndReason
  Append(b, {1});                                    // biflowDirection
  return b;
}

TEST(MessageEncoderTest, EmptyMessageIsAHeader) {
  MessageEncoder enc({.observation_domain = 0x01020304});
  const Bytes got = ToBytes(enc.Finish(0x5f000010, 7));
  const Bytes want = {0x00, 0x0a, 0x00, 0x10,   // version 10, length 16
                      0x5f, 0x00, 0x00, 0x10,   // export time
                      0x00, 0x00, 0x00, 0x07,   // sequence number
                      0x01, 0x02, 0x03, 0x04};  // observation domain
  EXPECT_EQ(got, want);
  EXPECT_EQ(enc.records(), 0u);
}

TEST(MessageEncoderTest, OneIPv4RecordInAPaddedDataSet) {
  MessageEncoder enc({.observation_domain = 9});
  ASSERT_TRUE(enc.AddRecord(V4Record()));
  const Bytes got = ToBytes(enc.Finish(1, 0));
  Bytes want = {0x00, 0x0a, 0x00, 100,  // 16 + set of 84
                0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9,
                0x01, 0x00, 0x00, 84};  // set id 256, 4 + 77 + 3 padding
  const Bytes rec = V4RecordBytes();
  ASSERT_EQ(rec.size(), 77u);
  want.insert(want.end(), rec.begin(), rec.end());
  Append(want, {0, 0, 0});  // padding
  EXPECT_EQ(got, want);
  EXPECT_EQ(enc.records(), 1u);
}

TEST(MessageEncoderTest, NatRecordCarriesPostNatFieldsInTemplate258) {
  MessageEncoder enc({});
  FlowRecord r = V4Record();
  r.nat = true;
  const uint8_t ps[4] = {198, 51, 100, 1}, pd[4] = {10, 0, 0, 9};
  std::memcpy(r.post_src, ps, 4);
  std::memcpy(r.post_dst, pd, 4);
  r.post_src_port = 1024;
  r.post_dst_port = 8080;
  ASSERT_TRUE(enc.AddRecord(r));
  const Bytes got = ToBytes(enc.Finish(0, 0));
  // 16 header + 4 set header + 77 + 12 NAT bytes = 109, padded to 112.
  ASSERT_EQ(got.size(), 112u);
  EXPECT_EQ(got[16], 0x01);
  EXPECT_EQ(got[17], 0x02);  // set id 258
  EXPECT_EQ(got[19], 96);    // 4 + 89 + 3
  const Bytes tail(got.begin() + 20 + 77, got.begin() + 20 + 89);
  const Bytes want = {198, 51, 100, 1, 10, 0, 0, 9, 0x04, 0x00, 0x1f, 0x90};
  EXPECT_EQ(tail, want);
}

TEST(MessageEncoderTest, IPv6RecordUsesSixteenByteAddresses) {
  MessageEncoder enc({});
  FlowRecord r;
  r.ipv6 = true;
  r.protocol = 58;
  r.icmp_type_code = 128 * 256;  // echo request
  r.src[0] = 0x20;
  r.src[1] = 0x01;
  r.src[15] = 1;
  r.dst[15] = 2;
  ASSERT_TRUE(enc.AddRecord(r));
  const Bytes got = ToBytes(enc.Finish(0, 0));
  // 8 + 16 + 16 + 2 + 2 + 1 + 2 + 6 * 8 + 4 + 1 + 1 = 101, padded to 104.
  ASSERT_EQ(got.size(), 16u + 4 + 104);
  EXPECT_EQ(got[17], 0x01);  // set 257
  EXPECT_EQ(got[20 + 8], 0x20);
  EXPECT_EQ(got[20 + 8 + 15], 1);
  EXPECT_EQ(got[20 + 24 + 15], 2);
  EXPECT_EQ(got[20 + 40 + 4], 58);    // protocolIdentifier
  EXPECT_EQ(got[20 + 40 + 5], 128);   // icmpTypeCodeIPv6, type byte
  EXPECT_EQ(got[20 + 40 + 6], 0);
}

TEST(MessageEncoderTest, TemplateSetsSpellEveryField) {
  MessageEncoder enc({});
  ASSERT_TRUE(enc.AddTemplates());
  const Bytes got = ToBytes(enc.Finish(0, 0));
  // Template set: 4 + (4 + 16*4) * 2 + (4 + 20*4) * 2 = 308.
  ASSERT_GE(got.size(), 16u + 308);
  const Bytes set_header(got.begin() + 16, got.begin() + 20);
  EXPECT_EQ(set_header, (Bytes{0, 2, 0x01, 0x34}));
  // Template 256 with 16 fields, then flowId (148) length 8 and
  // sourceIPv4Address (8) length 4.
  const Bytes t256(got.begin() + 20, got.begin() + 32);
  EXPECT_EQ(t256, (Bytes{0x01, 0x00, 0, 16, 0, 148, 0, 8, 0, 8, 0, 4}));
  // Options template set: set id 3, 4 + 6 + 8 * 4 = 42, padded to 44;
  // template 260, 8 fields, 1 scope field: exportingProcessId (144) / 4.
  const size_t o = 16 + 308;
  ASSERT_EQ(got.size(), o + 44);
  const Bytes opt(got.begin() + o, got.begin() + o + 14);
  EXPECT_EQ(opt, (Bytes{0, 3, 0, 44, 0x01, 0x04, 0, 8, 0, 1, 0, 144, 0, 4}));
  // notSentFlowTotalCount (166) is the fifth field.
  EXPECT_EQ(got[o + 10 + 4 * 4 + 1], 166);
  // Templates are not data records: they do not count for the sequence.
  EXPECT_EQ(enc.records(), 0u);
}

TEST(MessageEncoderTest, EnterpriseFieldsAndVariableLengthStrings) {
  EncoderOptions options;
  options.process_fields = true;
  options.pen = 0x00007e59;
  const std::vector<FieldSpec> f = TemplateFields(kTemplateIPv4, options);
  ASSERT_EQ(f.size(), 22u);
  MessageEncoder enc(options);
  ASSERT_TRUE(enc.AddTemplates());
  Bytes got = ToBytes(enc.Finish(0, 0));
  // In template 256 (16 IANA fields), the 17th spec: processId with the
  // enterprise bit, length 4, then the PEN.
  const size_t at = 16 + 4 + 4 + 16 * 4;
  const Bytes spec(got.begin() + at, got.begin() + at + 16);
  EXPECT_EQ(spec, (Bytes{0x80, 0x01, 0, 4, 0, 0, 0x7e, 0x59,    // processId
                         0x80, 0x02, 0xff, 0xff, 0, 0, 0x7e, 0x59}));  // name
  enc.Begin();
  FlowRecord r = V4Record();
  r.pid = 4242;
  r.process = "curl";
  r.uid = 1000;
  ASSERT_TRUE(enc.AddRecord(r));
  got = ToBytes(enc.Finish(0, 0));
  const size_t rec = 16 + 4 + 77;
  const Bytes tail(got.begin() + rec, got.begin() + rec + 4 + 5 + 4 + 3);
  EXPECT_EQ(tail, (Bytes{0, 0, 0x10, 0x92, 4, 'c', 'u', 'r', 'l', 0, 0, 0x03,
                         0xe8, 0, 0, 0}));  // user, unit, container: empty
}

TEST(MessageEncoderTest, LongStringsAreCut) {
  EncoderOptions options;
  options.process_fields = true;
  MessageEncoder enc(options);
  FlowRecord r = V4Record();
  r.process = std::string(1000, 'x');
  ASSERT_TRUE(enc.AddRecord(r));
  const Bytes got = ToBytes(enc.Finish(0, 0));
  EXPECT_EQ(got[16 + 4 + 77 + 4], 254);
}

TEST(MessageEncoderTest, RefusesARecordThatWouldPassMaxMessage) {
  MessageEncoder enc({.max_message = 200});
  EXPECT_TRUE(enc.AddRecord(V4Record()));  // 16 + 4 + 77 = 97
  EXPECT_TRUE(enc.AddRecord(V4Record()));  // 174 (+ 2 padding)
  EXPECT_FALSE(enc.AddRecord(V4Record()));
  const Bytes got = ToBytes(enc.Finish(0, 0));
  EXPECT_EQ(got.size(), 176u);
  EXPECT_EQ(got[19], 160);  // 4 + 2 * 77 + 2 padding
  EXPECT_EQ(enc.records(), 2u);
}

TEST(MessageEncoderTest, SwitchingTemplatesClosesTheSet) {
  MessageEncoder enc({});
  FlowRecord v6;
  v6.ipv6 = true;
  ASSERT_TRUE(enc.AddRecord(V4Record()));
  ASSERT_TRUE(enc.AddRecord(v6));
  ASSERT_TRUE(enc.AddRecord(V4Record()));
  const Bytes got = ToBytes(enc.Finish(0, 0));
  // 256 (84), 257 (4 + 101 + 3 = 108), 256 (84).
  ASSERT_EQ(got.size(), 16u + 84 + 108 + 84);
  EXPECT_EQ(got[16 + 84 + 1], 0x01);
  EXPECT_EQ(got[16 + 84 + 3], 108);
  EXPECT_EQ(got[16 + 84 + 108 + 1], 0x00);
  EXPECT_EQ(got[3], 16 + 84 + 108 + 84 - 256);  // length low byte
  EXPECT_EQ(got[2], 1);
}

TEST(MessageEncoderTest, ReliabilityRecord) {
  MessageEncoder enc({});
  ReliabilityStats s;
  s.exporting_process_id = 5;
  s.not_sent_flows = 2;
  s.not_sent_packets = 3;
  s.not_sent_octets = 0x1234;
  ASSERT_TRUE(enc.AddReliability(s));
  const Bytes got = ToBytes(enc.Finish(0, 0));
  ASSERT_EQ(got.size(), 16u + 4 + 60);
  EXPECT_EQ(got[16], 0x01);
  EXPECT_EQ(got[17], 0x04);  // set id 260
  EXPECT_EQ(got[23], 5);
  EXPECT_EQ(got[20 + 4 + 3 * 8 + 7], 2);
  EXPECT_EQ(got[20 + 4 + 4 * 8 + 7], 3);
  EXPECT_EQ(got[20 + 4 + 5 * 8 + 6], 0x12);
  EXPECT_EQ(enc.records(), 1u);
}

}  // namespace
}  // namespace flowtop::exporters
