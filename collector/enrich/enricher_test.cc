#include "collector/enrich/enricher.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "collector/enrich/fake_lookups.h"
#include "core/fake_clock.h"
#include "core/pipeline.h"
#include "gtest/gtest.h"
#include "tests/enrich/testing/fixtures.h"

namespace flowtop::collector::enrich {
namespace {

using ::flowtop::testing::MakeTempDir;
using ::flowtop::testing::WriteFile;
using ::flowtop::testing::WriteMmdb;

std::string V4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                     static_cast<char>(d)};
}

// Records every event the pipeline forwards.
class RecordingSink final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    absl::MutexLock lock(&mu_);
    for (const auto& e : events) events_.push_back(e);
  }
  std::vector<v1::FlowEvent> OfType(v1::EventType type) {
    absl::MutexLock lock(&mu_);
    std::vector<v1::FlowEvent> out;
    for (const auto& e : events_) {
      if (e.type() == type) out.push_back(e);
    }
    return out;
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::FlowEvent> events_ ABSL_GUARDED_BY(mu_);
};

// A socket lookup that holds every caller until Open() (to fill the queue).
class GatedSocketLookup final : public SocketLookup {
 public:
  absl::StatusOr<SocketInfo> Find(const SocketKey&) override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&open_));
    return absl::NotFoundError("none");
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
};

v1::FlowEvent NewFlow(uint32_t id, const std::string& src, uint32_t sport,
                      const std::string& dst, uint32_t dport,
                      v1::L4Protocol protocol = v1::TCP) {
  v1::FlowEvent event;
  event.set_type(v1::NEW);
  v1::Flow* flow = event.mutable_flow();
  flow->set_conntrack_id(id);
  flow->set_protocol(protocol);
  flow->set_family(v1::IPV4);
  v1::Tuple* o = flow->mutable_original();
  o->set_src_ip(src);
  o->set_src_port(sport);
  o->set_dst_ip(dst);
  o->set_dst_port(dport);
  v1::Tuple* r = flow->mutable_reply();
  r->set_src_ip(dst);
  r->set_src_port(dport);
  r->set_dst_ip(src);
  r->set_dst_port(sport);
  return event;
}

class EnricherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = MakeTempDir("enricher");
    ASSERT_TRUE(WriteMmdb("maxmind-city", dir + "/city.mmdb").ok());
    ASSERT_TRUE(WriteMmdb("asn", dir + "/asn.mmdb").ok());
    geo_dir_ = dir;
    tcp_conf_ = dir + "/tcp.conf";
    ASSERT_TRUE(WriteFile(tcp_conf_, "443, https\n"));
    udp_conf_ = dir + "/udp.conf";
    ASSERT_TRUE(WriteFile(udp_conf_, "53, domain\n"));
    pipeline_.AddSink(&recorded_);
  }

  // An Enricher publishing into `out`, given one new flow to enrich.
  std::unique_ptr<Enricher> EnrichOneFlow(core::EventSink& out) {
    auto enricher = std::make_unique<Enricher>(Parts(), out, clock_);
    std::vector<v1::FlowEvent> batch = {
        NewFlow(1, V4(10, 0, 0, 1), 1000, V4(8, 8, 8, 8), 443)};
    enricher->Publish(absl::MakeSpan(batch));
    return enricher;
  }

  EnricherParts Parts() {
    EnricherParts parts;
    auto sockets = std::make_unique<FakeSocketLookup>();
    auto processes = std::make_unique<FakeProcessLookup>();
    auto local = std::make_unique<FakeLocalAddresses>();
    sockets_ = sockets.get();
    processes_ = processes.get();
    local_ = local.get();
    parts.sockets = std::move(sockets);
    parts.processes = std::move(processes);
    parts.local = std::move(local);
    parts.geoip = GeoIp::Open({{}, {geo_dir_}});
    std::vector<std::string> problems;
    parts.services = std::make_unique<ServiceNames>(
        ServiceNames::Load({tcp_conf_, udp_conf_, ""}, &problems));
    return parts;
  }

  core::FakeClock clock_;
  core::Pipeline pipeline_{core::PipelineOptions{}, clock_};
  RecordingSink recorded_;
  std::string geo_dir_, tcp_conf_, udp_conf_;
  FakeSocketLookup* sockets_ = nullptr;
  FakeProcessLookup* processes_ = nullptr;
  FakeLocalAddresses* local_ = nullptr;
};

