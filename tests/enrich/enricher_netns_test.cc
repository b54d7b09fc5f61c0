// The Enricher end to end in a network namespace: a socat server and a
// python3 client on two non-loopback host addresses, the flow read from the
// kernel's conntrack table and published into a real Pipeline, dnsmasq
// answering PTR queries, GeoIP from fixture databases.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/clock.h"
#include "collector/enrich/enricher.h"
#include "core/pipeline.h"
#include "gtest/gtest.h"
#include "tests/enrich/conntrack_flow.h"
#include "tests/enrich/dns_server.h"
#include "tests/enrich/testing/fixtures.h"
#include "tests/enrich/test_clients.h"
#include "tests/netns/netns.h"

namespace flowtop::collector::enrich {
namespace {

using ::flowtop::testing::DnsServer;
using ::flowtop::testing::FindFlow;
using ::flowtop::testing::MakeTempDir;
using ::flowtop::testing::NetNs;
using ::flowtop::testing::WriteFile;
using ::flowtop::testing::WriteMmdb;

// Wakes a waiting test when a flow's hostnames have arrived in ENRICH events.
class HostnameWatch final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    absl::MutexLock lock(&mu_);
    for (const auto& e : events) {
      if (e.type() != v1::ENRICH) continue;
      const v1::Enrichment& en = e.flow().enrichment();
      if (!en.src().hostname().empty()) src_named_.push_back(e.flow().conntrack_id());
      if (!en.dst().hostname().empty()) dst_named_.push_back(e.flow().conntrack_id());
    }
  }
  // Waits (at most 30 s) until flow `id` got both hostnames; returns whether.
  bool WaitForNames(uint32_t id) {
    absl::MutexLock lock(&mu_);
    auto named = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return std::count(src_named_.begin(), src_named_.end(), id) > 0 &&
             std::count(dst_named_.begin(), dst_named_.end(), id) > 0;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&named), absl::Seconds(30));
  }

 private:
  absl::Mutex mu_;
  std::vector<uint32_t> src_named_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> dst_named_ ABSL_GUARDED_BY(mu_);
};

class EnricherNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = NetNs::Create();
    ASSERT_TRUE(ns.ok()) << ns.status();
    ns_ = *std::move(ns);
    // Two host addresses that are not loopback (GeoIP and PTR fixtures know
    // them); no dummy interfaces on this kernel, so they go on lo.
    absl::StatusOr<std::string> up =
        ns_->Run("ip addr add 10.2.3.4/32 dev lo && ip addr add 10.2.3.5/32 dev lo");
    ASSERT_TRUE(up.ok()) << up.status();
    dir_ = MakeTempDir("enricher_netns");
    ASSERT_TRUE(WriteMmdb("maxmind-city", dir_ + "/city.mmdb").ok());
    ASSERT_TRUE(WriteFile(dir_ + "/tcp.conf", "8001, flowtop-test\n"));
    options_.geoip.files = {};
    options_.geoip.dirs = {dir_};
    options_.services = {dir_ + "/tcp.conf", "", ""};
    pipeline_.AddSink(&watch_);
  }

  void StartEnricher() {
    ASSERT_TRUE(ns_->RunInside([this] {
                      enricher_ = Enricher::Create(options_, pipeline_, core::RealClock::Get());
                    }).ok());
    pipeline_.AddSink(enricher_.get());
  }

  // Starts the server and client; returns the kernel's flow as a NEW event.
  v1::FlowEvent StartFlow(pid_t* server, pid_t* client) {
    absl::StatusOr<pid_t> s =
        ns_->Spawn("exec socat -u TCP4-LISTEN:8001,bind=10.2.3.4,reuseaddr OPEN:/dev/null");
    EXPECT_TRUE(s.ok()) << s.status();
    absl::StatusOr<::flowtop::testing::Client> c = ::flowtop::testing::StartClient(
        *ns_, dir_, {"AF_INET", "SOCK_STREAM", "10.2.3.4", 8001, "10.2.3.5"});
    EXPECT_TRUE(c.ok()) << c.status();
    *server = s.ok() ? *s : -1;
    *client = c.ok() ? c->pid : -1;
    absl::StatusOr<v1::Flow> flow =
        FindFlow(*ns_, absl::StrCat("-p tcp --dport 8001 --sport ", c.ok() ? c->port : 0));
    EXPECT_TRUE(flow.ok()) << flow.status();
    v1::FlowEvent event;
    event.set_type(v1::NEW);
    if (flow.ok()) *event.mutable_flow() = *flow;
    event.mutable_flow()->set_conntrack_id(1);
    return event;
  }

  std::unique_ptr<NetNs> ns_;
  std::string dir_;
  EnricherOptions options_;
  core::Pipeline pipeline_{core::PipelineOptions{}, core::RealClock::Get()};
  HostnameWatch watch_;
  std::unique_ptr<Enricher> enricher_;  // destroyed before the pipeline
};

