#include "exporters/ipfix_exporter.h"

#include <memory>
#include <string>
#include <vector>

#include "core/fake_clock.h"
#include "exporters/fake_transport.h"
#include "exporters/ipfix_test_decoder.h"
#include "gtest/gtest.h"

namespace flowtop::exporters {
namespace {

using testing::DecodedRecord;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

std::string V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return std::string({static_cast<char>(a), static_cast<char>(b),
                      static_cast<char>(c), static_cast<char>(d)});
}

// A TCP flow 10.0.0.1:40000 -> 198.51.100.1:80, DNATed to 10.0.0.9:8080.
v1::Flow DnatFlow(uint32_t id) {
  v1::Flow f;
  f.set_conntrack_id(id);
  f.set_family(v1::IPV4);
  f.set_protocol(v1::TCP);
  f.set_protocol_number(6);
  v1::Tuple* o = f.mutable_original();
  o->set_src_ip(V4(10, 0, 0, 1));
  o->set_dst_ip(V4(198, 51, 100, 1));
  o->set_src_port(40000);
  o->set_dst_port(80);
  v1::Tuple* r = f.mutable_reply();
  r->set_src_ip(V4(10, 0, 0, 9));
  r->set_dst_ip(V4(10, 0, 0, 1));
  r->set_src_port(8080);
  r->set_dst_port(40000);
  f.mutable_status()->set_dst_nat(true);
  f.set_tcp_state(v1::TCP_ESTABLISHED);
  f.set_zone(3);
  f.set_start_unix_nanos(absl::ToUnixNanos(kT0) + 5000000);
  return f;
}

v1::FlowEvent Event(v1::EventType type, const v1::Flow& f, absl::Time t) {
  v1::FlowEvent e;
  e.set_type(type);
  e.set_time_unix_nanos(absl::ToUnixNanos(t));
  *e.mutable_flow() = f;
  return e;
}

void SetCounters(v1::Flow& f, uint64_t op, uint64_t ob, uint64_t rp, uint64_t rb) {
  f.mutable_original_counters()->set_packets(op);
  f.mutable_original_counters()->set_bytes(ob);
  f.mutable_reply_counters()->set_packets(rp);
  f.mutable_reply_counters()->set_bytes(rb);
}

struct Fixture {
  explicit Fixture(IpfixOptions o = {}, Peer peer = {}) : clock(kT0) {
    o.node = "router1";
    auto t = std::make_unique<FakeTransport>();
    t->fake_peer = peer;
    transport = t.get();
    std::vector<std::unique_ptr<Transport>> ts;
    ts.push_back(std::move(t));
    exporter = std::make_unique<IpfixExporter>(o, clock, std::move(ts));
  }
  void Publish(v1::FlowEvent e) { exporter->Publish(absl::MakeSpan(&e, 1)); }
  // Every flow record sent so far (reliability records left out).
  std::vector<DecodedRecord> Records() {
    std::vector<DecodedRecord> out;
    for (; decoded < transport->sent.size(); ++decoded) {
      testing::DecodedMessage m = decoder.Decode(transport->sent[decoded]);
      EXPECT_EQ(m.error, "");
      EXPECT_EQ(m.domain, ObservationDomainFor("router1"));
      for (auto& r : m.records) {
        if (r.template_id != kTemplateReliability) seen.push_back(r);
        else reliability.push_back(r);
      }
    }
    return seen;
  }
  core::FakeClock clock;
  FakeTransport* transport;
  std::unique_ptr<IpfixExporter> exporter;
  testing::Decoder decoder;
  size_t decoded = 0;
  std::vector<DecodedRecord> seen, reliability;
};

TEST(IpfixExporterTest, DestroyExportsBothDirectionsWithNatFields) {
  Fixture f;
  v1::Flow flow = DnatFlow(77);
  f.Publish(Event(v1::NEW, flow, kT0));
  SetCounters(flow, 5, 500, 4, 4000);
  flow.set_tcp_state(v1::TCP_TIME_WAIT);
  flow.set_stop_unix_nanos(absl::ToUnixNanos(kT0 + absl::Seconds(3)));
  f.Publish(Event(v1::DESTROY, flow, kT0 + absl::Seconds(4)));
  f.exporter->Tick();
  const std::vector<DecodedRecord> r = f.Records();
  ASSERT_EQ(r.size(), 2u);
  const DecodedRecord& o = r[0];
  EXPECT_EQ(o.template_id, kTemplateIPv4Nat);
  EXPECT_EQ(o.U(148), 77u);                                // flowId
  EXPECT_EQ(o.S(8), V4(10, 0, 0, 1));                      // src
  EXPECT_EQ(o.S(12), V4(198, 51, 100, 1));                 // dst (pre-NAT)
  EXPECT_EQ(o.U(7), 40000u);
  EXPECT_EQ(o.U(11), 80u);
  EXPECT_EQ(o.S(225), V4(10, 0, 0, 1));                    // postNATSource
  EXPECT_EQ(o.S(226), V4(10, 0, 0, 9));                    // postNATDestination
  EXPECT_EQ(o.U(227), 40000u);
  EXPECT_EQ(o.U(228), 8080u);
  EXPECT_EQ(o.U(4), 6u);
  EXPECT_EQ(o.U(1), 500u);   // octetDeltaCount
  EXPECT_EQ(o.U(2), 5u);     // packetDeltaCount
  EXPECT_EQ(o.U(85), 500u);  // octetTotalCount
  EXPECT_EQ(o.U(234), 3u);   // ingressVRFID = zone
  EXPECT_EQ(o.U(136), 3u);   // endOfFlowDetected (TIME_WAIT)
  EXPECT_EQ(o.U(239), 1u);   // initiator
  EXPECT_EQ(o.U(152), static_cast<uint64_t>(absl::ToUnixMillis(kT0)) + 5);
  EXPECT_EQ(o.U(153), static_cast<uint64_t>(absl::ToUnixMillis(kT0)) + 3000);
  const DecodedRecord& p = r[1];
  EXPECT_EQ(p.S(8), V4(10, 0, 0, 9));   // reply source: the real server
  EXPECT_EQ(p.S(12), V4(10, 0, 0, 1));
  EXPECT_EQ(p.S(225), V4(198, 51, 100, 1));  // after un-DNAT
  EXPECT_EQ(p.U(227), 80u);
  EXPECT_EQ(p.U(1), 4000u);
  EXPECT_EQ(p.U(2), 4u);
  EXPECT_EQ(p.U(239), 2u);
  EXPECT_EQ(f.exporter->stats().flows, 0u);
}

TEST(IpfixExporterTest, UnansweredUdpFlowIsOneRecordEndingOnIdleTimeout) {
  Fixture f;
  v1::Flow flow = DnatFlow(8);
  flow.set_protocol(v1::UDP);
  flow.set_protocol_number(17);
  flow.clear_tcp_state();
  flow.clear_status();
  SetCounters(flow, 1, 60, 0, 0);
  f.Publish(Event(v1::NEW, flow, kT0));
  f.Publish(Event(v1::DESTROY, flow, kT0 + absl::Seconds(30)));
  f.exporter->Tick();
  const std::vector<DecodedRecord> r = f.Records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].template_id, kTemplateIPv4);
  EXPECT_EQ(r[0].U(136), 1u);  // idleTimeout
  EXPECT_EQ(r[0].U(4), 17u);
}