TEST_F(EnricherTest, NewFlowGetsProcessGeoAndServiceInOneEnrichEvent) {
  auto enricher = std::make_unique<Enricher>(Parts(), pipeline_, clock_);
  pipeline_.AddSink(enricher.get());
  const std::string host = V4(192, 168, 1, 10), google = V4(8, 8, 8, 8);
  local_->Add(host);
  sockets_->AddConnected({v1::TCP, host, 40000, google, 443}, 7);
  processes_->Add(7, 1234, "firefox");

  std::vector<v1::FlowEvent> batch = {NewFlow(1, host, 40000, google, 443)};
  pipeline_.Publish(absl::MakeSpan(batch));
  enricher->Drain();

  std::vector<v1::FlowEvent> enrich = recorded_.OfType(v1::ENRICH);
  ASSERT_EQ(enrich.size(), 1u);
  EXPECT_EQ(enrich[0].flow().conntrack_id(), 1u);
  EXPECT_FALSE(enrich[0].flow().has_original());  // enrichment only
  EXPECT_EQ(enrich[0].node(), "local");            // stamped like any event
  EXPECT_EQ(enrich[0].flow().node(), "local");
  EXPECT_EQ(enrich[0].flow().id(), "local/1");
  pipeline_.WithTable([&](const core::FlowTable& table) {
    const v1::Flow* flow = table.Find(1);
    ASSERT_NE(flow, nullptr);
    const v1::Enrichment& e = flow->enrichment();
    EXPECT_EQ(e.src().process().pid(), 1234u);
    EXPECT_EQ(e.src().process().name(), "firefox");
    // Looked up, no local owner: no (empty) Process, so JSON has no
    // "process":{}; the TUI shows "-".
    EXPECT_FALSE(e.dst().has_process());
    EXPECT_FALSE(e.src().has_geo());  // private address: unknown
    EXPECT_EQ(e.dst().geo().country_code(), "US");
    EXPECT_EQ(e.dst().geo().city(), "Mountain View");
    EXPECT_EQ(e.dst().geo().as_number(), 15169u);
    EXPECT_EQ(e.service(), "https");
    EXPECT_FALSE(e.own_traffic());
  });
  EXPECT_EQ(enricher->stats().enriched, 1u);
}

// Any user may name a process with any bytes (/proc/self/comm). Such a
// name used to reach the table as it was: the stored Process no longer
// parsed back, and gRPC clients could not parse the event.
TEST_F(EnricherTest, ANameThatIsNotUtf8IsRepairedAtTheSource) {
  auto enricher = std::make_unique<Enricher>(Parts(), pipeline_, clock_);
  pipeline_.AddSink(enricher.get());
  const std::string host = V4(192, 168, 1, 10), google = V4(8, 8, 8, 8);
  local_->Add(host);
  sockets_->AddConnected({v1::TCP, host, 40000, google, 443}, 7);
  processes_->Add(7, 1234, std::string("ev\xffil\xc3", 6));

  std::vector<v1::FlowEvent> batch = {NewFlow(1, host, 40000, google, 443)};
  pipeline_.Publish(absl::MakeSpan(batch));
  enricher->Drain();

  std::vector<v1::FlowEvent> enrich = recorded_.OfType(v1::ENRICH);
  ASSERT_EQ(enrich.size(), 1u);
  std::string bytes;
  ASSERT_TRUE(enrich[0].SerializeToString(&bytes));
  v1::FlowEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  const std::string repaired = "ev\xef\xbf\xbdil\xef\xbf\xbd";
  EXPECT_EQ(parsed.flow().enrichment().src().process().name(), repaired);
  EXPECT_EQ(parsed.flow().enrichment().src().process().exe(),
            "/usr/bin/" + repaired);
  pipeline_.WithTable([&](const core::FlowTable& table) {
    const v1::Flow* flow = table.Find(1);
    ASSERT_NE(flow, nullptr);
    EXPECT_EQ(flow->enrichment().src().process().name(), repaired);
    EXPECT_EQ(flow->enrichment().src().process().pid(), 1234u);
    EXPECT_EQ(flow->enrichment().src().process().user(), "root");
  });
}