TEST_F(EnricherNetnsTest, ProcessesGeoServiceAndNamesArrive) {
  auto dns = DnsServer::Start(*ns_, {"server.test,10.2.3.4", "client.test,10.2.3.5"});
  ASSERT_TRUE(dns.ok()) << dns.status();
  options_.dns.servers = {"127.0.0.1:53"};
  StartEnricher();
  EXPECT_TRUE(enricher_->hints().empty()) << enricher_->hints()[0];
  pid_t server = -1, client = -1;
  std::vector<v1::FlowEvent> batch = {StartFlow(&server, &client)};
  pipeline_.Publish(absl::MakeSpan(batch));

  ASSERT_TRUE(watch_.WaitForNames(1));
  // The names may come back before the worker has published the rest of
  // its batch; Drain waits for that. Enrichment is applied to the table
  // before sinks see the events.
  enricher_->Drain();
  const v1::Flow flow = pipeline_.WithTable([](const core::FlowTable& table) { return *table.Find(1); });
  const v1::Enrichment& e = flow.enrichment();
  EXPECT_EQ(e.src().hostname(), "client.test");
  EXPECT_EQ(e.dst().hostname(), "server.test");
  EXPECT_EQ(e.src().process().pid(), static_cast<uint32_t>(client));
  EXPECT_EQ(e.src().process().name(), "python3");
  EXPECT_EQ(e.dst().process().pid(), static_cast<uint32_t>(server));
  EXPECT_EQ(e.dst().process().name(), "socat");
  EXPECT_EQ(e.src().geo().country_code(), "FR");
  EXPECT_EQ(e.dst().geo().city(), "Paris");
  EXPECT_EQ(e.service(), "flowtop-test");
  EXPECT_FALSE(e.own_traffic());

  // The resolver's own query flow, as conntrack lists it, is marked and not
  // looked up itself.
  enricher_->Drain();
  absl::StatusOr<v1::Flow> own = FindFlow(*ns_, "-p udp --dport 53");
  ASSERT_TRUE(own.ok()) << own.status();
  const uint64_t queries = enricher_->resolver()->stats().queries;
  v1::FlowEvent own_event;
  own_event.set_type(v1::NEW);
  *own_event.mutable_flow() = *own;
  own_event.mutable_flow()->set_conntrack_id(2);
  std::vector<v1::FlowEvent> own_batch = {own_event};
  pipeline_.Publish(absl::MakeSpan(own_batch));
  enricher_->Drain();
  pipeline_.WithTable([](const core::FlowTable& table) {
    ASSERT_NE(table.Find(2), nullptr);
    EXPECT_TRUE(table.Find(2)->enrichment().own_traffic());
  });
  EXPECT_EQ(enricher_->resolver()->stats().queries, queries);
}

TEST_F(EnricherNetnsTest, SilentDnsServerDelaysNothing) {
  // A DNS "server" that never answers, and a long query timeout.
  int blackhole = -1;
  uint16_t port = 0;
  ASSERT_TRUE(ns_->RunInside([&] {
                    blackhole = socket(AF_INET, SOCK_DGRAM, 0);
                    sockaddr_in addr{};
                    addr.sin_family = AF_INET;
                    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                    bind(blackhole, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
                    socklen_t len = sizeof(addr);
                    getsockname(blackhole, reinterpret_cast<sockaddr*>(&addr), &len);
                    port = ntohs(addr.sin_port);
                  }).ok());
  options_.dns.servers = {absl::StrCat("127.0.0.1:", port)};
  options_.dns.query_timeout = absl::Seconds(20);
  options_.dns.tries = 1;
  StartEnricher();
  pid_t server = -1, client = -1;
  std::vector<v1::FlowEvent> batch = {StartFlow(&server, &client)};
  pipeline_.Publish(absl::MakeSpan(batch));
  enricher_->Drain();

  // Everything but the names is there while the queries are still out.
  const ReverseResolverStats dns = enricher_->resolver()->stats();
  EXPECT_EQ(dns.cache_misses, 2u);  // both addresses asked (maybe not sent yet)
  EXPECT_EQ(dns.answered + dns.no_name + dns.failed, 0u);
  pipeline_.WithTable([&](const core::FlowTable& table) {
    const v1::Flow* flow = table.Find(1);
    ASSERT_NE(flow, nullptr);
    const v1::Enrichment& e = flow->enrichment();
    EXPECT_EQ(e.src().process().pid(), static_cast<uint32_t>(client));
    EXPECT_EQ(e.dst().process().name(), "socat");
    EXPECT_EQ(e.dst().geo().country_code(), "FR");
    EXPECT_EQ(e.src().hostname(), "");  // numeric until a name arrives
    EXPECT_EQ(e.dst().hostname(), "");
  });
  enricher_.reset();  // cancels the outstanding queries
  close(blackhole);
}

TEST_F(EnricherNetnsTest, NoDnsAndNoGeoipTurnThoseOff) {
  options_.no_dns = true;
  options_.no_geoip = true;
  StartEnricher();
  EXPECT_EQ(enricher_->resolver(), nullptr);
  pid_t server = -1, client = -1;
  std::vector<v1::FlowEvent> batch = {StartFlow(&server, &client)};
  pipeline_.Publish(absl::MakeSpan(batch));
  enricher_->Drain();
  pipeline_.WithTable([&](const core::FlowTable& table) {
    const v1::Enrichment& e = table.Find(1)->enrichment();
    EXPECT_EQ(e.dst().process().name(), "socat");
    EXPECT_FALSE(e.src().has_geo());
    EXPECT_FALSE(e.dst().has_geo());
    EXPECT_EQ(e.src().hostname(), "");
  });
}

}  // namespace
}  // namespace flowtop::collector::enrich
