// The shared merge rule (ApplyFlowEvent) per event kind, checked against a
// reference written with protobuf's own merges, and the round trip of every
// field of v1::Flow through a FlowRecord.
#include "core/flow_record.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/flow_key.h"
#include "core/string_pool.h"
#include "flowtop/v1/flowtop.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::util::MessageDifferencer;

// Sets every field of `m` (recursively) to a value unlike its default.
void FillEveryField(Message& m, int& n) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    ASSERT_FALSE(f->is_repeated()) << f->full_name() << ": fill it here";
    ++n;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: r->SetInt32(&m, f, n); break;
      case FieldDescriptor::CPPTYPE_INT64: r->SetInt64(&m, f, int64_t{n} << 33); break;
      case FieldDescriptor::CPPTYPE_UINT32: r->SetUInt32(&m, f, n); break;
      case FieldDescriptor::CPPTYPE_UINT64: r->SetUInt64(&m, f, (static_cast<uint64_t>(n) << 40) | static_cast<uint64_t>(n)); break;
      case FieldDescriptor::CPPTYPE_DOUBLE: r->SetDouble(&m, f, n + 0.25); break;
      case FieldDescriptor::CPPTYPE_FLOAT: r->SetFloat(&m, f, n + 0.5f); break;
      case FieldDescriptor::CPPTYPE_BOOL: r->SetBool(&m, f, true); break;
      case FieldDescriptor::CPPTYPE_ENUM: r->SetEnumValue(&m, f, 1 + n % 3); break;
      case FieldDescriptor::CPPTYPE_STRING:
        r->SetString(&m, f, "v" + std::to_string(n));
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        FillEveryField(*r->MutableMessage(&m, f), n);
        break;
    }
  }
}

v1::Flow EveryField() {
  v1::Flow flow;
  int n = 0;
  FillEveryField(flow, n);
  return flow;
}

// A flow as the kernel path makes it: IPv4 or IPv6 tuples, FlowIdFor's id.
v1::Flow KernelFlow(bool ipv6) {
  v1::Flow flow = EveryField();
  const std::string a = ipv6 ? std::string(15, '\x20') + "\x01" : "\xc0\x00\x02\x01";
  const std::string b = ipv6 ? std::string(15, '\x20') + "\x02" : "\xc6\x33\x64\x07";
  for (v1::Tuple* t : {flow.mutable_original(), flow.mutable_reply()}) {
    t->set_src_ip(t == flow.mutable_original() ? a : b);
    t->set_dst_ip(t == flow.mutable_original() ? b : a);
    t->clear_src_addr();
    t->clear_dst_addr();
  }
  flow.clear_labels();
  flow.set_id(FlowIdFor(flow.node(), flow));
  return flow;
}

v1::FlowEvent Event(v1::EventType type, const v1::Flow& flow, int64_t time = 5) {
  v1::FlowEvent event;
  event.set_type(type);
  event.set_time_unix_nanos(time);
  *event.mutable_flow() = flow;
  return event;
}

v1::Flow Built(const FlowRecord& record, const StringPool& pool) {
  v1::Flow out;
  ToFlow(record, pool, out);
  return out;
}

void ExpectSame(const v1::Flow& want, const v1::Flow& got) {
  std::string diff;
  MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(want, got)) << diff;
}

// ---------------------------------------------------------------------------
// Round trips

TEST(FlowRecord, EveryFieldSurvivesARoundTrip) {
  // Every field set, the ones the record does not model among them (labels,
  // an id of another node, text addresses): they travel in the tail.
  StringPool pool;
  FlowRecord record;
  const v1::Flow flow = EveryField();
  ApplyFlowEvent(Event(v1::SNAPSHOT, flow), pool, record);
  ExpectSame(flow, Built(record, pool));
  EXPECT_FALSE(record.tail.empty());
  ReleaseRecord(pool, record);
  EXPECT_EQ(pool.size(), 0u);
}

TEST(FlowRecord, KernelFlowsFitTheFixedFields) {
  for (bool ipv6 : {false, true}) {
    StringPool pool;
    FlowRecord record;
    const v1::Flow flow = KernelFlow(ipv6);
    ApplyFlowEvent(Event(v1::NEW, flow), pool, record);
    ExpectSame(flow, Built(record, pool));
    EXPECT_TRUE(record.tail.empty()) << "ipv6 " << ipv6;
    ReleaseRecord(pool, record);
    EXPECT_EQ(pool.size(), 0u);
  }
}