TEST_F(EnricherTest, FullQueueSkipsAndCountsWithoutBlocking) {
  EnricherParts parts = Parts();
  auto gated = std::make_unique<GatedSocketLookup>();
  GatedSocketLookup* gate = gated.get();
  parts.sockets = std::move(gated);
  parts.max_queue = 2;
  parts.workers = 1;
  auto enricher = std::make_unique<Enricher>(std::move(parts), pipeline_, clock_);
  pipeline_.AddSink(enricher.get());
  std::vector<v1::FlowEvent> batch;
  for (uint32_t id = 1; id <= 10; ++id) {
    batch.push_back(NewFlow(id, V4(10, 0, 0, 1), 1000 + id, V4(8, 8, 8, 8), 443));
  }
  // One batch: the enricher queues 2 flows and skips 8, all without waiting
  // for the (blocked) worker.
  pipeline_.Publish(absl::MakeSpan(batch));
  EXPECT_EQ(enricher->stats().queued, 2u);
  EXPECT_EQ(enricher->stats().skipped, 8u);
  // More events pass while the worker is still blocked.
  std::vector<v1::FlowEvent> more = {NewFlow(11, V4(10, 0, 0, 1), 2000, V4(8, 8, 8, 8), 443)};
  pipeline_.Publish(absl::MakeSpan(more));
  EXPECT_EQ(recorded_.OfType(v1::NEW).size(), 11u);
  gate->Open();
  enricher->Drain();
  EXPECT_GE(enricher->stats().enriched, 2u);
  EXPECT_EQ(pipeline_.stats().flows, 11u);
}

TEST_F(EnricherTest, ResultsForADestroyedFlowAreDropped) {
  EnricherParts parts = Parts();
  auto gated = std::make_unique<GatedSocketLookup>();
  GatedSocketLookup* gate = gated.get();
  parts.sockets = std::move(gated);
  parts.workers = 1;
  auto enricher = std::make_unique<Enricher>(std::move(parts), pipeline_, clock_);
  pipeline_.AddSink(enricher.get());
  std::vector<v1::FlowEvent> batch = {NewFlow(5, V4(10, 0, 0, 1), 1000, V4(8, 8, 8, 8), 443)};
  pipeline_.Publish(absl::MakeSpan(batch));
  v1::FlowEvent destroy = batch[0];
  destroy.set_type(v1::DESTROY);
  // The id is reused at once by another flow, to another place.
  v1::FlowEvent reused = NewFlow(5, V4(10, 0, 0, 2), 2000, V4(81, 2, 69, 160), 80);
  std::vector<v1::FlowEvent> later = {destroy, reused};
  pipeline_.Publish(absl::MakeSpan(later));
  gate->Open();
  enricher->Drain();
  EXPECT_EQ(enricher->stats().stale, 1u);
  std::vector<v1::FlowEvent> enrich = recorded_.OfType(v1::ENRICH);
  ASSERT_EQ(enrich.size(), 1u);
  EXPECT_EQ(enrich[0].flow().enrichment().dst().geo().country_code(), "GB");
}

