// Reverse DNS against a real DNS server: dnsmasq on 127.0.0.1:53 inside a
// network namespace, the resolver created (and querying) in the same one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "collector/enrich/reverse_dns.h"
#include "core/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/enrich/dns_server.h"
#include "tests/netns/netns.h"

namespace flowtop::collector::enrich {
namespace {

using Result = ReverseResolver::Result;
using ::flowtop::testing::DnsServer;
using ::flowtop::testing::NetNs;

std::string Ip(const char* text) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, text, buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, text, buf) == 1) return std::string(reinterpret_cast<char*>(buf), 16);
  ADD_FAILURE() << "bad address " << text;
  return "";
}

// Collects the resolver's callbacks.
class Answers {
 public:
  ReverseResolver::Callback Callback() {
    return [this](const std::string& ip, const std::string& name) {
      absl::MutexLock lock(&mu_);
      answers_.emplace_back(ip, name);
    };
  }
  // Waits until `n` answers arrived (at most 30 s); returns them.
  std::vector<std::pair<std::string, std::string>> WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n] { return answers_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
    return answers_;
  }
  size_t count() {
    absl::MutexLock lock(&mu_);
    return answers_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> answers_ ABSL_GUARDED_BY(mu_);
};

class ReverseDnsNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = NetNs::Create();
    ASSERT_TRUE(ns.ok()) << ns.status();
    ns_ = *std::move(ns);
    auto dns = DnsServer::Start(*ns_, {"host-a.test,10.2.3.4", "host6.test,2001:db8::5"});
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = *std::move(dns);
  }

  // Creates a resolver inside the namespace.
  std::unique_ptr<ReverseResolver> MakeResolver(ReverseResolverOptions options) {
    std::unique_ptr<ReverseResolver> resolver;
    absl::Status status;
    EXPECT_TRUE(ns_->RunInside([&] {
                  auto r = ReverseResolver::Create(options, clock_, answers_.Callback());
                  status = r.status();
                  if (r.ok()) resolver = *std::move(r);
                }).ok());
    EXPECT_TRUE(status.ok()) << status;
    return resolver;
  }

  core::FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  Answers answers_;
  std::unique_ptr<NetNs> ns_;
  std::unique_ptr<DnsServer> dns_;
};

TEST_F(ReverseDnsNetnsTest, NamesAppearAndTheCacheAvoidsRepeatQueries) {
  ReverseResolverOptions options;
  options.servers = {"127.0.0.1:53"};
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  std::string name = "unset";
  // Three lookups before the answer share one query.
  EXPECT_EQ(resolver->Lookup(Ip("10.2.3.4"), &name), Result::kPending);
  EXPECT_EQ(resolver->Lookup(Ip("10.2.3.4"), &name), Result::kPending);
  EXPECT_EQ(resolver->Lookup(Ip("2001:db8::5"), &name), Result::kPending);
  EXPECT_EQ(resolver->Lookup(Ip("10.9.9.9"), &name), Result::kPending);
  EXPECT_EQ(name, "unset");
  auto answers = answers_.WaitFor(3);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_THAT(answers, ::testing::UnorderedElementsAre(
                           std::make_pair(Ip("10.2.3.4"), std::string("host-a.test")),
                           std::make_pair(Ip("2001:db8::5"), std::string("host6.test")),
                           std::make_pair(Ip("10.9.9.9"), std::string(""))));

  // Cached: positive and negative answers come without a query.
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(resolver->Lookup(Ip("10.2.3.4"), &name), Result::kHit);
    EXPECT_EQ(name, "host-a.test");
    ASSERT_EQ(resolver->Lookup(Ip("10.9.9.9"), &name), Result::kHit);
    EXPECT_EQ(name, "");
  }
  EXPECT_EQ(dns_->QueriesFor("4.3.2.10.in-addr.arpa"), 1);
  EXPECT_EQ(dns_->QueriesFor("9.9.9.10.in-addr.arpa"), 1);
  EXPECT_EQ(answers_.count(), 3u);
  ReverseResolverStats stats = resolver->stats();
  EXPECT_EQ(stats.queries, 3u);
  EXPECT_EQ(stats.answered, 2u);
  EXPECT_EQ(stats.no_name, 1u);
  EXPECT_EQ(stats.cache_hits, 10u);

  // After the record's TTL (600 s) the name is asked again.
  clock_.Advance(absl::Seconds(601));
  EXPECT_EQ(resolver->Lookup(Ip("10.2.3.4"), &name), Result::kPending);
  answers = answers_.WaitFor(4);
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[3].second, "host-a.test");
  EXPECT_EQ(dns_->QueriesFor("4.3.2.10.in-addr.arpa"), 2);
  // The negative answer (kept for negative_ttl, 5 minutes) expired too.
  EXPECT_EQ(resolver->Lookup(Ip("10.9.9.9"), &name), Result::kPending);
}