TEST(FlowRecord, ValuesBeyondTheFixedFieldsSurvive) {
  v1::Flow flow = KernelFlow(false);
  flow.set_protocol(static_cast<v1::L4Protocol>(300));
  flow.set_family(static_cast<v1::AddressFamily>(7));
  flow.set_tcp_state(static_cast<v1::TcpState>(1000));
  flow.mutable_original()->set_src_port(70000);  // does not fit 16 bits
  flow.mutable_reply()->set_icmp_type(256);
  flow.set_id("other-node/12");
  StringPool pool;
  FlowRecord record;
  ApplyFlowEvent(Event(v1::NEW, flow), pool, record);
  ExpectSame(flow, Built(record, pool));
  ReleaseRecord(pool, record);
}

TEST(FlowRecord, EnrichmentStringsAreSharedBetweenRecords) {
  StringPool pool;
  std::vector<FlowRecord> records(3);
  for (uint32_t i = 0; i < records.size(); ++i) {
    v1::Flow flow = KernelFlow(false);
    flow.set_conntrack_id(i + 1);
    flow.set_id(FlowIdFor(flow.node(), flow));
    ApplyFlowEvent(Event(v1::NEW, flow), pool, records[i]);
  }
  const size_t one = pool.size();
  EXPECT_EQ(records[0].src.process, records[2].src.process);
  EXPECT_EQ(records[0].dst.geo, records[1].dst.geo);
  for (FlowRecord& r : records) ReleaseRecord(pool, r);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_LT(one, 20u);  // node, secctx, hostnames, geo, process, service
}

TEST(FlowRecord, PoolIdsAreTheReferencesItHolds) {
  // A copy whose ids were taken with RefAll outlives the original's
  // release; ReleaseAll of the same ids then empties the pool.
  StringPool pool;
  FlowRecord record;
  ApplyFlowEvent(Event(v1::NEW, KernelFlow(true)), pool, record);
  const FlowRecord copy = record;
  std::vector<StringPool::Id> ids;
  AppendPoolIds(copy, ids);
  pool.RefAll(ids);
  ReleaseRecord(pool, record);
  ExpectSame(KernelFlow(true), Built(copy, pool));
  EXPECT_GT(pool.size(), 0u);
  pool.ReleaseAll(ids);
  EXPECT_EQ(pool.size(), 0u);
}

TEST(FlowRecord, AddressOfGivesToFlowsBytes) {
  StringPool pool;
  for (bool ipv6 : {false, true}) {
    FlowRecord record;
    const v1::Flow flow = KernelFlow(ipv6);
    ApplyFlowEvent(Event(v1::NEW, flow), pool, record);
    char v4[4];
    EXPECT_EQ(AddressOf(record, FlowRecord::kOriginalSrcAddr, pool, v4), flow.original().src_ip());
    EXPECT_EQ(AddressOf(record, FlowRecord::kOriginalDstAddr, pool, v4), flow.original().dst_ip());
    EXPECT_EQ(AddressOf(record, FlowRecord::kReplySrcAddr, pool, v4), flow.reply().src_ip());
    EXPECT_EQ(AddressOf(record, FlowRecord::kReplyDstAddr, pool, v4), flow.reply().dst_ip());
    ReleaseRecord(pool, record);
  }
  char v4[4];
  EXPECT_EQ(AddressOf(FlowRecord(), FlowRecord::kOriginalSrcAddr, pool, v4), "");
}

TEST(FlowRecord, StaysSmall) {
  // The table's budget is 256 bytes a flow with its index (docs/memory.md).
  EXPECT_LE(sizeof(FlowRecord), 208u);
}

// ---------------------------------------------------------------------------
// Per event kind

TEST(FlowRecord, NewTakesTheEventTimeAsFirstSeen) {
  v1::Flow flow = KernelFlow(false);
  flow.clear_first_seen_unix_nanos();
  StringPool pool;
  FlowRecord record;
  ApplyFlowEvent(Event(v1::NEW, flow, 777), pool, record);
  EXPECT_EQ(Built(record, pool).first_seen_unix_nanos(), 777);
  ReleaseRecord(pool, record);
}

