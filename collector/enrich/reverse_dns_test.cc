#include "collector/enrich/reverse_dns.h"

#include <arpa/inet.h>

#include <string>

#include "core/fake_clock.h"
#include "gtest/gtest.h"

namespace flowtop::collector::enrich {
namespace {

std::string Ip(int family, const char* text) {
  unsigned char buf[16];
  EXPECT_EQ(inet_pton(family, text, buf), 1);
  return std::string(reinterpret_cast<char*>(buf), family == AF_INET ? 4 : 16);
}

TEST(ReverseResolverTest, PtrNames) {
  EXPECT_EQ(ReverseResolver::PtrName(Ip(AF_INET, "192.0.2.10")), "10.2.0.192.in-addr.arpa");
  EXPECT_EQ(ReverseResolver::PtrName(Ip(AF_INET6, "2001:db8::567:89ab")),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  EXPECT_EQ(ReverseResolver::PtrName("abc"), "");
}

TEST(ReverseResolverTest, BadServerListIsInvalidArgument) {
  core::FakeClock clock;
  ReverseResolverOptions options;
  options.servers = {"not an address"};
  auto resolver = ReverseResolver::Create(options, clock, nullptr);
  EXPECT_EQ(resolver.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReverseResolverTest, MalformedAddressIsDroppedWithoutQuery) {
  core::FakeClock clock;
  ReverseResolverOptions options;
  options.servers = {"127.0.0.1:9"};
  auto resolver = ReverseResolver::Create(options, clock, nullptr);
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  std::string name;
  EXPECT_EQ((*resolver)->Lookup("12345", &name), ReverseResolver::Result::kDropped);
  EXPECT_EQ((*resolver)->stats().queries, 0u);
}

}  // namespace
}  // namespace flowtop::collector::enrich
