// FlowJsonWriter against protobuf's JSON printer (AppendFlowJsonByPrinter:
// ToFlow, MakeReadable, MessageToJsonString), byte for byte: both write
// the members in field-number order (the printer walks the serialised
// message, which protobuf writes in that order), so no parsing or
// reordering is needed to compare them. Every field, every enum value, the
// limits of every number, strings with every kind of escape, and random
// records.
#include "core/flow_json.h"

#include <cmath>
#include <cstring>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "core/flow_key.h"
#include "core/flow_record.h"
#include "core/string_pool.h"
#include "flowtop/v1/flowtop.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A record made by the one merge rule from events, released at the end.
class Record {
 public:
  Record() = default;
  Record(const Record&) = delete;
  Record& operator=(const Record&) = delete;
  ~Record() { ReleaseRecord(pool_, record_); }

  Record& Apply(v1::EventType type, const v1::Flow& flow, int64_t time = 1000) {
    v1::FlowEvent e;
    e.set_type(type);
    e.set_time_unix_nanos(time);
    *e.mutable_flow() = flow;
    ApplyFlowEvent(e, pool_, record_);
    return *this;
  }
  FlowRecord& record() { return record_; }
  StringPool& pool() { return pool_; }

  std::string ByWriter(absl::string_view node = "label") {
    FlowJsonWriter writer(pool_);
    std::string out;
    EXPECT_TRUE(writer.Append(record_, node, out).ok());
    return out;
  }
  std::string ByPrinter(absl::string_view node = "label") {
    std::string out;
    EXPECT_TRUE(AppendFlowJsonByPrinter(record_, pool_, node, out).ok());
    return out;
  }

 private:
  StringPool pool_;
  FlowRecord record_;
};

v1::Flow Ipv4Flow() {
  v1::Flow f;
  f.set_node("router1");
  f.set_conntrack_id(3000000001u);
  f.set_key(0xfedcba9800000000ull | 3000000001u);
  f.set_family(v1::IPV4);
  f.set_protocol(v1::TCP);
  f.set_protocol_number(6);
  f.mutable_original()->set_src_ip(std::string("\xc0\x00\x02\x01", 4));
  f.mutable_original()->set_dst_ip(std::string("\xc6\x33\x64\x07", 4));
  f.mutable_original()->set_src_port(40000);
  f.mutable_original()->set_dst_port(443);
  f.mutable_reply()->set_src_ip(std::string("\xc6\x33\x64\x07", 4));
  f.mutable_reply()->set_dst_ip(std::string("\x0a\x00\x00\x02", 4));  // NAT
  f.mutable_reply()->set_src_port(443);
  f.mutable_reply()->set_dst_port(61000);
  f.set_tcp_state(v1::TCP_ESTABLISHED);
  f.mutable_status()->set_seen_reply(true);
  f.mutable_status()->set_assured(true);
  f.mutable_status()->set_confirmed(true);
  f.mutable_status()->set_src_nat(true);
  f.mutable_status()->set_raw(0x19e);
  f.set_mark(7);
  f.set_zone(2);
  f.set_timeout_seconds(431999);
  f.mutable_original_counters()->set_packets(12);
  f.mutable_original_counters()->set_bytes(3400);
  f.mutable_reply_counters()->set_packets(10);
  f.mutable_reply_counters()->set_bytes(120000);
  f.set_start_unix_nanos(1700000000123456789);
  f.set_first_seen_unix_nanos(1700000000200000000);
  f.set_id(FlowIdFor(f.node(), f));
  return f;
}

void ExpectSame(Record& r, absl::string_view node = "label") {
  EXPECT_EQ(r.ByWriter(node), r.ByPrinter(node));
}

// The literal text of one flow, as README.md shows it: a check that does
// not lean on protobuf.
TEST(FlowJsonTest, WritesTheDocumentedLine) {
  Record r;
  r.Apply(v1::NEW, Ipv4Flow());
  EXPECT_EQ(r.ByWriter(),
            R"({"id":"router1/3000000001.fedcba98","node":"router1","conntrackId":3000000001,)"
            R"("family":"IPV4","protocol":"TCP","protocolNumber":6,)"
            R"("original":{"srcPort":40000,"dstPort":443,"srcAddr":"192.0.2.1","dstAddr":"198.51.100.7"},)"
            R"("reply":{"srcPort":443,"dstPort":61000,"srcAddr":"198.51.100.7","dstAddr":"10.0.0.2"},)"
            R"("tcpState":"TCP_ESTABLISHED","status":{"seenReply":true,"assured":true,)"
            R"("confirmed":true,"srcNat":true,"raw":414},"mark":7,"zone":2,)"
            R"("timeoutSeconds":431999,"originalCounters":{"packets":"12","bytes":"3400"},)"
            R"("replyCounters":{"packets":"10","bytes":"120000"},)"
            R"("startUnixNanos":"1700000000123456789",)"
            R"("firstSeenUnixNanos":"1700000000200000000","key":"18364758545507835393"})");
  ExpectSame(r);
}