// Counts the Publish calls that carry ENRICH events, and those events.
class EnrichBatchCounter final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    size_t enrich = 0;
    for (const auto& e : events) enrich += e.type() == v1::ENRICH;
    if (enrich == 0) return;
    absl::MutexLock lock(&mu_);
    ++calls_;
    events_ += enrich;
  }
  size_t calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  size_t events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  absl::Mutex mu_;
  size_t calls_ ABSL_GUARDED_BY(mu_) = 0;
  size_t events_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST_F(EnricherTest, BurstComesBackInFewPublishes) {
  EnrichBatchCounter counter;
  pipeline_.AddSink(&counter);
  EnricherParts parts = Parts();
  parts.workers = 1;
  auto enricher = std::make_unique<Enricher>(std::move(parts), pipeline_, clock_);
  pipeline_.AddSink(enricher.get());
  constexpr uint32_t kFlows = 2000;
  std::vector<v1::FlowEvent> burst;
  for (uint32_t id = 1; id <= kFlows; ++id) {
    burst.push_back(NewFlow(id, V4(10, 0, id >> 8, id & 255), 1000, V4(8, 8, 8, 8), 443));
  }
  pipeline_.Publish(absl::MakeSpan(burst));
  enricher->Drain();
  // Every flow enriched, in rounds of kPublishBatch flows: one Publish each.
  EXPECT_EQ(enricher->stats().enriched, kFlows);
  EXPECT_EQ(counter.events(), kFlows);
  EXPECT_EQ(counter.calls(), (kFlows + Enricher::kPublishBatch - 1) / Enricher::kPublishBatch);
  pipeline_.WithTable([&](const core::FlowTable& table) {
    for (uint32_t id = 1; id <= kFlows; ++id) {
      const v1::Flow* flow = table.Find(id);
      ASSERT_NE(flow, nullptr);
      EXPECT_EQ(flow->enrichment().service(), "https");
      EXPECT_EQ(flow->enrichment().dst().geo().country_code(), "US");
    }
  });
}

// The Pipeline as an enrichment worker sees it when the collector's source
// holds it: TryPublish fails while busy. Calls are logged in order: 'B' a
// Busy() that said yes, 'T' a TryPublish that gave way, 't' one that
// published, 'P' a waiting Publish.
class BusySink final : public core::EventSink {
 public:
  explicit BusySink(bool busy) : busy_(busy) {}
  void Publish(absl::Span<v1::FlowEvent> events) override { Log('P', events.size()); }
  bool TryPublish(absl::Span<v1::FlowEvent> events) override {
    absl::MutexLock lock(&mu_);
    if (busy_) {
      log_ += 'T';
      return false;
    }
    log_ += 't';
    delivered_ += events.size();
    return true;
  }
  bool Busy() override {
    absl::MutexLock lock(&mu_);
    if (busy_) log_ += 'B';
    return busy_;
  }
  void SetBusy(bool busy) {
    absl::MutexLock lock(&mu_);
    busy_ = busy;
  }
  // Waits (up to 30 s) until `pred(log)` holds; returns the log.
  template <typename Pred>
  std::string WaitFor(Pred pred) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pred(log_); };
    mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(30));
    return log_;
  }
  size_t delivered() {
    absl::MutexLock lock(&mu_);
    return delivered_;
  }

 private:
  void Log(char c, size_t n) {
    absl::MutexLock lock(&mu_);
    log_ += c;
    delivered_ += n;
  }
  absl::Mutex mu_;
  bool busy_ ABSL_GUARDED_BY(mu_);
  std::string log_ ABSL_GUARDED_BY(mu_);
  size_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
};

bool Delivered(const std::string& log) {
  return log.find_first_of("tP") != std::string::npos;
}

// Moves a FakeClock by a millisecond per millisecond of real time while it
// lives: for tests that let time pass rather than move it step by step.
class Ticker {
 public:
  explicit Ticker(core::FakeClock& clock)
      : thread_([this, &clock] {
          while (!stop_.load()) {
            absl::SleepFor(absl::Milliseconds(1));
            clock.Advance(absl::Milliseconds(1));
          }
        }) {}
  ~Ticker() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};


TEST_F(EnricherTest, RoundsGiveWayToABusyPipeline) {
  BusySink out(/*busy=*/true);
  Ticker ticker(clock_);
  auto enricher = EnrichOneFlow(out);
  // The lookups wait for the pipeline first (B), then the round retries
  // instead of waiting for it (T)...
  std::string log = out.WaitFor([](const std::string& l) {
    return std::count(l.begin(), l.end(), 'T') >= 3;
  });
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log[0], 'B') << log;
  const size_t first_try = log.find('T');
  EXPECT_EQ(log.find_first_not_of('B'), first_try) << log;
  EXPECT_EQ(log.find_first_not_of('T', first_try), std::string::npos) << log;
  // ...and goes in as soon as the pipeline is free (or, on a slow machine,
  // once it stopped giving way): exactly once.
  out.SetBusy(false);
  log = out.WaitFor(Delivered);
  EXPECT_EQ(log.find_first_not_of("BT"), log.size() - 1) << log;
  EXPECT_EQ(out.delivered(), 1u);
}

