#include "core/filters/field_match.h"

#include <string>

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

v1::Flow Tcp443() {
  v1::Flow f;
  f.set_family(v1::IPV4);
  f.set_protocol(v1::TCP);
  f.set_tcp_state(v1::TCP_ESTABLISHED);
  f.set_node("edge7");
  f.mutable_original()->set_src_ip(std::string("\x0a\x00\x00\x01", 4));
  f.mutable_original()->set_dst_ip(std::string("\xc0\x00\x02\x01", 4));
  f.mutable_original()->set_src_port(40000);
  f.mutable_original()->set_dst_port(443);
  v1::Endpoint* src = f.mutable_enrichment()->mutable_src();
  src->mutable_process()->set_name("curl");
  src->mutable_process()->set_pid(77);
  src->mutable_process()->set_unit("curl.service");
  src->mutable_process()->set_container_id("abcd");
  f.mutable_enrichment()->mutable_dst()->set_hostname("www.example.org");
  f.mutable_enrichment()->mutable_dst()->mutable_geo()->set_country_code("nl");
  return f;
}

FieldMatch M(FilterField field) {
  FieldMatch m;
  m.field = field;
  return m;
}

TEST(FieldMatchTest, FactsOfAFlow) {
  const FlowFacts f = FactsOf(Tcp443());
  EXPECT_EQ(f.protocol, 6u);
  EXPECT_EQ(f.family, static_cast<uint32_t>(v1::IPV4));
  EXPECT_TRUE(f.has_ports);
  EXPECT_EQ(f.dst_port, 443u);
  EXPECT_TRUE(f.has_process);
  EXPECT_EQ(f.pid, 77u);
  EXPECT_EQ(f.other_pid, 0u);
  EXPECT_EQ(f.dst_country[0], 'N');
  EXPECT_EQ(f.src_country[0], 0);
}

// Every field kind reaches its predicate: one value that holds and one that
// does not.
TEST(FieldMatchTest, EveryFieldKind) {
  const v1::Flow flow = Tcp443();
  struct Case {
    FieldMatch yes, no;
  };
  std::vector<Case> cases;
  auto numbers = [](FilterField f, uint32_t yes, uint32_t no) {
    Case c{M(f), M(f)};
    c.yes.numbers = {yes};
    c.no.numbers = {no};
    return c;
  };
  auto strings = [](FilterField f, const char* yes, const char* no) {
    Case c{M(f), M(f)};
    c.yes.strings = {yes};
    c.no.strings = {no};
    return c;
  };
  auto cidrs = [](FilterField f, const char* yes, const char* no) {
    Case c{M(f), M(f)};
    c.yes.cidrs = {*Cidr::Parse(yes)};
    c.no.cidrs = {*Cidr::Parse(no)};
    return c;
  };
  cases.push_back(numbers(FilterField::kProtocol, 6, 17));
  cases.push_back(numbers(FilterField::kFamily, v1::IPV4, v1::IPV6));
  cases.push_back(cidrs(FilterField::kSrcIp, "10.0.0.0/8", "192.0.2.0/24"));
  cases.push_back(cidrs(FilterField::kDstIp, "192.0.2.0/24", "10.0.0.0/8"));
  cases.push_back(cidrs(FilterField::kAnyIp, "192.0.2.1", "10.0.0.2"));
  cases.push_back(numbers(FilterField::kSrcPort, 40000, 443));
  cases.push_back(numbers(FilterField::kDstPort, 443, 40000));
  cases.push_back(numbers(FilterField::kAnyPort, 40000, 80));
  Case state{M(FilterField::kState), M(FilterField::kState)};
  state.yes.states = {{v1::Flow::kTcpState, v1::TCP_ESTABLISHED}};
  state.no.states = {{v1::Flow::kTcpState, v1::TCP_TIME_WAIT}};
  cases.push_back(state);
  cases.push_back(strings(FilterField::kProcess, "curl", "wget"));
  cases.push_back(numbers(FilterField::kPid, 77, 78));
  cases.push_back(strings(FilterField::kCountry, "NL", "DE"));
  cases.push_back(strings(FilterField::kNode, "edge7", "edge8"));
  cases.push_back(strings(FilterField::kHostname, "example", "example.com"));
  cases.push_back(strings(FilterField::kUnit, "curl", "nginx"));
  cases.push_back(strings(FilterField::kContainer, "ab", "cd"));
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.yes.field));
    EXPECT_TRUE(FieldHolds(c.yes, flow, ""));
    EXPECT_FALSE(FieldHolds(c.no, flow, ""));
  }
}

// The node shown for a flow (a remote source's label) wins over Flow.node.
TEST(FieldMatchTest, TheShownNodeDecides) {
  FieldMatch m = M(FilterField::kNode);
  m.strings = {"router"};
  EXPECT_TRUE(FieldHolds(m, Tcp443(), "router"));
  EXPECT_FALSE(FieldHolds(m, Tcp443(), ""));
}

}  // namespace
}  // namespace flowtop::core