TEST(FlowJsonTest, Ipv6AndMappedAndEmptyTuples) {
  const std::vector<std::string> addrs = {
      std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + "\x01",
      std::string(10, '\0') + "\xff\xff\xc0\x00\x02\x01",
      std::string(16, '\0'),
      std::string("\xfe\x80\x00\x00\x00\x00\x00\x00\x02\x11\x22\xff\xfe\x33\x44\x55", 16)};
  for (const std::string& a : addrs) {
    for (const std::string& b : addrs) {
      Record r;
      v1::Flow f = Ipv4Flow();
      f.set_family(v1::IPV6);
      f.mutable_original()->set_src_ip(a);
      f.mutable_original()->set_dst_ip(b);
      f.mutable_reply()->set_src_ip(b);
      f.mutable_reply()->clear_dst_ip();  // one address absent
      r.Apply(v1::NEW, f);
      ExpectSame(r);
    }
  }
  Record empty;  // tuples present but holding nothing: "original":{}
  v1::Flow f;
  f.mutable_original();
  f.mutable_reply()->set_icmp_type(8);
  f.mutable_reply()->set_icmp_code(255);
  f.mutable_reply()->set_icmp_id(65535);
  empty.Apply(v1::NEW, f);
  ExpectSame(empty);
  EXPECT_NE(empty.ByWriter().find(R"("original":{})"), std::string::npos);
}

TEST(FlowJsonTest, EveryEnumValueAndUnnamedNumbers) {
  auto values = [](const EnumDescriptor* e) {
    std::vector<int> v = {77, 200, 255};  // no name: printed as numbers
    for (int i = 0; i < e->value_count(); ++i) v.push_back(e->value(i)->number());
    return v;
  };
  for (int family : values(v1::AddressFamily_descriptor())) {
    for (int protocol : values(v1::L4Protocol_descriptor())) {
      Record r;
      v1::Flow f = Ipv4Flow();
      f.set_family(static_cast<v1::AddressFamily>(family));
      f.set_protocol(static_cast<v1::L4Protocol>(protocol));
      r.Apply(v1::NEW, f);
      ExpectSame(r);
    }
  }
  for (int state : values(v1::TcpState_descriptor())) {
    Record a, b, c, none;
    v1::Flow f = Ipv4Flow();
    f.set_tcp_state(static_cast<v1::TcpState>(state));
    a.Apply(v1::NEW, f);
    f.set_sctp_state(static_cast<v1::SctpState>(state % 11 == state ? state : state));
    b.Apply(v1::NEW, f);
    f.set_dccp_state(static_cast<v1::DccpState>(state));
    c.Apply(v1::NEW, f);
    f.clear_state();
    none.Apply(v1::NEW, f);
    ExpectSame(a);
    ExpectSame(b);
    ExpectSame(c);
    ExpectSame(none);
  }
  for (const EnumDescriptor* e : {v1::SctpState_descriptor(), v1::DccpState_descriptor()}) {
    for (int state : values(e)) {
      Record r;
      v1::Flow f = Ipv4Flow();
      if (e == v1::SctpState_descriptor()) {
        f.set_sctp_state(static_cast<v1::SctpState>(state));
      } else {
        f.set_dccp_state(static_cast<v1::DccpState>(state));
      }
      r.Apply(v1::NEW, f);
      ExpectSame(r);
    }
  }
}

TEST(FlowJsonTest, EveryStatusBit) {
  const Descriptor* d = v1::FlowStatus::descriptor();
  for (int i = 0; i <= d->field_count(); ++i) {
    Record r;
    v1::Flow f = Ipv4Flow();
    f.clear_status();
    if (i < d->field_count()) {
      const FieldDescriptor* field = d->field(i);
      if (field->type() == FieldDescriptor::TYPE_BOOL) {
        f.mutable_status()->GetReflection()->SetBool(f.mutable_status(), field, true);
      } else {
        f.mutable_status()->set_raw(std::numeric_limits<uint32_t>::max());
      }
    } else {
      f.mutable_status();  // present, all false: "status":{}
    }
    r.Apply(v1::NEW, f);
    ExpectSame(r);
  }
}

