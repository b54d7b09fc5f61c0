// The whole local path with the real kernel: conntrack events from
// KernelSource go through the Pipeline to the Enricher, whose ENRICH events
// come back into the table. A socat server and a python3 client talk over
// two host addresses; dnsmasq answers the PTR queries; the resolver's own
// query flow, seen by conntrack like any other, is marked as own traffic.
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "core/clock.h"
#include "collector/enrich/enricher.h"
#include "collector/kernel_source.h"
#include "core/pipeline.h"
#include "gtest/gtest.h"
#include "tests/enrich/dns_server.h"
#include "tests/enrich/testing/fixtures.h"
#include "tests/enrich/test_clients.h"
#include "tests/netns/netns.h"

namespace flowtop::collector::enrich {
namespace {

using ::flowtop::testing::DnsServer;
using ::flowtop::testing::MakeTempDir;
using ::flowtop::testing::NetNs;
using ::flowtop::testing::WriteFile;
using ::flowtop::testing::WriteMmdb;

// Counts batches so a test can wait for "something new arrived".
class Ticker final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent>) override {
    absl::MutexLock lock(&mu_);
    ++batches_;
  }
  uint64_t batches() {
    absl::MutexLock lock(&mu_);
    return batches_;
  }
  // Waits until the count differs from `seen` or the deadline passes.
  void WaitPast(uint64_t seen, absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto moved = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return batches_ != seen; };
    mu_.AwaitWithDeadline(absl::Condition(&moved), deadline);
  }

 private:
  absl::Mutex mu_;
  uint64_t batches_ ABSL_GUARDED_BY(mu_) = 0;
};

class KernelEnrichNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = NetNs::Create();
    ASSERT_TRUE(ns.ok()) << ns.status();
    ns_ = *std::move(ns);
    absl::StatusOr<std::string> up =
        ns_->Run("ip addr add 10.2.3.4/32 dev lo && ip addr add 10.2.3.5/32 dev lo");
    ASSERT_TRUE(up.ok()) << up.status();
    auto dns = DnsServer::Start(*ns_, {"server.test,10.2.3.4", "client.test,10.2.3.5"});
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = *std::move(dns);
    dir_ = MakeTempDir("kernel_enrich");
    ASSERT_TRUE(WriteMmdb("maxmind-city", dir_ + "/city.mmdb").ok());
    ASSERT_TRUE(WriteFile(dir_ + "/tcp.conf", "8001, flowtop-test\n"));

    EnricherOptions options;
    options.geoip.dirs = {dir_};
    options.services = {dir_ + "/tcp.conf", "", ""};
    options.dns.servers = {"127.0.0.1:53"};
    KernelSourceOptions source_options;
    source_options.enable_accounting = false;
    source_options.rate_interval = absl::ZeroDuration();
    absl::Status created;
    ASSERT_TRUE(ns_->RunInside([&] {
                      auto source = KernelSource::Create(source_options);
                      created = source.status();
                      if (source.ok()) source_ = *std::move(source);
                      enricher_ = Enricher::Create(options, pipeline_, core::RealClock::Get());
                    }).ok());
    ASSERT_TRUE(created.ok()) << created;
    pipeline_.AddSink(&ticker_);
    pipeline_.AddSink(enricher_.get());
    runner_ = std::thread([this] { run_status_ = source_->Run(pipeline_); });
  }

  void TearDown() override {
    if (source_ != nullptr) source_->Stop();
    if (runner_.joinable()) runner_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_;
    enricher_.reset();
  }

  // Waits (at most 30 s) until some flow in the table satisfies `done`;
  // returns it.
  std::optional<v1::Flow> WaitForFlow(const std::function<bool(const v1::Flow&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      const uint64_t seen = ticker_.batches();
      std::optional<v1::Flow> found = pipeline_.WithTable([&](const core::FlowTable& table) {
        std::optional<v1::Flow> match;
        table.ForEach([&](const v1::Flow& f) {
          if (!match && done(f)) match = f;
        });
        return match;
      });
      if (found || absl::Now() >= deadline) return found;
      ticker_.WaitPast(seen, deadline);
    }
  }

  std::unique_ptr<NetNs> ns_;
  std::unique_ptr<DnsServer> dns_;
  std::string dir_;
  core::Pipeline pipeline_{core::PipelineOptions{}, core::RealClock::Get()};
  Ticker ticker_;
  std::unique_ptr<Enricher> enricher_;
  std::unique_ptr<KernelSource> source_;
  std::thread runner_;
  absl::Status run_status_;
};

TEST_F(KernelEnrichNetnsTest, LiveFlowGetsBothProcessesNamesGeoAndService) {
  absl::StatusOr<pid_t> server =
      ns_->Spawn("exec socat -u TCP4-LISTEN:8001,bind=10.2.3.4,reuseaddr OPEN:/dev/null");
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = ::flowtop::testing::StartClient(
      *ns_, dir_, {"AF_INET", "SOCK_STREAM", "10.2.3.4", 8001, "10.2.3.5"});
  ASSERT_TRUE(client.ok()) << client.status();

  std::optional<v1::Flow> flow = WaitForFlow([&](const v1::Flow& f) {
    const v1::Enrichment& e = f.enrichment();
    return f.original().dst_port() == 8001 &&
           f.original().src_port() == static_cast<uint32_t>(client->port) &&
           e.src().has_process() && e.dst().has_process() &&
           !e.src().hostname().empty() && !e.dst().hostname().empty();
  });
  ASSERT_TRUE(flow.has_value()) << "no enriched flow to port 8001 within 30 s";
  const v1::Enrichment& e = flow->enrichment();
  EXPECT_EQ(e.src().process().pid(), static_cast<uint32_t>(client->pid));
  EXPECT_EQ(e.src().process().name(), "python3");
  EXPECT_EQ(e.dst().process().pid(), static_cast<uint32_t>(*server));
  EXPECT_EQ(e.dst().process().name(), "socat");
  EXPECT_EQ(e.src().hostname(), "client.test");
  EXPECT_EQ(e.dst().hostname(), "server.test");
  EXPECT_EQ(e.dst().geo().country_code(), "FR");
  EXPECT_EQ(e.service(), "flowtop-test");
  EXPECT_FALSE(e.own_traffic());

  // The resolver's queries are one flow in the kernel's table, marked ours.
  std::optional<v1::Flow> own = WaitForFlow([](const v1::Flow& f) {
    return f.protocol() == v1::UDP && f.original().dst_port() == 53 &&
           f.enrichment().own_traffic();
  });
  ASSERT_TRUE(own.has_value()) << "the resolver's flow was not marked as own traffic";
  EXPECT_EQ(own->enrichment().src().process().pid(), static_cast<uint32_t>(getpid()));
  int dns_flows = pipeline_.WithTable([](const core::FlowTable& table) {
    int n = 0;
    table.ForEach([&](const v1::Flow& f) {
      n += f.protocol() == v1::UDP && f.original().dst_port() == 53;
    });
    return n;
  });
  EXPECT_EQ(dns_flows, 1);
}

}  // namespace
}  // namespace flowtop::collector::enrich