TEST(FlowRecord, UpdateReplacesTheKernelViewAndKeepsTheRest) {
  StringPool pool;
  FlowRecord record;
  const v1::Flow first = KernelFlow(false);
  ApplyFlowEvent(Event(v1::NEW, first), pool, record);

  v1::Flow update;  // the kernel's view only: no counters, start, enrichment
  update.set_conntrack_id(first.conntrack_id());
  update.set_key(first.key());
  update.set_node(first.node());
  update.set_protocol(v1::TCP);
  update.set_tcp_state(v1::TCP_TIME_WAIT);
  update.mutable_enrichment()->mutable_dst()->set_hostname("later.example");
  ApplyFlowEvent(Event(v1::UPDATE, update, 99), pool, record);
  const v1::Flow got = Built(record, pool);

  v1::Flow want = update;
  want.set_first_seen_unix_nanos(first.first_seen_unix_nanos());
  *want.mutable_original_counters() = first.original_counters();
  *want.mutable_reply_counters() = first.reply_counters();
  *want.mutable_original_rate() = first.original_rate();
  *want.mutable_reply_rate() = first.reply_rate();
  want.set_start_unix_nanos(first.start_unix_nanos());
  *want.mutable_enrichment() = first.enrichment();
  want.mutable_enrichment()->mutable_dst()->set_hostname("later.example");
  ExpectSame(want, got);
  ReleaseRecord(pool, record);
  EXPECT_EQ(pool.size(), 0u);
}

TEST(FlowRecord, EnrichMergesLikeMergeFrom) {
  StringPool pool;
  FlowRecord record;
  v1::Flow flow = KernelFlow(false);
  flow.clear_enrichment();
  ApplyFlowEvent(Event(v1::NEW, flow), pool, record);
  v1::Flow want = Built(record, pool);

  std::vector<v1::Enrichment> parts(5);
  parts[0].set_service("https");
  parts[0].mutable_src()->mutable_process()->set_pid(42);
  parts[0].mutable_src()->mutable_process()->set_name("curl");
  parts[0].mutable_dst()->mutable_geo()->set_country_code("DE");
  parts[0].mutable_dst()->mutable_process();  // present but empty: "-"
  parts[1].mutable_dst()->set_hostname("example.org");
  parts[1].mutable_dst()->mutable_geo()->set_city("Berlin");  // merges into DE
  parts[2].mutable_src()->mutable_process()->set_cgroup("/system.slice/x.service");
  parts[3].set_service("http");  // a later value wins
  parts[4].set_own_traffic(true);
  for (const v1::Enrichment& part : parts) {
    v1::Flow enrich;
    enrich.set_conntrack_id(flow.conntrack_id());
    *enrich.mutable_enrichment() = part;
    ApplyFlowEvent(Event(v1::ENRICH, enrich), pool, record);
    want.mutable_enrichment()->MergeFrom(part);
    ExpectSame(want, Built(record, pool));
  }
  ReleaseRecord(pool, record);
  EXPECT_EQ(pool.size(), 0u);
}

TEST(FlowRecord, StaleEnrichIsIgnored) {
  StringPool pool;
  FlowRecord record;
  const v1::Flow flow = KernelFlow(false);
  ApplyFlowEvent(Event(v1::NEW, flow), pool, record);
  v1::Flow enrich;
  enrich.set_first_seen_unix_nanos(flow.first_seen_unix_nanos() + 1);
  enrich.mutable_enrichment()->set_service("stale");
  const v1::FlowEvent event = Event(v1::ENRICH, enrich);
  EXPECT_TRUE(IsStaleEnrichFor(event, record));
  ApplyFlowEvent(event, pool, record);
  EXPECT_EQ(Built(record, pool).enrichment().service(), flow.enrichment().service());
  ReleaseRecord(pool, record);
}

TEST(FlowRecord, CountersReplaceOnlyWhatTheEventCarries) {
  StringPool pool;
  FlowRecord record;
  const v1::Flow flow = KernelFlow(false);
  ApplyFlowEvent(Event(v1::NEW, flow), pool, record);
  v1::Flow counters;
  counters.mutable_reply_counters()->set_bytes(123456);
  counters.mutable_original_rate()->set_bytes_per_second(9.5);
  ApplyFlowEvent(Event(v1::COUNTERS, counters), pool, record);
  v1::Flow want = flow;
  *want.mutable_reply_counters() = counters.reply_counters();
  *want.mutable_original_rate() = counters.original_rate();
  ExpectSame(want, Built(record, pool));
  EXPECT_EQ(record.total_bytes(), flow.original_counters().bytes() + 123456);
  ReleaseRecord(pool, record);
}