TEST(FlowJsonTest, NumbersAtTheirLimits) {
  constexpr uint64_t kU64[] = {0, 1, 9, 10, 4294967295u, 4294967296u,
                               9223372036854775807u, 9223372036854775808u,
                               std::numeric_limits<uint64_t>::max()};
  constexpr int64_t kI64[] = {0, 1, -1, std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::max()};
  for (uint64_t v : kU64) {
    Record r;
    v1::Flow f = Ipv4Flow();
    f.mutable_original_counters()->set_packets(v);
    f.mutable_original_counters()->set_bytes(v);
    f.mutable_reply_counters()->set_bytes(v);
    f.set_key(v);
    f.set_conntrack_id(static_cast<uint32_t>(v));
    f.set_mark(static_cast<uint32_t>(v));
    f.set_zone(static_cast<uint32_t>(v >> 16));
    f.set_timeout_seconds(static_cast<uint32_t>(v >> 1));
    f.set_protocol_number(static_cast<uint32_t>(v));
    f.set_id(FlowIdFor(f.node(), f));
    r.Apply(v1::NEW, f);
    ExpectSame(r);
  }
  for (int64_t v : kI64) {
    Record r;
    v1::Flow f = Ipv4Flow();
    f.set_start_unix_nanos(v);
    f.set_stop_unix_nanos(v);
    f.set_first_seen_unix_nanos(v);
    r.Apply(v1::NEW, f, /*time=*/v);
    ExpectSame(r);
  }
}

TEST(FlowJsonTest, RatesAsTheirShortestExactText) {
  const double kDoubles[] = {0.0,
                             -0.0,
                             1.0,
                             -1.0,
                             0.1,
                             1.0 / 3,
                             123.456,
                             999999999999999.0,
                             1e15,
                             1e15 + 1,
                             123456789012345678.0,
                             1e21,
                             1e-7,
                             5e-324,
                             2.2250738585072014e-308,
                             std::numeric_limits<double>::max(),
                             -std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN(),
                             18446744073709551615.0,
                             0.30000000000000004};
  for (double a : kDoubles) {
    Record r;
    v1::Flow f;
    f.mutable_original_rate()->set_packets_per_second(a);
    f.mutable_original_rate()->set_bytes_per_second(-a);
    f.mutable_reply_rate()->set_bytes_per_second(a * 8);
    r.Apply(v1::NEW, Ipv4Flow()).Apply(v1::COUNTERS, f);
    ExpectSame(r);
    Record geo;  // latitude and longitude are doubles too
    v1::Flow e;
    e.mutable_enrichment()->mutable_dst()->mutable_geo()->set_latitude(a);
    e.mutable_enrichment()->mutable_dst()->mutable_geo()->set_longitude(-a);
    geo.Apply(v1::NEW, Ipv4Flow()).Apply(v1::ENRICH, e);
    ExpectSame(geo);
  }
}

// Strings that need every kind of care, joined from these pieces.
const std::vector<std::string>& StringPieces() {
  static const auto* pieces = new std::vector<std::string>{
      "a", "nginx", "\"", "\\", "/", "<", ">", "&", "'", "\x7f", " ",
      std::string(1, '\0'), "\x01", "\b", "\t", "\n", "\x0b", "\f", "\r", "\x1b", "\x1f",
      "\xc2\x80", "\xc2\x9f", "\xc2\xa0", "\xc2\xad",  // C1, NBSP, soft hyphen
      "\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",           // é, 日本
      "\xd8\x80", "\xdb\x9d", "\xdc\x8f", "\xe1\x9e\xb4", "\xe1\x9e\xb5",
      "\xe2\x80\x8b", "\xe2\x80\x8f", "\xe2\x80\xa8", "\xe2\x80\xae", "\xe2\x81\xa0",
      "\xe2\x81\xa4", "\xe2\x81\xaa", "\xe2\x81\xaf", "\xef\xbb\xbf", "\xef\xbf\xb9",
      "\xef\xbf\xbb", "\xef\xbf\xbd", "\xef\xbf\xbf",
      "\xf0\x9f\x98\x80",                                  // U+1F600
      "\xf0\x9d\x85\xb3", "\xf0\x9d\x85\xba",              // U+1D173, U+1D17A
      "\xf3\xa0\x80\x81", "\xf3\xa0\x80\xa0", "\xf3\xa0\x81\xbf",  // U+E0001, E0020, E007F
      "\xf4\x8f\xbf\xbf",                                  // U+10FFFF
  };
  return *pieces;
}