TEST_F(EnricherTest, RoundsStopGivingWayAfterMaxYield) {
  BusySink out(/*busy=*/true);
  Ticker ticker(clock_);
  auto enricher = EnrichOneFlow(out);
  // A pipeline that stays busy still gets the round: once it waited
  // kMaxYield, by a Publish that waits its turn.
  const std::string log = out.WaitFor(Delivered);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back(), 'P') << log;
  EXPECT_EQ(log.find_first_not_of("BT"), log.size() - 1) << log;
  EXPECT_EQ(out.delivered(), 1u);
}

// Giving way is timed on the clock: real time passing moves nothing on, the
// clock reaching kMaxYield does, first for the lookups ('B': held back),
// then for the round ('T': gave way), which then waits its turn ('P').
TEST_F(EnricherTest, GivingWayEndsWhenTheClockPassesMaxYield) {
  BusySink out(/*busy=*/true);
  auto enricher = EnrichOneFlow(out);
  auto log_is = [&](const std::string& want) {
    // The worker is waiting on the clock; real time passes; nothing moves.
    EXPECT_TRUE(clock_.AwaitWaiters(1, absl::Seconds(30))) << "the worker does not wait on its clock";
    absl::SleepFor(Enricher::kMaxYield + absl::Milliseconds(50));
    EXPECT_EQ(out.WaitFor([](const std::string&) { return true; }), want);
  };
  // The batching delay first (fewer than kPublishBatch flows wait).
  ASSERT_TRUE(clock_.AwaitWaiters(1, absl::Seconds(30))) << "the worker does not wait on its clock";
  clock_.Advance(Enricher::kMaxBatchDelay);
  out.WaitFor([](const std::string& l) { return !l.empty(); });
  log_is("B");
  clock_.Advance(Enricher::kMaxYield);
  out.WaitFor([](const std::string& l) { return l.size() >= 2; });
  log_is("BT");
  clock_.Advance(Enricher::kMaxYield);
  EXPECT_EQ(out.WaitFor(Delivered), "BTP");
  EXPECT_EQ(out.delivered(), 1u);
}