TEST(IpfixExporterTest, ActiveTimeoutSendsDeltasAndTotals) {
  IpfixOptions o;
  o.active_timeout = absl::Seconds(60);
  Fixture f(o);
  v1::Flow flow = DnatFlow(9);
  f.Publish(Event(v1::NEW, flow, kT0));
  v1::Flow counters;
  counters.set_conntrack_id(9);
  SetCounters(counters, 10, 1000, 8, 8000);
  f.clock.Advance(absl::Seconds(30));
  f.Publish(Event(v1::COUNTERS, counters, f.clock.Now()));
  f.exporter->Tick();
  EXPECT_TRUE(f.Records().empty());  // not due yet
  f.clock.Advance(absl::Seconds(31));
  f.exporter->Tick();
  std::vector<DecodedRecord> r = f.Records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].U(136), 2u);  // activeTimeout
  EXPECT_EQ(r[0].U(1), 1000u);
  EXPECT_EQ(r[0].U(85), 1000u);
  EXPECT_EQ(r[0].U(153), static_cast<uint64_t>(absl::ToUnixMillis(f.clock.Now())));
  SetCounters(counters, 15, 1600, 9, 9000);
  f.Publish(Event(v1::COUNTERS, counters, f.clock.Now()));
  f.clock.Advance(absl::Seconds(5));
  flow.set_stop_unix_nanos(absl::ToUnixNanos(f.clock.Now()));
  f.Publish(Event(v1::DESTROY, flow, f.clock.Now()));  // no counters in it
  f.exporter->Tick();
  r = f.Records();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[2].U(136), 1u);
  EXPECT_EQ(r[2].U(1), 600u);   // delta since the periodic record
  EXPECT_EQ(r[2].U(2), 5u);
  EXPECT_EQ(r[2].U(85), 1600u);  // total
  EXPECT_EQ(r[3].U(1), 1000u);
  EXPECT_EQ(r[3].U(86), 9u);
}