// Not UTF-8: stray continuation bytes, truncated sequences, overlong forms,
// surrogates, beyond U+10FFFF.
const std::vector<std::string>& InvalidPieces() {
  static const auto* pieces = new std::vector<std::string>{
      "\x80", "\xbf", "\xff", "\xfe", "\xc3", "\xe6\x97", "\xf0\x9f\x98", "\xc0\x80",
      "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80",
      "\xf8\x88\x80\x80\x80", "\xc3(", "\xe2\x28\xa1"};
  return *pieces;
}

v1::Flow WithStrings(const std::string& s) {
  v1::Flow f = Ipv4Flow();
  f.set_node(s);
  f.set_secctx(s);
  f.set_id(FlowIdFor(f.node(), f));
  v1::Enrichment* e = f.mutable_enrichment();
  e->mutable_src()->set_hostname(s);
  e->mutable_dst()->set_hostname(s + "x");
  e->set_service(s);
  return f;
}

TEST(FlowJsonTest, EscapesEveryPieceAsThePrinter) {
  for (const std::string& piece : StringPieces()) {
    Record r;
    r.Apply(v1::NEW, WithStrings("<" + piece + piece + ">"));
    EXPECT_EQ(r.ByWriter(piece), r.ByPrinter(piece)) << "piece " << piece;
    Record g;  // the pooled Geo and Process
    v1::Flow e;
    v1::Endpoint* end = e.mutable_enrichment()->mutable_src();
    end->mutable_geo()->set_city(piece);
    end->mutable_geo()->set_as_organization(piece + "\"");
    end->mutable_process()->set_name(piece);
    end->mutable_process()->set_cgroup("/" + piece);
    g.Apply(v1::NEW, Ipv4Flow()).Apply(v1::ENRICH, e);
    EXPECT_EQ(g.ByWriter(), g.ByPrinter()) << "piece " << piece;
  }
}

TEST(FlowJsonTest, SpellsEscapesAsDocumented) {
  Record r;
  v1::Flow f;
  f.mutable_enrichment()->set_service(std::string("q\"b\\n\nt\tz") + '\0' +
                                      "<>\x7f\xc2\x85\xe2\x80\xa8\xf3\xa0\x80\x81\xc3\xa9");
  r.Apply(v1::NEW, f);
  EXPECT_NE(r.ByWriter().find(
                R"("service":"q\"b\\n\nt\tz\u0000\u003c\u003e\u007f\u0085\u2028\udb40\udc01)"
                "\xc3\xa9\""),
            std::string::npos)
      << r.ByWriter();
  ExpectSame(r);
}

// Invalid UTF-8 becomes U+FFFD per bad byte (the printer drops bytes):
// the writer's text equals the printer's for the repaired strings.
TEST(FlowJsonTest, InvalidUtf8BecomesReplacementCharacters) {
  for (const std::string& piece : InvalidPieces()) {
    Record r;
    r.Apply(v1::NEW, WithStrings("a" + piece + "b"));
    EXPECT_EQ(r.ByWriter(), r.ByPrinter()) << "piece " << absl::CEscape(piece);
  }
  Record r;
  v1::Flow f;
  f.mutable_enrichment()->set_service("a\xff\xc3(b");
  r.Apply(v1::NEW, f);
  EXPECT_EQ(r.ByWriter(), R"({"node":"label","firstSeenUnixNanos":"1000",)"
                          R"("enrichment":{"service":"a)"
                          "\xef\xbf\xbd\xef\xbf\xbd(b\"}}");
  // protobuf's own printer, not repaired first, loses the bytes and the "(".
  v1::Flow raw;
  raw.mutable_enrichment()->set_service("a\xff\xc3(b");
  std::string printed;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(raw, &printed).ok());
  EXPECT_EQ(printed, R"({"enrichment":{"service":"ab"}})");
}

TEST(FlowJsonTest, NodeFallbackAndDerivedIds) {
  Record none;  // no node: the source's label, and an id with an empty node
  v1::Flow f = Ipv4Flow();
  f.clear_node();
  f.set_id(FlowIdFor("", f));
  none.Apply(v1::NEW, f);
  ExpectSame(none, "my \"label\"");
  EXPECT_NE(none.ByWriter("lab").find(R"("id":"/3000000001.fedcba98","node":"lab")"),
            std::string::npos);
  Record old;  // a recording from before keys: no key, id without it
  f = Ipv4Flow();
  f.clear_key();
  f.set_id(FlowIdFor(f.node(), f));
  old.Apply(v1::NEW, f);
  ExpectSame(old);
  Record bare;  // nothing but a conntrack id
  v1::Flow b;
  b.set_conntrack_id(5);
  bare.Apply(v1::NEW, b);
  ExpectSame(bare, "");
}

