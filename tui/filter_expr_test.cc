#include "tui/filter_expr.h"

#include <vector>

#include "core/flow_filter.h"
#include "gtest/gtest.h"
#include "tui/test_flows.h"

namespace flowtop::tui {
namespace {

using testing::Ip;

std::shared_ptr<const FilterExpr> MustParse(const std::string& text) {
  auto f = FilterExpr::Parse(text);
  EXPECT_TRUE(f.ok()) << text << ": " << f.status();
  return f.ok() ? *f : nullptr;
}

std::string ErrorOf(const std::string& text) {
  auto f = FilterExpr::Parse(text);
  EXPECT_FALSE(f.ok()) << text << " parsed as " << (f.ok() ? (*f)->DebugString() : "");
  return f.ok() ? "" : std::string(f.status().message());
}

class FilterExprTest : public ::testing::Test {
 protected:
  FilterExprTest() {
    https_de_ = testing::TcpFlow(1, "10.1.2.3", 40000, "192.0.2.10", 443);
    testing::SetProcess(https_de_, "curl", 4242);
    testing::SetDst(https_de_, "www.Example.org", "DE", "Berlin");
    https_us_ = testing::TcpFlow(2, "10.1.2.3", 40001, "198.51.100.7", 443);
    testing::SetDst(https_us_, "cdn.example.net", "US", "Ashburn");
    dns_ = testing::UdpFlow(3, "2001:db8::5", 5353, "2001:db8:1::53", 53);
    testing::SetProcess(dns_, "systemd-resolve", 77);
    https_de_.mutable_enrichment()->mutable_src()->mutable_process()->set_unit(
        "user@1000.service");
    dns_.mutable_enrichment()->mutable_src()->mutable_process()->set_container_id(
        "3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a");
    icmp_.set_protocol(v1::ICMP);
    icmp_.set_family(v1::IPV4);
    icmp_.mutable_original()->set_src_ip(Ip("172.16.0.1"));
    icmp_.mutable_original()->set_dst_ip(Ip("172.16.0.2"));
    closing_ = testing::TcpFlow(4, "192.168.1.2", 50000, "192.0.2.10", 80);
    closing_.set_tcp_state(v1::TCP_TIME_WAIT);
  }
  bool M(const std::string& expr, const v1::Flow& f) {
    auto e = MustParse(expr);
    return e && e->Matches(f);
  }
  static v1::Flow MakeIcmp6() {
    v1::Flow f;
    f.set_protocol(v1::ICMPV6);
    f.set_family(v1::IPV6);
    f.mutable_original()->set_src_ip(Ip("2001:db8::1"));
    f.mutable_original()->set_dst_ip(Ip("2001:db8::2"));
    return f;
  }
  v1::Flow https_de_, https_us_, dns_, icmp_, closing_;
};

TEST_F(FilterExprTest, EmptyMatchesEverything) {
  EXPECT_TRUE(M("", dns_));
  EXPECT_TRUE(M("   ", icmp_));
}

// The `/` language agrees with FlowFilter on portless flows (HasPorts): no
// port filter matches ICMP, not even port 0.
TEST_F(FilterExprTest, PortFiltersNeverMatchIcmp) {
  EXPECT_FALSE(M("dport 0", icmp_));
  EXPECT_FALSE(M("sport 0", icmp_));
  EXPECT_FALSE(M("port 0", icmp_));
  EXPECT_TRUE(M("not dport 0", icmp_));
}

TEST_F(FilterExprTest, PortAndCountry) {
  const std::string e = "dport 443 and country != DE";
  EXPECT_FALSE(M(e, https_de_));
  EXPECT_TRUE(M(e, https_us_));
  EXPECT_FALSE(M(e, dns_));
  EXPECT_TRUE(M("country de", https_de_));  // case-insensitive code
}

TEST_F(FilterExprTest, ProtocolOr) {
  const std::string e = "proto udp or proto icmp";
  EXPECT_TRUE(M(e, dns_));
  EXPECT_TRUE(M(e, icmp_));
  EXPECT_FALSE(M(e, https_de_));
  EXPECT_TRUE(M("udp or icmp", icmp_));  // shorthands
}

TEST_F(FilterExprTest, Cidrs) {
  EXPECT_TRUE(M("src 10.0.0.0/8", https_de_));
  EXPECT_FALSE(M("src 10.0.0.0/8", closing_));
  EXPECT_TRUE(M("dst 192.0.2.0/24", closing_));
  EXPECT_TRUE(M("host 2001:db8::/32", dns_));
  EXPECT_FALSE(M("host 2001:db9::/32", dns_));
  EXPECT_TRUE(M("host 192.0.2.10", https_de_));
  EXPECT_FALSE(M("src 10.0.0.0/8", dns_));  // family mismatch never matches
}

TEST_F(FilterExprTest, ProcessStateNot) {
  EXPECT_TRUE(M("process curl", https_de_));
  EXPECT_FALSE(M("process curl", https_us_));
  EXPECT_TRUE(M("not state TIME_WAIT", https_de_));
  EXPECT_FALSE(M("not state TIME_WAIT", closing_));
  EXPECT_TRUE(M("state time-wait", closing_));
  EXPECT_TRUE(M("pid 77", dns_));
  EXPECT_TRUE(M("process \"systemd-resolve\"", dns_));
}

TEST_F(FilterExprTest, ValueListsAndPrecedence) {
  EXPECT_TRUE(M("dport 80,443", closing_));
  EXPECT_TRUE(M("dport 80,443", https_us_));
  // and binds tighter than or.
  EXPECT_TRUE(M("udp or tcp and dport 80", dns_));
  EXPECT_FALSE(M("(udp or tcp) and dport 80", dns_));
  EXPECT_TRUE(M("!(dport 443) && tcp", closing_));
  EXPECT_TRUE(M("tcp dport 443", https_us_));  // juxtaposition is and
  EXPECT_EQ(MustParse("udp or tcp and dport 80")->DebugString(),
            "(proto 17 or (proto 6 and dport 80))");
}

TEST_F(FilterExprTest, HostnamesAndNodes) {
  EXPECT_TRUE(M("name example.org", https_de_));
  EXPECT_TRUE(M("name EXAMPLE", https_us_));
  EXPECT_FALSE(M("name example", dns_));
  auto e = MustParse("node r1");
  EXPECT_TRUE(e->Matches(dns_, "r1"));
  EXPECT_FALSE(e->Matches(dns_, "r2"));
}

TEST_F(FilterExprTest, FamilyShorthands) {
  EXPECT_TRUE(M("ipv6", dns_));
  EXPECT_FALSE(M("ipv6", https_de_));
  EXPECT_TRUE(M("family 4", https_de_));
}

TEST(FilterExprErrorTest, ClearMessagesWithColumns) {
  EXPECT_EQ(ErrorOf("dport foo"),
            "at column 7: expected a port number after 'dport', got 'foo'");
  EXPECT_EQ(ErrorOf("dport"), "at column 6: expected a port number after 'dport'");
  EXPECT_EQ(ErrorOf("dport 70000"),
            "at column 7: expected a port number after 'dport', got '70000'");
  EXPECT_EQ(ErrorOf("tcp and"), "at column 8: expected a condition after 'and'");
  EXPECT_EQ(ErrorOf("(tcp or udp"), "at column 12: expected ')' to close '(' at column 1");
  EXPECT_EQ(ErrorOf("tcp)"), "at column 4: unexpected ')'");
  EXPECT_EQ(ErrorOf("state BOGUS"),
            "at column 7: 'BOGUS' is not a TCP, SCTP or DCCP state (e.g. ESTABLISHED, "
            "SYN_SENT, TIME_WAIT, CLOSE)");
  EXPECT_EQ(ErrorOf("country DEU"),
            "at column 9: expected a two-letter country code after 'country', got 'DEU'");
  EXPECT_EQ(ErrorOf("process \"curl"), "at column 9: unterminated quoted string");
  EXPECT_EQ(ErrorOf("tcp & udp"), "at column 5: expected '&&'");
  EXPECT_NE(ErrorOf("frobnicate 3").find("at column 1: unknown field 'frobnicate'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("src 10.0.0.0/33").find("prefix length must be at most 32"),
            std::string::npos);
  EXPECT_NE(ErrorOf("src nonsense").find("at column 5:"), std::string::npos);
  // The value errors are core/flow_filter's, as flowtopd gives them.
  EXPECT_EQ(ErrorOf("src nonsense"), "at column 5: 'nonsense' is not an address or CIDR");
  EXPECT_EQ(ErrorOf("host ::/129"),
            "at column 6: '::/129' is not an address or CIDR (prefix length must be at "
            "most 128)");
  EXPECT_EQ(ErrorOf("proto 256"),
            "at column 7: expected a protocol (tcp, udp, udplite, icmp, icmp6, sctp, dccp, "
            "gre or a number) after 'proto', got '256'");
  EXPECT_EQ(ErrorOf("country 1E"),
            "at column 9: expected a two-letter country code after 'country', got '1E'");
  // A bare number is not a protocol shorthand.
  EXPECT_NE(ErrorOf("6").find("at column 1: unknown field '6'"), std::string::npos);
}

TEST_F(FilterExprTest, ProtocolNamesAsInTheApi) {
  EXPECT_TRUE(M("proto ICMPV6", MakeIcmp6()));
  EXPECT_TRUE(M("icmp6", MakeIcmp6()));
  EXPECT_TRUE(M("proto ipv6-icmp", MakeIcmp6()));
  EXPECT_TRUE(M("proto 58", MakeIcmp6()));
  EXPECT_FALSE(M("proto icmp", MakeIcmp6()));
  EXPECT_TRUE(M("family inet6", dns_));
}

// The same question asked as a `/` expression and as a gRPC FlowFilter
// (core::FlowMatcher, what flowtopd applies) gets the same answer.
TEST_F(FilterExprTest, UnitAndContainer) {
  EXPECT_TRUE(M("unit user@1000.service", https_de_));
  EXPECT_TRUE(M("unit user@1000", https_de_));
  EXPECT_FALSE(M("unit user@1000", https_us_));
  EXPECT_FALSE(M("unit nginx.service", https_de_));
  EXPECT_TRUE(M("container 3f2a", dns_));
  EXPECT_TRUE(M("container 3F2A", dns_));
  EXPECT_FALSE(M("container 3f2b", dns_));
  EXPECT_FALSE(M("container 3f2a", https_de_));
  EXPECT_TRUE(M("not container 3f2a and tcp", https_de_));
  EXPECT_FALSE(FilterExpr::Parse("unit").ok());
}

TEST_F(FilterExprTest, SameMeaningAsFlowFilter) {
  struct Case {
    const char* expr;
    v1::FlowFilter filter;
  };
  std::vector<Case> cases;
  auto add = [&](const char* expr) {
    cases.push_back({expr, v1::FlowFilter()});
    return &cases.back().filter;
  };
  add("src 10.0.0.0/8")->add_src_ip("10.0.0.0/8");
  add("dst 192.0.2.0/24")->add_dst_ip("192.0.2.0/24");
  add("host 2001:db8::/32")->add_any_ip("2001:db8::/32");
  add("sport 5353")->add_src_port(5353);
  add("dport 80,443")->add_dst_port(80);
  cases.back().filter.add_dst_port(443);
  add("port 53")->add_any_port(53);
  add("state time-wait")->add_state("time-wait");
  add("state established")->add_state("ESTABLISHED");
  add("process curl")->add_process_name("curl");
  add("process systemd-resolve")->add_process_name("systemd-resolve");
  add("pid 77")->add_pid(77);
  add("country de")->add_country_code("de");
  add("country us")->add_country_code("US");
  add("name EXAMPLE")->add_hostname("EXAMPLE");
  add("name example.org")->add_hostname("example.org");
  add("proto udp")->add_protocol(v1::UDP);
  add("icmp")->add_protocol(v1::ICMP);
  add("ipv6")->add_family(v1::IPV6);
  add("unit user@1000.service")->add_unit("user@1000.service");
  add("unit user@1000")->add_unit("user@1000");
  add("container 3f2a")->add_container("3f2a");
  add("container 3F2A9C1E5B7D")->add_container("3F2A9C1E5B7D");
  const std::vector<const v1::Flow*> flows = {&https_de_, &https_us_, &dns_, &icmp_,
                                              &closing_};
  for (const Case& c : cases) {
    core::FilterList allow, deny;
    *allow.Add() = c.filter;
    auto matcher = core::FlowMatcher::Compile(allow, deny);
    ASSERT_TRUE(matcher.ok()) << c.expr << ": " << matcher.status();
    auto expr = MustParse(c.expr);
    ASSERT_NE(expr, nullptr);
    int matched = 0;
    for (const v1::Flow* f : flows) {
      EXPECT_EQ(expr->Matches(*f), matcher->Matches(*f))
          << c.expr << " on flow " << f->conntrack_id();
      matched += matcher->Matches(*f) ? 1 : 0;
    }
    EXPECT_GT(matched, 0) << c.expr << " matches none of the test flows";
  }
}

}  // namespace
}  // namespace flowtop::tui

namespace flowtop::tui {
namespace {

// Deep nesting used to overflow the stack (10,000 '(' or 30,000 'not ').
TEST(FilterExprBounds, DeepNestingAndLongTextAreErrors) {
  const std::string parens = std::string(10000, '(') + "dport 443" + std::string(10000, ')');
  auto deep = FilterExpr::Parse(parens);
  EXPECT_EQ(deep.status().code(), absl::StatusCode::kInvalidArgument);
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "not ";
  auto many_nots = FilterExpr::Parse(nots + "tcp");
  ASSERT_FALSE(many_nots.ok());
  EXPECT_NE(many_nots.status().message().find("nests deeper than 64"), std::string::npos)
      << many_nots.status().message();
  std::string long_text;
  for (int i = 0; i < 30000; ++i) long_text += "not ";
  auto too_long = FilterExpr::Parse(long_text + "tcp");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("more than the 4096 allowed"), std::string::npos);
  // Within the bounds, nesting still works.
  const std::string ok = std::string(64, '(') + "tcp" + std::string(64, ')');
  EXPECT_TRUE(FilterExpr::Parse(ok).ok()) << FilterExpr::Parse(ok).status();
  std::string nots_ok;
  for (int i = 0; i < 64; ++i) nots_ok += "not ";
  EXPECT_TRUE(FilterExpr::Parse(nots_ok + "tcp").ok());
}

}  // namespace
}  // namespace flowtop::tui