// A round of fewer than kPublishBatch flows waits kMaxBatchDelay on the
// clock before it starts.
TEST_F(EnricherTest, BatchDelayIsOnTheClock) {
  auto enricher = std::make_unique<Enricher>(Parts(), pipeline_, clock_);
  pipeline_.AddSink(enricher.get());
  std::vector<v1::FlowEvent> batch = {
      NewFlow(1, V4(10, 0, 0, 1), 1000, V4(8, 8, 8, 8), 443)};
  pipeline_.Publish(absl::MakeSpan(batch));
  ASSERT_TRUE(clock_.AwaitWaiters(1, absl::Seconds(30))) << "the worker does not wait on its clock";
  absl::SleepFor(Enricher::kMaxBatchDelay + absl::Milliseconds(50));  // real time
  EXPECT_TRUE(recorded_.OfType(v1::ENRICH).empty());
  clock_.Advance(Enricher::kMaxBatchDelay - absl::Milliseconds(1));
  EXPECT_TRUE(recorded_.OfType(v1::ENRICH).empty());
  clock_.Advance(absl::Milliseconds(1));
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (recorded_.OfType(v1::ENRICH).empty() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(recorded_.OfType(v1::ENRICH).size(), 1u);
}

TEST_F(EnricherTest, DrainDoesNotWaitForABusyPipelineToYield) {
  BusySink out(/*busy=*/true);
  auto enricher = EnrichOneFlow(out);
  enricher->Drain();
  EXPECT_EQ(out.delivered(), 1u);
  const std::string log = out.WaitFor(Delivered);
  EXPECT_EQ(log.back(), 'P');
}

TEST_F(EnricherTest, SeveralWorkersNeverEnrichAReusedIdWithTheOldFlow) {
  EnricherParts parts = Parts();
  parts.workers = 3;
  auto enricher = std::make_unique<Enricher>(std::move(parts), pipeline_, clock_);
  pipeline_.AddSink(enricher.get());
  // Ids 1..300 start as HTTPS flows, end, and come back as DNS flows, in
  // small batches so the workers take the queue in many parts.
  constexpr uint32_t kIds = 300;
  for (int round = 0; round < 2; ++round) {
    for (uint32_t id = 1; id <= kIds; id += 10) {
      std::vector<v1::FlowEvent> batch;
      for (uint32_t i = id; i < id + 10; ++i) {
        if (round == 1) {
          v1::FlowEvent end;
          end.set_type(v1::DESTROY);
          end.mutable_flow()->set_conntrack_id(i);
          batch.push_back(end);
        }
        batch.push_back(round == 0
                            ? NewFlow(i, V4(10, 0, 1, i & 255), 1000, V4(8, 8, 8, 8), 443)
                            : NewFlow(i, V4(10, 0, 2, i & 255), 1000, V4(8, 8, 4, 4), 53,
                                      v1::UDP));
      }
      pipeline_.Publish(absl::MakeSpan(batch));
    }
  }
  enricher->Drain();
  pipeline_.WithTable([&](const core::FlowTable& table) {
    for (uint32_t id = 1; id <= kIds; ++id) {
      const v1::Flow* flow = table.Find(id);
      ASSERT_NE(flow, nullptr);
      EXPECT_EQ(flow->enrichment().service(), "domain") << "id " << id;
    }
  });
}

TEST_F(EnricherTest, OwnDnsQueryFlowIsMarked) {
  auto enricher = std::make_unique<Enricher>(Parts(), pipeline_, clock_);
  pipeline_.AddSink(enricher.get());
  const std::string host = V4(192, 168, 1, 10), resolver = V4(192, 168, 1, 1);
  local_->Add(host);
  sockets_->AddConnected({v1::UDP, host, 33333, resolver, 53}, 9);
  processes_->Add(9, static_cast<uint32_t>(getpid()), "flowtop");
  sockets_->AddConnected({v1::UDP, host, 44444, resolver, 53}, 10);
  processes_->Add(10, 1, "systemd-resolve");
  std::vector<v1::FlowEvent> batch = {
      NewFlow(1, host, 33333, resolver, 53, v1::UDP),
      NewFlow(2, host, 44444, resolver, 53, v1::UDP)};
  pipeline_.Publish(absl::MakeSpan(batch));
  enricher->Drain();
  pipeline_.WithTable([](const core::FlowTable& table) {
    EXPECT_TRUE(table.Find(1)->enrichment().own_traffic());
    EXPECT_FALSE(table.Find(2)->enrichment().own_traffic());
    EXPECT_EQ(table.Find(2)->enrichment().service(), "domain");
  });
  EXPECT_EQ(enricher->stats().own_traffic, 1u);
}

TEST_F(EnricherTest, CreateWithNothingAvailableExplainsInHints) {
  EnricherOptions options;
  options.no_dns = true;
  options.geoip.dirs = {MakeTempDir("nogeo")};
  options.services.tcp_conf = "/nonexistent/tcp.conf";
  auto enricher = Enricher::Create(options, pipeline_, clock_);
  ASSERT_GE(enricher->hints().size(), 2u);
  bool geo_hint = false, conf_hint = false;
  for (const auto& h : enricher->hints()) {
    geo_hint = geo_hint || h.find("fetch-geoip.sh") != std::string::npos;
    conf_hint = conf_hint || h.find("/nonexistent/tcp.conf") != std::string::npos;
  }
  EXPECT_TRUE(geo_hint);
  EXPECT_TRUE(conf_hint);
  EXPECT_EQ(enricher->resolver(), nullptr);
}

}  // namespace
}  // namespace flowtop::collector::enrich