// Records with a wire tail go the long way, and still print every field.
TEST(FlowJsonTest, RecordsWithATailPrintTheirTail) {
  Record labels;
  v1::Flow f = Ipv4Flow();
  f.set_labels(std::string("\x01\x00\xff", 3));
  labels.Apply(v1::NEW, f);
  ASSERT_FALSE(labels.record().tail.empty());
  EXPECT_NE(labels.ByWriter().find(R"("labels":"AQD/")"), std::string::npos);
  ExpectSame(labels);
  Record id;
  f = Ipv4Flow();
  f.set_id("my-own-id");
  f.mutable_original()->set_src_port(70000);  // wider than a port
  id.Apply(v1::NEW, f);
  ASSERT_FALSE(id.record().tail.empty());
  ExpectSame(id);
}

TEST(FlowJsonTest, EnrichmentAsMakeReadableLeavesIt) {
  // Empty parts are pruned; zero counters stay (absent and zero differ).
  std::vector<v1::Flow> enrich(6);
  enrich[0].mutable_enrichment()->mutable_src();  // empty end: no enrichment
  enrich[1].mutable_enrichment()->mutable_dst()->mutable_geo();
  enrich[1].mutable_enrichment()->mutable_dst()->mutable_process();
  enrich[2].mutable_enrichment()->set_own_traffic(true);
  enrich[3].mutable_enrichment()->mutable_src()->mutable_process()->set_pid(42);
  enrich[3].mutable_enrichment()->mutable_dst()->mutable_geo()->set_country_code("DE");
  enrich[4].mutable_enrichment()->mutable_src()->mutable_geo()->set_as_number(4294967295u);
  enrich[5].mutable_enrichment()->mutable_dst()->set_hostname("example.org");
  for (const v1::Flow& e : enrich) {
    Record r;
    v1::Flow f = Ipv4Flow();
    f.mutable_original_counters()->Clear();  // present, zero: {}
    r.Apply(v1::NEW, f).Apply(v1::ENRICH, e);
    ExpectSame(r);
  }
}

// Sets every field of `m` (recursively) to a value unlike its default: a
// field the API gains fails here until the writer prints it.
void FillEveryField(Message& m, int& n) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) {
      // Flow has none; the writer would need to learn them.
      ASSERT_EQ(f->containing_type(), v1::NodeStatus::descriptor()) << f->full_name();
      continue;
    }
    ++n;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: r->SetInt32(&m, f, n); break;
      case FieldDescriptor::CPPTYPE_INT64: r->SetInt64(&m, f, int64_t{n} << 33); break;
      case FieldDescriptor::CPPTYPE_UINT32: r->SetUInt32(&m, f, n); break;
      case FieldDescriptor::CPPTYPE_UINT64: r->SetUInt64(&m, f, uint64_t{1} << 40 | n); break;
      case FieldDescriptor::CPPTYPE_DOUBLE: r->SetDouble(&m, f, n + 0.25); break;
      case FieldDescriptor::CPPTYPE_FLOAT: r->SetFloat(&m, f, n + 0.5f); break;
      case FieldDescriptor::CPPTYPE_BOOL: r->SetBool(&m, f, true); break;
      case FieldDescriptor::CPPTYPE_ENUM: r->SetEnumValue(&m, f, 1 + n % 3); break;
      case FieldDescriptor::CPPTYPE_STRING: r->SetString(&m, f, "v" + std::to_string(n)); break;
      case FieldDescriptor::CPPTYPE_MESSAGE: FillEveryField(*r->MutableMessage(&m, f), n); break;
    }
  }
}

TEST(FlowJsonTest, EveryFieldOfTheApi) {
  v1::Flow f;
  int n = 0;
  FillEveryField(f, n);
  f.clear_labels();  // these two would put the record on its tail path
  f.clear_id();
  f.mutable_original()->set_src_ip(std::string("\x01\x02\x03\x04", 4));
  f.mutable_original()->set_dst_ip(std::string(16, '\x20'));
  f.mutable_original()->clear_src_addr();
  f.mutable_original()->clear_dst_addr();
  f.mutable_reply()->clear_src_addr();
  f.mutable_reply()->clear_dst_addr();
  f.mutable_reply()->set_src_ip(std::string(4, '\x09'));
  f.mutable_reply()->set_dst_ip(std::string(5, '\x09'));  // no text for 5 bytes
  f.set_family(v1::IPV4);
  f.set_protocol(v1::UDP);
  f.set_dccp_state(v1::DCCP_OPEN);
  Record r;
  r.Apply(v1::NEW, f);
  ASSERT_TRUE(r.record().tail.empty());
  ExpectSame(r);
}