namespace flowtop::tui {
namespace {

// Matches with a `text` callback (the table's per-process verdicts) means
// what Matches with the flow means; ReadsOnlyProcesses names the
// expressions such a callback may answer per process.
TEST_F(FilterExprTest, TextCallbackAgreesAndProcessOnlyExpressionsAreKnown) {
  const v1::Flow* flows[] = {&https_de_, &https_us_, &dns_, &icmp_, &closing_};
  const struct {
    const char* expr;
    bool process_only;
  } cases[] = {
      {"process curl", true},
      {"process != curl", true},
      {"dport != 443", true},
      {"not process curl and dport 443", true},
      {"unit user@1000 or process systemd-resolve", true},
      {"dport 80 and not state TIME_WAIT", true},
      {"process curl and name example", false},
      {"not process curl or src 10.0.0.0/8", false},
      {"node r1", false},
  };
  for (const auto& c : cases) {
    const auto e = MustParse(c.expr);
    ASSERT_NE(e, nullptr) << c.expr;
    EXPECT_EQ(e->ReadsOnlyProcesses(), c.process_only) << c.expr;
    int calls = 0;
    for (const v1::Flow* f : flows) {
      const FlowHot hot = ComputeHot(*f, TrafficOf(*f));
      const bool by_text = e->Matches(hot, [&](const Match& m) {
        ++calls;
        return core::FieldHolds(m, hot, [f]() -> const v1::Flow& { return *f; },
                                [] { return absl::string_view(); });
      });
      EXPECT_EQ(by_text, e->Matches(*f)) << c.expr << " on flow " << f->conntrack_id();
    }
    if (std::string(c.expr).find("process") == std::string::npos &&
        std::string(c.expr).find("name") == std::string::npos &&
        std::string(c.expr).find("node") == std::string::npos &&
        std::string(c.expr).find("unit") == std::string::npos &&
        std::string(c.expr).find("src") == std::string::npos) {
      EXPECT_EQ(calls, 0) << c.expr << ": hot conditions never ask";
    }
  }
}

}  // namespace
}  // namespace flowtop::tui