TEST(FlowRecord, OtherEventsChangeNothing) {
  StringPool pool;
  FlowRecord record;
  const v1::Flow flow = KernelFlow(true);
  ApplyFlowEvent(Event(v1::NEW, flow), pool, record);
  for (v1::EventType type : {v1::DESTROY, v1::LOST, v1::STATUS, v1::SNAPSHOT_END}) {
    ApplyFlowEvent(Event(type, KernelFlow(false)), pool, record);
    ExpectSame(flow, Built(record, pool));
  }
  ReleaseRecord(pool, record);
  EXPECT_EQ(pool.size(), 0u);
}

// ---------------------------------------------------------------------------
// Against a reference: the rule written with protobuf's merges, over random
// event sequences.

void ReferenceApply(const v1::FlowEvent& event, bool exists, v1::Flow& stored) {
  const v1::Flow& update = event.flow();
  switch (event.type()) {
    case v1::NEW:
    case v1::SNAPSHOT:
    case v1::UPDATE: {
      const v1::Flow kept = stored;
      stored = update;
      v1::Enrichment enrichment = kept.enrichment();
      enrichment.MergeFrom(update.enrichment());
      stored.clear_enrichment();
      if (enrichment.ByteSizeLong() != 0) *stored.mutable_enrichment() = enrichment;
      if (exists && kept.first_seen_unix_nanos() != 0) {
        stored.set_first_seen_unix_nanos(kept.first_seen_unix_nanos());
      } else if (stored.first_seen_unix_nanos() == 0) {
        stored.set_first_seen_unix_nanos(event.time_unix_nanos());
      }
      if (!update.has_original_counters() && kept.has_original_counters())
        *stored.mutable_original_counters() = kept.original_counters();
      if (!update.has_reply_counters() && kept.has_reply_counters())
        *stored.mutable_reply_counters() = kept.reply_counters();
      if (!update.has_original_rate() && kept.has_original_rate())
        *stored.mutable_original_rate() = kept.original_rate();
      if (!update.has_reply_rate() && kept.has_reply_rate())
        *stored.mutable_reply_rate() = kept.reply_rate();
      if (!update.has_start_unix_nanos() && kept.has_start_unix_nanos())
        stored.set_start_unix_nanos(kept.start_unix_nanos());
      return;
    }
    case v1::ENRICH:
      stored.mutable_enrichment()->MergeFrom(update.enrichment());
      if (stored.enrichment().ByteSizeLong() == 0) stored.clear_enrichment();
      return;
    case v1::COUNTERS:
      if (update.has_original_counters())
        *stored.mutable_original_counters() = update.original_counters();
      if (update.has_reply_counters())
        *stored.mutable_reply_counters() = update.reply_counters();
      if (update.has_original_rate()) *stored.mutable_original_rate() = update.original_rate();
      if (update.has_reply_rate()) *stored.mutable_reply_rate() = update.reply_rate();
      return;
    default:
      return;
  }
}

// A random part of a full flow: each top-level field kept or dropped.
v1::Flow RandomPart(std::mt19937& rng, const v1::Flow& full) {
  v1::Flow part = full;
  const Descriptor* d = part.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    if (rng() % 2) part.GetReflection()->ClearField(&part, d->field(i));
  }
  part.clear_first_seen_unix_nanos();  // no stale ENRICH here
  part.set_id(FlowIdFor(part.node(), part));
  return part;
}

TEST(FlowRecord, RandomSequencesMatchTheReference) {
  std::mt19937 rng(12);
  const v1::EventType kinds[] = {v1::NEW, v1::UPDATE, v1::ENRICH, v1::COUNTERS, v1::DESTROY};
  for (int round = 0; round < 200; ++round) {
    StringPool pool;
    FlowRecord record;
    v1::Flow want;
    bool exists = false;
    for (int step = 0; step < 12; ++step) {
      v1::Flow full = KernelFlow(rng() % 2);
      int n = static_cast<int>(rng() % 1000);
      FillEveryField(*full.mutable_enrichment(), n);  // new values each step
      full.mutable_original_counters()->set_bytes(rng());
      v1::FlowEvent event = Event(kinds[rng() % 5], RandomPart(rng, full), 10 + step);
      if (!exists && event.type() != v1::NEW && event.type() != v1::UPDATE) continue;
      ReferenceApply(event, exists, want);
      ApplyFlowEvent(event, pool, record);
      exists = true;
      ExpectSame(want, Built(record, pool));
      if (HasFailure()) return;
    }
    ReleaseRecord(pool, record);
    EXPECT_EQ(pool.size(), 0u);
  }
}

}  // namespace
}  // namespace flowtop::core