TEST(IpfixExporterTest, FinishExportsEveryLiveFlowAndTheReliabilityRecord) {
  Fixture f;
  for (uint32_t id : {5u, 3u, 4u}) {
    v1::Flow flow = DnatFlow(id);
    SetCounters(flow, id, id * 100, 0, 0);
    f.Publish(Event(v1::NEW, flow, kT0));
  }
  f.exporter->Finish();
  const std::vector<DecodedRecord> r = f.Records();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].U(148), 3u);  // in id order
  EXPECT_EQ(r[2].U(148), 5u);
  for (const auto& x : r) EXPECT_EQ(x.U(136), 4u);  // forcedEnd
  EXPECT_EQ(r[2].U(1), 500u);
  ASSERT_EQ(f.reliability.size(), 1u);
  EXPECT_EQ(f.reliability[0].U(166), 0u);
  // Nothing after Finish.
  f.Publish(Event(v1::NEW, DnatFlow(6), kT0));
  f.exporter->Finish();
  f.exporter->Tick();
  EXPECT_EQ(f.Records().size(), 3u);
}

TEST(IpfixExporterTest, AFullQueueIsCountedAsNotSent) {
  IpfixOptions o;
  o.max_queue = 2;
  Fixture f(o);
  for (uint32_t id = 1; id <= 5; ++id) {
    v1::Flow flow = DnatFlow(id);
    SetCounters(flow, 2, 20, 0, 0);
    f.Publish(Event(v1::NEW, flow, kT0));
    f.Publish(Event(v1::DESTROY, flow, kT0));
  }
  f.exporter->Tick();
  EXPECT_EQ(f.Records().size(), 2u);
  v1::NodeStatus status;
  f.exporter->FillStatus(&status);
  ASSERT_EQ(status.exports_size(), 1);
  EXPECT_EQ(status.exports(0).records(), 2u);
  EXPECT_EQ(status.exports(0).not_sent_records(), 3u);
  EXPECT_EQ(status.exports(0).not_sent_packets(), 6u);
  EXPECT_EQ(status.exports(0).not_sent_octets(), 60u);
  EXPECT_EQ(status.exports(0).collector(), "fake://collector");
}

TEST(IpfixExporterTest, ProcessFieldsOnlyWhenAskedFor) {
  IpfixOptions o;
  o.process_fields = true;
  o.pen = 4242;
  Fixture f(o);
  v1::Flow flow = DnatFlow(1);
  f.Publish(Event(v1::NEW, flow, kT0));
  v1::Flow enrich;
  enrich.set_conntrack_id(1);
  v1::Process* p = enrich.mutable_enrichment()->mutable_src()->mutable_process();
  p->set_pid(321);
  p->set_name("curl");
  p->set_uid(1000);
  p->set_user("alice");
  f.Publish(Event(v1::ENRICH, enrich, kT0));
  f.Publish(Event(v1::DESTROY, flow, kT0));
  f.exporter->Tick();
  std::vector<DecodedRecord> r = f.Records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].U(1, 4242), 321u);
  EXPECT_EQ(r[0].S(2, 4242), "curl");
  EXPECT_EQ(r[0].U(3, 4242), 1000u);
  EXPECT_EQ(r[0].S(4, 4242), "alice");

  Fixture plain;
  plain.Publish(Event(v1::NEW, flow, kT0));
  plain.Publish(Event(v1::ENRICH, enrich, kT0));
  plain.Publish(Event(v1::DESTROY, flow, kT0));
  plain.exporter->Tick();
  r = plain.Records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].Has(2, 4242));
  EXPECT_FALSE(r[0].Has(2, 32473));
}