// Random records: random events of random flows, merged by the one rule.
class RandomFlows {
 public:
  explicit RandomFlows(uint32_t seed) : rng_(seed) {}

  std::string String() {
    std::string s;
    const int pieces = Pick(5);
    for (int i = 0; i < pieces; ++i) {
      const bool invalid = Pick(12) == 0;
      const auto& from = invalid ? InvalidPieces() : StringPieces();
      s += from[Pick(static_cast<int>(from.size()))];
    }
    return s;
  }
  // Valid UTF-8 only: pooled Geo and Process are parsed back as proto3
  // messages, which stop at a string that is not UTF-8 (both paths alike).
  std::string ValidString() {
    std::string s;
    for (int i = Pick(4); i > 0; --i) s += StringPieces()[Pick(static_cast<int>(StringPieces().size()))];
    return s;
  }
  uint64_t Number() {
    switch (Pick(4)) {
      case 0: return 0;
      case 1: return Pick(70000);
      case 2: return std::numeric_limits<uint64_t>::max() - Pick(3);
      default: return rng_();
    }
  }
  double Double() {
    switch (Pick(6)) {
      case 0: return 0;
      case 1: return static_cast<double>(Pick(100000));
      case 2: return std::ldexp(static_cast<double>(rng_() >> 11), static_cast<int>(Pick(200)) - 100);
      case 3: return Pick(1000) / 7.0;
      case 4: return -static_cast<double>(Number());
      default: {
        double d;
        const uint64_t bits = rng_();
        std::memcpy(&d, &bits, sizeof(d));
        return d;  // any bit pattern: NaNs, infinities, denormals
      }
    }
  }
  bool Coin() { return Pick(2) == 0; }
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }

  void Tuple(v1::Tuple& t) {
    static const int kSizes[] = {0, 4, 16, 16, 4};
    for (std::string* ip : {t.mutable_src_ip(), t.mutable_dst_ip()}) {
      const int size = kSizes[Pick(5)];
      ip->clear();
      for (int i = 0; i < size; ++i) ip->push_back(static_cast<char>(Pick(3) == 0 ? 0 : Pick(256)));
    }
    t.set_src_port(Pick(65536));
    t.set_dst_port(Coin() ? 0 : Pick(65536));
    t.set_icmp_type(Coin() ? 0 : Pick(256));
    t.set_icmp_code(Coin() ? 0 : Pick(256));
    t.set_icmp_id(Coin() ? 0 : Pick(65536));
  }

  v1::Flow Kernel() {
    v1::Flow f;
    if (Pick(8) != 0) f.set_node(String());
    f.set_conntrack_id(static_cast<uint32_t>(Number()));
    f.set_key(Coin() ? 0 : Number());
    f.set_family(static_cast<v1::AddressFamily>(Pick(4)));
    f.set_protocol(static_cast<v1::L4Protocol>(Pick(5) == 0 ? Pick(256) : 6));
    f.set_protocol_number(static_cast<uint32_t>(Number()));
    if (Coin()) Tuple(*f.mutable_original());
    if (Coin()) Tuple(*f.mutable_reply());
    switch (Pick(4)) {
      case 0: f.set_tcp_state(static_cast<v1::TcpState>(Pick(12))); break;
      case 1: f.set_sctp_state(static_cast<v1::SctpState>(Pick(12))); break;
      case 2: f.set_dccp_state(static_cast<v1::DccpState>(Pick(12))); break;
      default: break;
    }
    if (Coin()) {
      v1::FlowStatus* s = f.mutable_status();
      s->set_raw(static_cast<uint32_t>(Number()));
      s->set_assured(Coin());
      s->set_dying(Coin());
      s->set_hw_offload(Coin());
    }
    f.set_mark(static_cast<uint32_t>(Number()));
    f.set_zone(static_cast<uint32_t>(Number()));
    f.set_timeout_seconds(static_cast<uint32_t>(Number()));
    if (Pick(4) == 0) f.set_secctx(String());
    if (Coin()) f.set_start_unix_nanos(static_cast<int64_t>(Number()));
    if (Coin()) f.set_stop_unix_nanos(static_cast<int64_t>(Number()));
    f.set_first_seen_unix_nanos(static_cast<int64_t>(Number()));
    if (Pick(3) != 0) f.set_id(FlowIdFor(f.node(), f));
    return f;
  }

  v1::Flow Traffic() {
    v1::Flow f;
    if (Coin()) {
      f.mutable_original_counters()->set_packets(Number());
      f.mutable_original_counters()->set_bytes(Number());
    }
    if (Coin()) f.mutable_reply_counters()->set_bytes(Number());
    if (Coin()) f.mutable_original_rate()->set_packets_per_second(Double());
    if (Coin()) {
      f.mutable_reply_rate()->set_packets_per_second(Double());
      f.mutable_reply_rate()->set_bytes_per_second(Double());
    }
    return f;
  }

  void Endpoint(v1::Endpoint& e) {
    if (Coin()) e.set_hostname(String());
    if (Coin()) {
      v1::Geo* g = e.mutable_geo();
      if (Coin()) g->set_country_code(ValidString());
      if (Coin()) g->set_country(ValidString());
      if (Coin()) g->set_city(ValidString());
      if (Coin()) g->set_region(ValidString());
      if (Coin()) g->set_as_number(static_cast<uint32_t>(Number()));
      if (Coin()) g->set_as_organization(ValidString());
      if (Coin()) g->set_latitude(Double());
      if (Coin()) g->set_longitude(Double());
    }
    if (Coin()) {
      v1::Process* p = e.mutable_process();
      if (Coin()) p->set_pid(static_cast<uint32_t>(Number()));
      if (Coin()) p->set_name(ValidString());
      if (Coin()) p->set_exe(ValidString());
      if (Coin()) p->set_uid(static_cast<uint32_t>(Number()));
      if (Coin()) p->set_user(ValidString());
      if (Coin()) p->set_cgroup(ValidString());
      if (Coin()) p->set_unit(ValidString());
      if (Coin()) p->set_container_id(ValidString());
      if (Coin()) p->set_container_runtime(ValidString());
      if (Coin()) p->set_attributed_by(ValidString());
    }
  }

  v1::Flow Enrichment() {
    v1::Flow f;
    v1::Enrichment* e = f.mutable_enrichment();
    if (Coin()) Endpoint(*e->mutable_src());
    if (Coin()) Endpoint(*e->mutable_dst());
    if (Coin()) e->set_service(String());
    if (Pick(4) == 0) e->set_own_traffic(true);
    return f;
  }

 private:
  std::mt19937_64 rng_;
};

