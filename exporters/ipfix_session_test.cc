#include "exporters/ipfix_session.h"

#include <memory>

#include "exporters/fake_transport.h"
#include "exporters/ipfix_test_decoder.h"
#include "gtest/gtest.h"

namespace flowtop::exporters {
namespace {

FlowRecord Record(uint64_t id, uint64_t packets = 2, uint64_t octets = 100) {
  FlowRecord r;
  r.flow_id = id;
  r.packet_delta = packets;
  r.octet_delta = octets;
  r.protocol = 17;
  return r;
}

struct Fixture {
  explicit Fixture(bool stream = false, SessionOptions o = {}) {
    auto t = std::make_unique<FakeTransport>(stream);
    transport = t.get();
    session = std::make_unique<IpfixSession>(o, std::move(t));
  }
  FakeTransport* transport;
  std::unique_ptr<IpfixSession> session;
  testing::Decoder decoder;
};

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST(IpfixSessionTest, FirstMessageCarriesTemplatesThenData) {
  Fixture f;
  f.session->Add(Record(1), kT0);
  f.session->Add(Record(2), kT0);
  f.session->Flush(kT0);
  ASSERT_EQ(f.transport->sent.size(), 1u);
  testing::DecodedMessage m = f.decoder.Decode(f.transport->sent[0]);
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(m.template_records, 5);  // 4 data templates + reliability
  ASSERT_EQ(m.records.size(), 2u);
  EXPECT_EQ(m.records[1].U(148), 2u);
  EXPECT_EQ(m.sequence, 0u);
  EXPECT_EQ(m.export_time, 1700000000u);
  // The next message: no templates, sequence = 2 records before it.
  f.session->Add(Record(3), kT0);
  f.session->Flush(kT0);
  m = f.decoder.Decode(f.transport->sent[1]);
  EXPECT_EQ(m.template_records, 0);
  EXPECT_EQ(m.sequence, 2u);
  const SessionStats s = f.session->stats();
  EXPECT_EQ(s.messages, 2u);
  EXPECT_EQ(s.records, 3u);
  EXPECT_EQ(s.template_messages, 1u);
}

TEST(IpfixSessionTest, FullMessagesGoOutOnTheirOwn) {
  SessionOptions o;
  o.encoder.max_message = 512;
  Fixture f(false, o);
  for (int i = 0; i < 20; ++i) f.session->Add(Record(i), kT0);
  f.session->Flush(kT0);
  uint32_t expected_seq = 0;
  size_t total = 0;
  for (const std::string& msg : f.transport->sent) {
    EXPECT_LE(msg.size(), 512u);
    testing::DecodedMessage m = f.decoder.Decode(msg);
    EXPECT_EQ(m.error, "");
    EXPECT_EQ(m.sequence, expected_seq);
    expected_seq += m.records.size();
    total += m.records.size();
  }
  EXPECT_EQ(total, 20u);
  EXPECT_GT(f.transport->sent.size(), 3u);
}

TEST(IpfixSessionTest, UdpRefreshesTemplatesByTimeAndByMessageCount) {
  SessionOptions o;
  o.template_refresh = absl::Seconds(30);
  o.template_refresh_messages = 3;
  Fixture f(false, o);
  auto send_one = [&](absl::Time t) {
    f.session->Add(Record(1), t);
    f.session->Flush(t);
    return f.decoder.Decode(f.transport->sent.back()).template_records > 0;
  };
  EXPECT_TRUE(send_one(kT0));
  EXPECT_FALSE(send_one(kT0));
  EXPECT_FALSE(send_one(kT0));
  EXPECT_FALSE(send_one(kT0));
  EXPECT_TRUE(send_one(kT0));  // 3 messages without templates
  EXPECT_FALSE(send_one(kT0 + absl::Seconds(29)));
  EXPECT_TRUE(send_one(kT0 + absl::Seconds(31)));  // 30 s since
}

TEST(IpfixSessionTest, FailedSendsAreCountedAsNotSent) {
  Fixture f;
  f.transport->SetFailing(true);
  f.session->Add(Record(1, 3, 300), kT0);
  f.session->Add(Record(2, 4, 400), kT0);
  f.session->Flush(kT0);
  SessionStats s = f.session->stats();
  EXPECT_EQ(s.not_sent_records, 2u);
  EXPECT_EQ(s.not_sent_packets, 7u);
  EXPECT_EQ(s.not_sent_octets, 700u);
  EXPECT_EQ(s.messages, 0u);
  EXPECT_NE(s.last_error, "");
  // Templates were lost with it: the next message carries them again, the
  // sequence number shows the gap, and the reliability record the loss.
  f.transport->SetFailing(false);
  f.session->AddReliability(kT0);
  f.session->Flush(kT0);
  ASSERT_EQ(f.transport->sent.size(), 1u);
  testing::DecodedMessage m = f.decoder.Decode(f.transport->sent[0]);
  EXPECT_EQ(m.error, "");
  EXPECT_GT(m.template_records, 0);
  EXPECT_EQ(m.sequence, 2u);
  ASSERT_EQ(m.records.size(), 1u);
  EXPECT_EQ(m.records[0].template_id, kTemplateReliability);
  EXPECT_EQ(m.records[0].U(166), 2u);  // notSentFlowTotalCount
  EXPECT_EQ(m.records[0].U(167), 7u);
  EXPECT_EQ(m.records[0].U(168), 700u);
  EXPECT_EQ(m.records[0].U(323), static_cast<uint64_t>(absl::ToUnixMillis(kT0)));
}

TEST(IpfixSessionTest, TcpSendsTemplatesOncePerConnection) {
  Fixture f(/*stream=*/true);
  f.session->Add(Record(1), kT0);
  f.session->Flush(kT0);
  f.session->Add(Record(2), kT0 + absl::Hours(1));
  f.session->Flush(kT0 + absl::Hours(1));
  ASSERT_EQ(f.transport->sent.size(), 2u);
  EXPECT_GT(f.decoder.Decode(f.transport->sent[0]).template_records, 0);
  EXPECT_EQ(f.decoder.Decode(f.transport->sent[1]).template_records, 0);
  // The collector goes away: records are lost and counted.
  f.transport->Disconnect(/*up=*/false);
  f.session->Add(Record(3), kT0);
  f.session->Flush(kT0);
  EXPECT_EQ(f.session->stats().not_sent_records, 1u);
  // Back: a new transport session, templates first, sequence from 0.
  f.transport->Disconnect(/*up=*/true);
  f.session->Add(Record(4), kT0);
  f.session->Flush(kT0);
  ASSERT_EQ(f.transport->sent.size(), 3u);
  testing::DecodedMessage m = f.decoder.Decode(f.transport->sent[2]);
  EXPECT_GT(m.template_records, 0);
  EXPECT_EQ(m.sequence, 0u);
  EXPECT_EQ(m.records.size(), 1u);
}

}  // namespace
}  // namespace flowtop::exporters
