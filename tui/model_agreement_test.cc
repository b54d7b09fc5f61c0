// The TUI's model and core's FlowTable hold the same flows after the same
// events: one merge rule (core/flow_record's ApplyFlowEvent) serves both
// (issue 11). Random event sequences over a few dozen flows, every kind
// (NEW, SNAPSHOT, UPDATE, ENRICH incl. stale ones, COUNTERS, DESTROY),
// compared flow by flow after every batch, with snapshots held across
// batches so that copy-on-write chunks are exercised too.
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/fake_clock.h"
#include "core/event_source.h"
#include "core/flow_key.h"
#include "core/flow_store.h"
#include "core/flow_table.h"
#include "core/pipeline.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tui/model.h"

namespace flowtop::tui {
namespace {

// Counters and rates present but empty say nothing: the view drops them.
void DropEmptyTraffic(v1::Flow& f) {
  if (f.original_counters().ByteSizeLong() == 0) f.clear_original_counters();
  if (f.reply_counters().ByteSizeLong() == 0) f.clear_reply_counters();
  if (f.original_rate().ByteSizeLong() == 0) f.clear_original_rate();
  if (f.reply_rate().ByteSizeLong() == 0) f.clear_reply_rate();
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  v1::FlowEvent Next() {
    static constexpr v1::EventType kTypes[] = {v1::NEW,    v1::SNAPSHOT, v1::UPDATE,
                                               v1::ENRICH, v1::COUNTERS, v1::COUNTERS,
                                               v1::DESTROY};
    v1::FlowEvent e;
    e.set_type(kTypes[Pick(7)]);
    e.set_time_unix_nanos(time_ += 1 + Pick(1000));
    const uint32_t id = 1 + Pick(40);
    v1::Flow& f = *e.mutable_flow();
    f.set_conntrack_id(id);
    if (Pick(4) != 0) f.set_key((uint64_t{0x5000 + id % 7} << 32) | id);
    switch (e.type()) {
      case v1::NEW:
      case v1::SNAPSHOT:
      case v1::UPDATE:
        KernelView(id, f);
        if (Pick(2)) Traffic(f);
        if (Pick(2)) Enrichment(*f.mutable_enrichment());
        break;
      case v1::ENRICH:
        Enrichment(*f.mutable_enrichment());
        if (Pick(4) == 0) f.set_first_seen_unix_nanos(1 + Pick(3));  // often stale
        break;
      case v1::COUNTERS:
        Traffic(f);
        break;
      default:
        break;
    }
    return e;
  }

 private:
  uint32_t Pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

  std::string Address(bool v6) {
    std::string a = v6 ? std::string(16, '\x20') : std::string("\x0a\x00\x00", 3);
    a.push_back(static_cast<char>(Pick(200)));
    if (v6) a.pop_back();
    return a;
  }

  void KernelView(uint32_t id, v1::Flow& f) {
    const bool v6 = id % 3 == 0;
    f.set_family(v6 ? v1::IPV6 : v1::IPV4);
    const bool udp = id % 4 == 0;
    f.set_protocol(udp ? v1::UDP : v1::TCP);
    f.set_protocol_number(udp ? 17 : 6);
    if (!udp) f.set_tcp_state(static_cast<v1::TcpState>(1 + Pick(8)));
    for (v1::Tuple* t : {f.mutable_original(), f.mutable_reply()}) {
      t->set_src_ip(Address(v6));
      t->set_dst_ip(Address(v6));
      t->set_src_port(1 + Pick(60000));
      t->set_dst_port(Pick(2) ? 443 : 53);
    }
    f.mutable_status()->set_assured(Pick(2));
    f.mutable_status()->set_seen_reply(Pick(2));
    f.set_mark(Pick(3));
    f.set_timeout_seconds(Pick(500));
    if (Pick(2)) f.set_start_unix_nanos(1'000 + Pick(100));
    if (Pick(3) == 0) f.set_node(Pick(2) ? "r1" : "r2");
    if (Pick(5) == 0) f.set_first_seen_unix_nanos(1 + Pick(3));
  }

  // Counters come with their rates: the model derives rates only when a
  // node sends counters alone (the TUI's own addition to the rule).
  void Traffic(v1::Flow& f) {
    if (Pick(3)) {
      f.mutable_original_counters()->set_bytes(Pick(100000));
      f.mutable_original_counters()->set_packets(Pick(1000));
      f.mutable_original_rate()->set_bytes_per_second(Pick(5000));
    }
    if (Pick(3)) {
      f.mutable_reply_counters()->set_bytes(Pick(100000));
      f.mutable_reply_rate()->set_packets_per_second(Pick(50));
    }
  }

  void Endpoint(v1::Endpoint& e) {
    static const char* kNames[] = {"curl", "sshd", "nginx", ""};
    if (Pick(2)) e.set_hostname(Pick(2) ? "a.example" : "b.example.net");
    if (Pick(2)) {
      v1::Process& p = *e.mutable_process();
      p.set_name(kNames[Pick(4)]);
      if (Pick(2)) p.set_pid(100 + Pick(3));
      if (Pick(3) == 0) p.set_unit("nginx.service");
    }
    if (Pick(2)) {
      static const char* kCountries[] = {"DE", "US", ""};
      e.mutable_geo()->set_country_code(kCountries[Pick(3)]);
      if (Pick(2)) e.mutable_geo()->set_city(Pick(2) ? "Berlin" : "Ashburn");
    }
  }

  void Enrichment(v1::Enrichment& e) {
    if (Pick(2)) Endpoint(*e.mutable_src());
    if (Pick(2)) Endpoint(*e.mutable_dst());
    if (Pick(3) == 0) e.set_service(Pick(2) ? "https" : "domain");
    if (Pick(5) == 0) e.set_own_traffic(true);
  }

  std::mt19937 rng_;
  int64_t time_ = 1'000'000;
};

std::map<uint64_t, v1::Flow> TableFlows(const core::FlowTable& table) {
  std::map<uint64_t, v1::Flow> out;
  for (v1::Flow f : table.Snapshot()) {
    DropEmptyTraffic(f);
    out[core::FlowKey(f)] = std::move(f);
  }
  return out;
}

std::map<uint64_t, v1::Flow> ModelFlows(const Snapshot& snap) {
  std::map<uint64_t, v1::Flow> out;
  for (size_t i = 0; i < snap.flows.size(); ++i) {
    v1::Flow f = snap.flows.Build(i).Complete();
    DropEmptyTraffic(f);
    out[core::FlowKey(f)] = std::move(f);
  }
  return out;
}

void ExpectSameFlows(const std::map<uint64_t, v1::Flow>& want,
                     const std::map<uint64_t, v1::Flow>& got, int seed, int batch) {
  ASSERT_EQ(want.size(), got.size()) << "seed " << seed << " batch " << batch;
  for (const auto& [key, flow] : want) {
    auto it = got.find(key);
    ASSERT_NE(it, got.end()) << "seed " << seed << " batch " << batch << " key " << key;
    std::string diff;
    google::protobuf::util::MessageDifferencer differ;
    differ.ReportDifferencesToString(&diff);
    ASSERT_TRUE(differ.Compare(flow, it->second))
        << "seed " << seed << " batch " << batch << " key " << key << ":\n" << diff;
  }
}

TEST(ModelAgreement, ModelAndFlowTableHoldTheSameFlows) {
  for (int seed = 1; seed <= 15; ++seed) {
    core::FakeClock clock;
    Model model(clock);
    const int source = model.AddSource("local");
    core::FlowTable table;
    Generator gen(static_cast<uint32_t>(seed));
    // Snapshots held while later events arrive (the writer clones the
    // chunks they share), each with the table's flows at its time: they
    // must not change.
    std::vector<std::pair<Snapshot, std::map<uint64_t, v1::Flow>>> held;
    size_t seen = 0;
    for (int batch = 0; batch < 30; ++batch) {
      std::vector<v1::FlowEvent> events;
      for (int i = 0; i < 25; ++i) events.push_back(gen.Next());
      for (const v1::FlowEvent& e : events) table.Apply(e);
      model.SinkFor(source).Publish(absl::MakeSpan(events));
      held.emplace_back(model.TakeSnapshot(), TableFlows(table));
      if (held.size() > 3) held.erase(held.begin());
      for (const auto& [snap, flows] : held) {
        ExpectSameFlows(flows, ModelFlows(snap), seed, batch);
      }
      seen += held.back().second.size();
    }
    EXPECT_GT(seen, 30u * 5) << "seed " << seed << ": too few flows to compare";
  }
}

// In local mode the collector's Pipeline keeps its flows in the model (the
// source's sink as a core::FlowStore) instead of a FlowTable of its own:
// one table in the process. The pipeline must pass on exactly what it
// passed with its own table (stale ENRICH dropped, DESTROY with the last
// state, first-seen times), and the model must hold what the table held.
class RecordingSink final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    seen.insert(seen.end(), events.begin(), events.end());
  }
  std::vector<v1::FlowEvent> seen;
};

TEST(ModelAgreement, ModelAsThePipelinesStoreAgreesWithItsOwnTable) {
  for (int seed = 1; seed <= 15; ++seed) {
    core::FakeClock clock;
    // Before: the pipeline's own table, the model a sink.
    core::Pipeline with_table({}, clock);
    Model sink_model(clock);
    RecordingSink passed_with_table;
    with_table.AddSink(&passed_with_table);
    with_table.AddSink(&sink_model.SinkFor(sink_model.AddSource("local")));
    // Now: the model is the pipeline's store.
    core::Pipeline with_model({}, clock);
    Model store_model(clock);
    core::FlowStore* store = store_model.SinkFor(store_model.AddSource("local")).flow_store();
    ASSERT_NE(store, nullptr);
    with_model.KeepFlowsIn(*store);
    RecordingSink passed_with_model;
    with_model.AddSink(&passed_with_model);

    Generator gen(static_cast<uint32_t>(seed));
    std::vector<std::pair<Snapshot, std::map<uint64_t, v1::Flow>>> held;
    size_t seen = 0;
    for (int batch = 0; batch < 30; ++batch) {
      std::vector<v1::FlowEvent> events;
      for (int i = 0; i < 25; ++i) events.push_back(gen.Next());
      std::vector<v1::FlowEvent> copy = events;
      with_table.Publish(absl::MakeSpan(events));
      with_model.Publish(absl::MakeSpan(copy));
      const std::map<uint64_t, v1::Flow> table_flows =
          with_table.WithTable([](const core::FlowTable& t) { return TableFlows(t); });
      held.emplace_back(store_model.TakeSnapshot(), table_flows);
      if (held.size() > 3) held.erase(held.begin());
      for (const auto& [snap, flows] : held) {
        ExpectSameFlows(flows, ModelFlows(snap), seed, batch);
      }
      ExpectSameFlows(ModelFlows(sink_model.TakeSnapshot()), ModelFlows(held.back().first),
                      seed, batch);
      EXPECT_EQ(with_model.View().size(), 0u) << "the pipeline kept a table of its own";
      EXPECT_EQ(with_model.stats().flows, store_model.size());
      seen += table_flows.size();
    }
    ASSERT_EQ(passed_with_table.seen.size(), passed_with_model.seen.size()) << "seed " << seed;
    for (size_t i = 0; i < passed_with_table.seen.size(); ++i) {
      ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
          passed_with_table.seen[i], passed_with_model.seen[i]))
          << "seed " << seed << " event " << i << ":\n"
          << passed_with_table.seen[i].DebugString() << "against\n"
          << passed_with_model.seen[i].DebugString();
    }
    EXPECT_EQ(with_table.stats().stale_enrich, with_model.stats().stale_enrich);
    EXPECT_GT(with_model.stats().stale_enrich, 0u) << "seed " << seed << ": no stale ENRICH";
    EXPECT_GT(seen, 30u * 5) << "seed " << seed << ": too few flows to compare";
  }
}

}  // namespace
}  // namespace flowtop::tui