TEST(FlowJsonTest, RandomRecordsPrintAsThePrinter) {
  RandomFlows gen(20261203);
  int tails = 0;
  for (int i = 0; i < 3000; ++i) {
    Record r;
    r.Apply(v1::NEW, gen.Kernel());
    for (int k = gen.Pick(4); k > 0; --k) {
      switch (gen.Pick(3)) {
        case 0: r.Apply(v1::COUNTERS, gen.Traffic()); break;
        case 1: r.Apply(v1::ENRICH, gen.Enrichment()); break;
        default: r.Apply(v1::UPDATE, gen.Kernel()); break;
      }
    }
    tails += r.record().tail.empty() ? 0 : 1;
    const std::string label = gen.Coin() ? gen.String() : "";
    ASSERT_EQ(r.ByWriter(label), r.ByPrinter(label)) << "record " << i;
  }
  EXPECT_LT(tails, 3000 / 2);  // most went the writer's own way
}

// One writer over many records (its Geo and Process texts are kept by
// pool id) writes what a fresh writer writes for each.
TEST(FlowJsonTest, OneWriterForManyRecords) {
  RandomFlows gen(7);
  StringPool pool;
  std::vector<FlowRecord> records(500);
  v1::Flow shared = gen.Enrichment();
  for (FlowRecord& rec : records) {
    v1::FlowEvent e;
    e.set_type(v1::NEW);
    *e.mutable_flow() = gen.Kernel();
    ApplyFlowEvent(e, pool, rec);
    e.set_type(v1::ENRICH);
    *e.mutable_flow() = gen.Coin() ? shared : gen.Enrichment();
    ApplyFlowEvent(e, pool, rec);
  }
  FlowJsonWriter writer(pool);
  for (const FlowRecord& rec : records) {
    std::string one, reference;
    ASSERT_TRUE(writer.Append(rec, "n", one).ok());
    ASSERT_TRUE(AppendFlowJsonByPrinter(rec, pool, "n", reference).ok());
    ASSERT_EQ(one, reference);
  }
  for (FlowRecord& rec : records) ReleaseRecord(pool, rec);
}