TEST(IpfixExporterTest, OwnExportTrafficIsNotExported) {
  Fixture f({}, Peer{.tcp = false, .ip = V4(10, 0, 0, 5), .port = 4739});
  v1::Flow own = DnatFlow(1);
  own.set_protocol(v1::UDP);
  own.set_protocol_number(17);
  own.mutable_original()->set_dst_ip(V4(10, 0, 0, 5));
  own.mutable_original()->set_dst_port(4739);
  v1::Flow other = own;
  other.set_conntrack_id(2);
  other.mutable_original()->set_dst_port(4740);
  for (const v1::Flow& x : {own, other}) {
    f.Publish(Event(v1::NEW, x, kT0));
    f.Publish(Event(v1::DESTROY, x, kT0));
  }
  f.exporter->Tick();
  const std::vector<DecodedRecord> r = f.Records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].U(148), 2u);
}

TEST(IpfixExporterTest, TheSendingThreadWaitsThroughTheClock) {
  Fixture f;
  f.exporter->Start();
  v1::Flow flow = DnatFlow(5);
  f.Publish(Event(v1::NEW, flow, kT0));
  f.Publish(Event(v1::DESTROY, flow, kT0));
  // Only moving the fake clock wakes the thread (its flush interval is
  // 200 ms of the clock's time, not of real time).
  uint64_t records = 0;
  for (int i = 0; i < 10000 && records == 0; ++i) {
    f.clock.Advance(absl::Milliseconds(200));
    absl::SleepFor(absl::Milliseconds(1));
    records = f.exporter->stats().sessions[0].records;
  }
  EXPECT_EQ(records, 1u);
  f.exporter->Finish();  // joins the thread
  EXPECT_EQ(f.Records().size(), 1u);
}

TEST(IpfixExporterTest, EventTimeGivesTheSameBytesEveryRun) {
  auto run = [] {
    IpfixOptions o;
    o.event_time = true;
    o.active_timeout = absl::Seconds(10);
    Fixture f(o);
    f.clock.Advance(absl::Hours(5));  // the wall clock must not matter
    for (uint32_t id = 1; id <= 40; ++id) {
      v1::Flow flow = DnatFlow(id);
      SetCounters(flow, id, id * 10, id, id * 20);
      const absl::Time t = kT0 + absl::Seconds(id);
      f.Publish(Event(v1::NEW, flow, t));
      if (id % 3 == 0) f.Publish(Event(v1::DESTROY, flow, t + absl::Seconds(2)));
    }
    f.exporter->Finish();
    return f.transport->sent;
  };
  const std::vector<std::string> a = run();
  const std::vector<std::string> b = run();
  EXPECT_EQ(a, b);
  ASSERT_FALSE(a.empty());
  testing::Decoder d;
  size_t records = 0;
  bool active = false;
  for (const std::string& m : a) {
    testing::DecodedMessage x = d.Decode(m);
    EXPECT_EQ(x.error, "");
    EXPECT_LE(x.export_time, absl::ToUnixSeconds(kT0 + absl::Seconds(42)));
    for (const auto& r : x.records) {
      if (r.template_id == kTemplateReliability) continue;
      ++records;
      active |= r.U(136) == 2;
    }
  }
  EXPECT_TRUE(active);  // flows live past 10 s of event time
  EXPECT_GE(records, 80u);
}

}  // namespace
}  // namespace flowtop::exporters