TEST_F(ReverseDnsNetnsTest, AFullCacheMakesRoomInBatches) {
  ReverseResolverOptions options;
  options.servers = {"127.0.0.1:53"};
  options.max_cache = 64;
  options.max_pending = 1024;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);
  constexpr int kAddresses = 200;
  std::string name;
  for (int i = 0; i < kAddresses; ++i) {
    ASSERT_EQ(resolver->Lookup(Ip(absl::StrCat("10.7.", i / 200, ".", i % 200 + 1).c_str()),
                               &name),
              Result::kPending);
  }
  ASSERT_EQ(answers_.WaitFor(kAddresses).size(), static_cast<size_t>(kAddresses));
  const ReverseResolverStats stats = resolver->stats();
  EXPECT_LE(stats.cache_entries, options.max_cache);
  // 136 answers past a full cache, room made for 8 at a time: 17 sweeps
  // (one per answer would be 136).
  EXPECT_GE(stats.cache_sweeps, 1u);
  EXPECT_LE(stats.cache_sweeps, (kAddresses - options.max_cache) / (options.max_cache / 8) + 1);
  // The newest answer is still cached.
  const std::string newest = answers_.WaitFor(kAddresses).back().first;
  EXPECT_EQ(resolver->Lookup(newest, &name), Result::kHit);
}

TEST_F(ReverseDnsNetnsTest, OwnQueriesAreOneFlowRecognisedByItsTuple) {
  ReverseResolverOptions options;
  options.servers = {"127.0.0.1:53"};
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);
  std::string name;
  for (int i = 1; i <= 20; ++i) {
    resolver->Lookup(Ip(absl::StrCat("10.7.0.", i).c_str()), &name);
  }
  ASSERT_EQ(answers_.WaitFor(20).size(), 20u);
  // The kernel's view: every query left through one socket, so conntrack
  // holds one UDP flow to port 53.
  absl::StatusOr<std::string> listing =
      ns_->Run("conntrack -L -p udp --dport 53 2>/dev/null");
  ASSERT_TRUE(listing.ok()) << listing.status();
  std::vector<std::string> lines =
      absl::StrSplit(*listing, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << *listing;
  // "udp 17 29 src=127.0.0.1 dst=127.0.0.1 sport=40000 dport=53 ..."
  uint32_t sport = 0;
  for (absl::string_view field : absl::StrSplit(lines[0], ' ')) {
    if (absl::ConsumePrefix(&field, "sport=")) {
      ASSERT_TRUE(absl::SimpleAtoi(field, &sport));
      break;
    }
  }
  ASSERT_NE(sport, 0u);
  v1::Flow flow;
  flow.set_protocol(v1::UDP);
  flow.mutable_original()->set_src_ip(Ip("127.0.0.1"));
  flow.mutable_original()->set_dst_ip(Ip("127.0.0.1"));
  flow.mutable_original()->set_src_port(sport);
  flow.mutable_original()->set_dst_port(53);
  EXPECT_TRUE(resolver->IsOwnQuery(flow));
  // Someone else's query (another source port) is not ours.
  flow.mutable_original()->set_src_port(sport == 65535 ? 1 : sport + 1);
  EXPECT_FALSE(resolver->IsOwnQuery(flow));
}

TEST_F(ReverseDnsNetnsTest, SilentServerDelaysNothingAndAddressesStayNumeric) {
  // A server that takes queries and never answers: a bound UDP socket.
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
  ASSERT_NE(port, 0);
  ReverseResolverOptions options;
  options.servers = {absl::StrCat("127.0.0.1:", port)};
  options.query_timeout = absl::Milliseconds(300);
  options.tries = 1;
  options.max_in_flight = 4;
  options.max_pending = 8;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  // Every lookup returns at once: pending while the queue has room, then
  // dropped (counted), never waiting for the silent server.
  std::string name;
  int pending = 0, dropped = 0;
  for (int i = 1; i <= 20; ++i) {
    const Result r = resolver->Lookup(Ip(absl::StrCat("10.8.0.", i).c_str()), &name);
    if (r == Result::kPending) ++pending;
    if (r == Result::kDropped) ++dropped;
    EXPECT_NE(r, Result::kHit);
  }
  EXPECT_EQ(pending, 8);
  EXPECT_EQ(dropped, 12);
  // The queued lookups time out and give "no name" (numeric addresses).
  auto answers = answers_.WaitFor(8);
  ASSERT_EQ(answers.size(), 8u);
  for (const auto& [ip, host] : answers) EXPECT_EQ(host, "");
  ReverseResolverStats stats = resolver->stats();
  EXPECT_EQ(stats.failed, 8u);
  EXPECT_EQ(stats.dropped, 12u);
  EXPECT_LE(stats.peak_in_flight, 4u);
  // Failures are cached briefly so a dead server is not asked again at once.
  EXPECT_EQ(resolver->Lookup(Ip("10.8.0.1"), &name), Result::kHit);
  EXPECT_EQ(name, "");
  close(blackhole);
}

TEST_F(ReverseDnsNetnsTest, RefusingServerGivesNumericAddresses) {
  ReverseResolverOptions options;
  options.servers = {"127.0.0.1:9"};  // nothing listens: ICMP port unreachable
  options.query_timeout = absl::Milliseconds(300);
  options.tries = 1;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);
  std::string name;
  EXPECT_EQ(resolver->Lookup(Ip("10.2.3.4"), &name), Result::kPending);
  auto answers = answers_.WaitFor(1);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].second, "");
}

}  // namespace
}  // namespace flowtop::collector::enrich