// Events as flowtop replay --json prints them: random flows of every
// shape (unmerged: what a recording holds), written from the message.
v1::FlowEvent RandomEvent(RandomFlows& gen) {
  v1::FlowEvent e;
  e.set_seq(gen.Number());
  e.set_time_unix_nanos(static_cast<int64_t>(gen.Number()));
  e.set_type(static_cast<v1::EventType>(gen.Pick(13)));
  if (gen.Coin()) e.set_node(gen.String());
  if (gen.Pick(8) == 0) return e;  // no flow
  v1::Flow* f = e.mutable_flow();
  if (gen.Coin()) *f = gen.Kernel();
  if (gen.Coin()) f->MergeFrom(gen.Traffic());
  if (gen.Coin()) f->MergeFrom(gen.Enrichment());
  if (gen.Pick(6) == 0) f->set_labels(gen.String());
  if (gen.Pick(6) == 0) f->set_id(gen.String());
  if (gen.Pick(8) == 0) f->set_family(static_cast<v1::AddressFamily>(-gen.Pick(3) - 1));
  if (gen.Pick(8) == 0) f->set_tcp_state(static_cast<v1::TcpState>(1000 + gen.Pick(3)));
  if (gen.Pick(8) == 0) f->mutable_original()->set_src_port(static_cast<uint32_t>(gen.Number()));
  if (gen.Pick(8) == 0) f->mutable_reply()->set_dst_addr(gen.String());  // text, no bytes
  if (gen.Pick(10) == 0) f->mutable_enrichment()->mutable_dst()->mutable_geo();
  return e;
}

TEST(FlowEventJsonTest, RandomEventsPrintAsThePrinter) {
  RandomFlows gen(99);
  for (int i = 0; i < 5000; ++i) {
    const v1::FlowEvent e = RandomEvent(gen);
    std::string ours, printer;
    ASSERT_TRUE(AppendFlowEventJson(e, ours).ok());
    ASSERT_TRUE(AppendFlowEventJsonByPrinter(e, printer).ok());
    ASSERT_EQ(ours, printer) << "event " << i << ": " << e.ShortDebugString();
  }
}

TEST(FlowEventJsonTest, EveryFieldAndTheDocumentedLine) {
  v1::FlowEvent e;
  int n = 0;
  FillEveryField(e, n);
  e.clear_lost();
  e.clear_status();
  v1::Tuple* t = e.mutable_flow()->mutable_original();
  t->set_src_ip(std::string("\xc0\x00\x02\x01", 4));  // text from the bytes
  std::string ours, printer;
  ASSERT_TRUE(AppendFlowEventJson(e, ours).ok());
  ASSERT_TRUE(AppendFlowEventJsonByPrinter(e, printer).ok());
  EXPECT_EQ(ours, printer);
  EXPECT_NE(ours.find(R"("srcAddr":"192.0.2.1")"), std::string::npos) << ours;

  v1::FlowEvent destroy;
  destroy.set_seq(41);
  destroy.set_time_unix_nanos(1700000000000000000);
  destroy.set_type(v1::DESTROY);
  destroy.set_node("n1");
  destroy.mutable_flow()->set_conntrack_id(9);
  ours.clear();
  ASSERT_TRUE(AppendFlowEventJson(destroy, ours).ok());
  EXPECT_EQ(ours, R"({"seq":"41","timeUnixNanos":"1700000000000000000","type":"DESTROY",)"
                  R"("node":"n1","flow":{"conntrackId":9}})");
}

TEST(FlowEventJsonTest, LostAndStatusEventsGoThroughThePrinter) {
  v1::FlowEvent lost;
  lost.set_type(v1::LOST);
  lost.mutable_lost()->set_source(v1::RECORDING);
  lost.mutable_lost()->set_count(3);
  lost.mutable_lost()->set_detail("block 7: \"crc\"");
  v1::FlowEvent status;
  status.set_type(v1::STATUS);
  int n = 0;
  FillEveryField(*status.mutable_status(), n);
  for (const v1::FlowEvent& e : {lost, status}) {
    std::string ours, printer;
    ASSERT_TRUE(AppendFlowEventJson(e, ours).ok());
    ASSERT_TRUE(AppendFlowEventJsonByPrinter(e, printer).ok());
    EXPECT_EQ(ours, printer);
  }
}

}  // namespace
}  // namespace flowtop::core
