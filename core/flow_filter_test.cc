#include "core/flow_filter.h"

#include <arpa/inet.h>

#include <string>

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

std::string V4(const char* text) {
  std::string out(4, '\0');
  inet_pton(AF_INET, text, out.data());
  return out;
}
std::string V6(const char* text) {
  std::string out(16, '\0');
  inet_pton(AF_INET6, text, out.data());
  return out;
}

// 10.1.2.3:40000 -> 192.0.2.7:443 TCP ESTABLISHED, curl (pid 42) at the
// source, dst in DE named www.example.org, on node r1.
v1::Flow Flow() {
  v1::Flow f;
  f.set_id("r1/1");
  f.set_node("r1");
  f.set_conntrack_id(1);
  f.set_family(v1::IPV4);
  f.set_protocol(v1::TCP);
  f.mutable_original()->set_src_ip(V4("10.1.2.3"));
  f.mutable_original()->set_dst_ip(V4("192.0.2.7"));
  f.mutable_original()->set_src_port(40000);
  f.mutable_original()->set_dst_port(443);
  f.set_tcp_state(v1::TCP_ESTABLISHED);
  f.mutable_enrichment()->mutable_src()->mutable_process()->set_pid(42);
  f.mutable_enrichment()->mutable_src()->mutable_process()->set_name("curl");
  f.mutable_enrichment()->mutable_dst()->mutable_geo()->set_country_code("DE");
  f.mutable_enrichment()->mutable_dst()->set_hostname("www.Example.org");
  return f;
}

// Returns whether Flow() passes an allow list holding only `filter`.
bool Allows(const v1::FlowFilter& filter, const v1::Flow& flow = Flow()) {
  FilterList allow, deny;
  *allow.Add() = filter;
  auto m = FlowMatcher::Compile(allow, deny);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() && m->Matches(flow);
}

absl::Status CompileError(const v1::FlowFilter& filter) {
  FilterList allow, deny;
  *allow.Add() = filter;
  return FlowMatcher::Compile(allow, deny).status();
}

TEST(FlowFilter, EmptyListsAllowEverything) {
  FlowMatcher m;
  EXPECT_TRUE(m.AllowsAll());
  EXPECT_TRUE(m.Matches(Flow()));
}

TEST(FlowFilter, Family) {
  v1::FlowFilter f;
  f.add_family(v1::IPV6);
  EXPECT_FALSE(Allows(f));
  f.add_family(v1::IPV4);
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, Protocol) {
  v1::FlowFilter f;
  f.add_protocol(v1::UDP);
  EXPECT_FALSE(Allows(f));
  f.add_protocol(v1::TCP);
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, SrcIpAddressAndCidr) {
  v1::FlowFilter f;
  f.add_src_ip("10.1.2.4");
  EXPECT_FALSE(Allows(f));
  f.add_src_ip("10.1.0.0/16");
  EXPECT_TRUE(Allows(f));
  v1::FlowFilter exact;
  exact.add_src_ip("10.1.2.3");
  EXPECT_TRUE(Allows(exact));
  v1::FlowFilter odd_prefix;
  odd_prefix.add_src_ip("10.1.2.0/31");  // 10.1.2.0 and .1 only
  EXPECT_FALSE(Allows(odd_prefix));
  odd_prefix.set_src_ip(0, "10.1.2.2/31");
  EXPECT_TRUE(Allows(odd_prefix));
}

TEST(FlowFilter, DstIp) {
  v1::FlowFilter f;
  f.add_dst_ip("10.0.0.0/8");
  EXPECT_FALSE(Allows(f));
  f.set_dst_ip(0, "192.0.2.0/24");
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, AnyIpMatchesEitherEnd) {
  v1::FlowFilter f;
  f.add_any_ip("192.0.2.7");
  EXPECT_TRUE(Allows(f));
  f.set_any_ip(0, "10.1.2.3/32");
  EXPECT_TRUE(Allows(f));
  f.set_any_ip(0, "172.16.0.0/12");
  EXPECT_FALSE(Allows(f));
}

TEST(FlowFilter, Ipv6CidrDoesNotMatchIpv4) {
  v1::FlowFilter f;
  f.add_any_ip("2001:db8::/32");
  EXPECT_FALSE(Allows(f));
  v1::Flow flow = Flow();
  flow.set_family(v1::IPV6);
  flow.mutable_original()->set_src_ip(V6("2001:db8::5"));
  flow.mutable_original()->set_dst_ip(V6("2001:db9::1"));
  EXPECT_TRUE(Allows(f, flow));
  f.set_any_ip(0, "::/0");
  EXPECT_TRUE(Allows(f, flow));
}

// The ICMP-port question, decided once (HasPorts): ICMP ids, GRE keys and
// the zeros of portless protocols are not ports, so no port filter matches
// them, not even port 0; a deny list on a port lets them through.
TEST(FlowFilter, PortFiltersNeverMatchPortlessFlows) {
  EXPECT_TRUE(HasPorts(v1::TCP));
  EXPECT_TRUE(HasPorts(v1::UDP));
  EXPECT_TRUE(HasPorts(v1::UDPLITE));
  EXPECT_TRUE(HasPorts(v1::SCTP));
  EXPECT_TRUE(HasPorts(v1::DCCP));
  EXPECT_FALSE(HasPorts(v1::ICMP));
  EXPECT_FALSE(HasPorts(v1::ICMPV6));
  EXPECT_FALSE(HasPorts(v1::GRE));
  EXPECT_FALSE(HasPorts(132 + 1000));  // a protocol by number only

  v1::Flow icmp = Flow();
  icmp.set_protocol(v1::ICMP);
  icmp.clear_tcp_state();
  icmp.mutable_original()->set_src_port(0);
  icmp.mutable_original()->set_dst_port(0);
  for (auto add : {&v1::FlowFilter::add_src_port, &v1::FlowFilter::add_dst_port,
                   &v1::FlowFilter::add_any_port}) {
    v1::FlowFilter f;
    (f.*add)(0);
    EXPECT_FALSE(Allows(f, icmp));
    v1::Flow tcp_zero = Flow();
    tcp_zero.mutable_original()->set_src_port(0);
    tcp_zero.mutable_original()->set_dst_port(0);
    EXPECT_TRUE(Allows(f, tcp_zero));  // TCP port 0 is a port
  }
  FilterList allow, deny;
  deny.Add()->add_dst_port(0);
  auto m = FlowMatcher::Compile(allow, deny);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->Matches(icmp));
}

TEST(FlowFilter, SrcPort) {
  v1::FlowFilter f;
  f.add_src_port(443);
  EXPECT_FALSE(Allows(f));
  f.add_src_port(40000);
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, DstPort) {
  v1::FlowFilter f;
  f.add_dst_port(80);
  EXPECT_FALSE(Allows(f));
  f.add_dst_port(443);
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, AnyPort) {
  v1::FlowFilter f;
  f.add_any_port(40000);
  EXPECT_TRUE(Allows(f));
  f.set_any_port(0, 22);
  EXPECT_FALSE(Allows(f));
}

TEST(FlowFilter, StateByNameCaseInsensitive) {
  v1::FlowFilter f;
  f.add_state("time_wait");
  EXPECT_FALSE(Allows(f));
  f.add_state("established");
  EXPECT_TRUE(Allows(f));
  v1::Flow sctp = Flow();
  sctp.set_sctp_state(v1::SCTP_COOKIE_WAIT);
  v1::FlowFilter g;
  g.add_state("COOKIE_WAIT");
  EXPECT_TRUE(Allows(g, sctp));
  EXPECT_FALSE(Allows(g));
}

TEST(FlowFilter, ProcessName) {
  v1::FlowFilter f;
  f.add_process_name("wget");
  EXPECT_FALSE(Allows(f));
  f.add_process_name("curl");
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, Pid) {
  v1::FlowFilter f;
  f.add_pid(7);
  EXPECT_FALSE(Allows(f));
  f.add_pid(42);
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, CountryCodeEitherEndCaseInsensitive) {
  v1::FlowFilter f;
  f.add_country_code("fr");
  EXPECT_FALSE(Allows(f));
  f.add_country_code("de");
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, Node) {
  v1::FlowFilter f;
  f.add_node("r2");
  EXPECT_FALSE(Allows(f));
  f.add_node("r1");
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, HostnameSubstring) {
  v1::FlowFilter f;
  f.add_hostname("example.com");
  EXPECT_FALSE(Allows(f));
  f.add_hostname("EXAMPLE.ORG");
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, UnitAndContainerOfEitherEnd) {
  v1::Flow flow = Flow();
  v1::Process* curl = flow.mutable_enrichment()->mutable_src()->mutable_process();
  curl->set_unit("cron.service");
  v1::Process* server = flow.mutable_enrichment()->mutable_dst()->mutable_process();
  server->set_name("nginx");
  server->set_container_id("3f2a9c1e5b7d4a6f");
  server->set_container_runtime("docker");
  v1::FlowFilter unit;
  unit.add_unit("nginx.service");
  EXPECT_FALSE(Allows(unit, flow));
  unit.add_unit("cron");  // the ".service" suffix may be left out
  EXPECT_TRUE(Allows(unit, flow));
  v1::FlowFilter container;
  container.add_container("3f2b");
  EXPECT_FALSE(Allows(container, flow));
  container.add_container("3F2A");  // a prefix, any case
  EXPECT_TRUE(Allows(container, flow));
  EXPECT_FALSE(Allows(container));  // no container at all
  v1::FlowFilter empty;
  empty.add_container("");
  EXPECT_EQ(CompileError(empty).code(), absl::StatusCode::kInvalidArgument);
  // "cron" is no prefix match of other units.
  curl->set_unit("crond.service");
  v1::FlowFilter cron;
  cron.add_unit("cron");
  EXPECT_FALSE(Allows(cron, flow));
}

TEST(FlowFilter, EventTypeAppliesToEventsOnly) {
  FilterList allow, deny;
  allow.Add()->add_event_type(v1::DESTROY);
  auto m = FlowMatcher::Compile(allow, deny);
  ASSERT_TRUE(m.ok());
  v1::FlowEvent e;
  *e.mutable_flow() = Flow();
  e.set_type(v1::NEW);
  EXPECT_FALSE(m->Matches(e));
  e.set_type(v1::DESTROY);
  EXPECT_TRUE(m->Matches(e));
  EXPECT_TRUE(m->Matches(Flow()));  // ListFlows ignores event types
}

TEST(FlowFilter, FieldsInOneFilterAreAnded) {
  v1::FlowFilter f;
  f.add_protocol(v1::TCP);
  f.add_dst_port(80);
  EXPECT_FALSE(Allows(f));
  f.set_dst_port(0, 443);
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, AllowListIsOrDenyListSubtracts) {
  FilterList allow, deny;
  allow.Add()->add_protocol(v1::UDP);
  allow.Add()->add_dst_port(443);
  auto m = FlowMatcher::Compile(allow, deny);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->Matches(Flow()));  // second allow filter
  deny.Add()->add_country_code("DE");
  m = FlowMatcher::Compile(allow, deny);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->Matches(Flow()));
  // A deny list alone subtracts from everything.
  FilterList none;
  m = FlowMatcher::Compile(none, deny);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->Matches(Flow()));
  v1::Flow other = Flow();
  other.mutable_enrichment()->mutable_dst()->mutable_geo()->set_country_code(
      "NL");
  EXPECT_TRUE(m->Matches(other));
}

TEST(FlowFilter, EventsWithoutFlowAlwaysPass) {
  FilterList allow, deny;
  allow.Add()->add_protocol(v1::UDP);
  deny.Add();  // an empty deny filter matches every flow
  auto m = FlowMatcher::Compile(allow, deny);
  ASSERT_TRUE(m.ok());
  v1::FlowEvent lost;
  lost.set_type(v1::LOST);
  EXPECT_TRUE(m->Matches(lost));
  v1::FlowEvent end;
  end.set_type(v1::SNAPSHOT_END);
  EXPECT_TRUE(m->Matches(end));
}

TEST(FlowFilter, BadCidrNamesTheField) {
  v1::FlowFilter f;
  f.add_src_ip("10.0.0.0/8");
  f.add_src_ip("10.0.0.300/8");
  absl::Status s = CompileError(f);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "allow[0].src_ip[1]: '10.0.0.300/8' is not an address or CIDR");
  for (const char* bad : {"10.0.0.0/33", "::/129", "host", "10.0.0.0/",
                          "10.0.0.0/-1", ""}) {
    v1::FlowFilter g;
    g.add_any_ip(bad);
    EXPECT_EQ(CompileError(g).code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(FlowFilter, BadValuesInDenyListNameTheField) {
  FilterList allow, deny;
  deny.Add();
  deny.Add()->add_state("ESTABLISH");
  absl::Status s = FlowMatcher::Compile(allow, deny).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().substr(0, 36), "deny[1].state[0]: 'ESTABLISH' is not");
  v1::FlowFilter p;
  p.add_dst_port(70000);
  EXPECT_EQ(CompileError(p).message(),
            "allow[0].dst_port[0]: 70000 is not a port (0..65535)");
  v1::FlowFilter c;
  c.add_country_code("DEU");
  EXPECT_EQ(CompileError(c).code(), absl::StatusCode::kInvalidArgument);
}

TEST(FlowFilter, StateNames) {
  v1::Flow f = Flow();
  EXPECT_EQ(FlowStateName(f), "ESTABLISHED");
  f.set_dccp_state(v1::DCCP_PARTOPEN);
  EXPECT_EQ(FlowStateName(f), "PARTOPEN");
  f.clear_state();
  EXPECT_EQ(FlowStateName(f), "");
}

TEST(Cidr, ContainsByPrefix) {
  auto c = Cidr::Parse("10.0.0.0/8");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->Contains(V4("10.255.0.1")));
  EXPECT_FALSE(c->Contains(V4("11.0.0.1")));
  auto odd = Cidr::Parse("192.168.0.0/23");
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(odd->Contains(V4("192.168.1.200")));
  EXPECT_FALSE(odd->Contains(V4("192.168.2.1")));
  auto all = Cidr::Parse("::/0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Contains(V6("2001:db8::1")));
  EXPECT_FALSE(all->Contains(V4("10.0.0.1")));
  EXPECT_EQ(all->Address(), V6("::"));
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/x").ok());
}

TEST(Cidr, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(Cidr::Parse("nonsense").status().message(),
            "'nonsense' is not an address or CIDR");
  EXPECT_EQ(Cidr::Parse("10.0.0.0/x").status().message(),
            "'10.0.0.0/x' is not an address or CIDR (bad prefix length)");
  EXPECT_EQ(Cidr::Parse("10.0.0.0/33").status().message(),
            "'10.0.0.0/33' is not an address or CIDR (prefix length must be "
            "at most 32)");
  EXPECT_EQ(Cidr::Parse("::/129").status().message(),
            "'::/129' is not an address or CIDR (prefix length must be at "
            "most 128)");
}

TEST(FlowFilter, StateAcceptsHyphens) {
  v1::FlowFilter f;
  f.add_state("time-wait");
  EXPECT_FALSE(Allows(f));
  f.add_state("Established");
  EXPECT_TRUE(Allows(f));
}

TEST(FlowFilter, CountryCodeMustBeLetters) {
  v1::FlowFilter c;
  c.add_country_code("1E");
  EXPECT_EQ(CompileError(c).message(),
            "allow[0].country_code[0]: '1E' is not a two-letter ISO 3166 "
            "country code");
}

TEST(FilterValues, ParseStateName) {
  EXPECT_EQ(*ParseStateName("time-wait"), "TIME_WAIT");
  EXPECT_EQ(*ParseStateName("cookie_wait"), "COOKIE_WAIT");
  EXPECT_EQ(ParseStateName("BOGUS").status().message(),
            "'BOGUS' is not a TCP, SCTP or DCCP state (e.g. ESTABLISHED, "
            "SYN_SENT, TIME_WAIT, CLOSE)");
  EXPECT_FALSE(ParseStateName("STATE_UNSPECIFIED").ok());
  EXPECT_FALSE(ParseStateName("").ok());
}

TEST(FilterValues, StatesNamedSpansProtocols) {
  const auto established = StatesNamed("ESTABLISHED");
  ASSERT_EQ(established.size(), 2u);
  EXPECT_EQ(established[0],
            std::make_pair(v1::Flow::kTcpState, int{v1::TCP_ESTABLISHED}));
  EXPECT_EQ(established[1],
            std::make_pair(v1::Flow::kSctpState, int{v1::SCTP_ESTABLISHED}));
  EXPECT_TRUE(StatesNamed("established").empty());  // canonical names only
}

TEST(FilterValues, ParseProtocolAndFamily) {
  EXPECT_EQ(*ParseProtocol("TCP"), v1::TCP);
  EXPECT_EQ(*ParseProtocol("icmpv6"), v1::ICMPV6);
  EXPECT_EQ(*ParseProtocol("ipv6-icmp"), v1::ICMPV6);
  EXPECT_EQ(*ParseProtocol("udp-lite"), v1::UDPLITE);
  EXPECT_EQ(*ParseProtocol("41"), 41);
  EXPECT_FALSE(ParseProtocol("256").ok());
  EXPECT_FALSE(ParseProtocol("l4_protocol_unspecified").ok());
  EXPECT_EQ(*ParseFamily("inet6"), v1::IPV6);
  EXPECT_EQ(*ParseFamily("IPv4"), v1::IPV4);
  EXPECT_EQ(ParseFamily("ipx").status().message(),
            "'ipx' is not an address family (ipv4 or ipv6)");
}

TEST(FilterValues, EndpointPredicates) {
  const v1::Flow f = Flow();
  EXPECT_TRUE(EndpointProcessIs(f.enrichment().src(), "curl"));
  EXPECT_FALSE(EndpointProcessIs(f.enrichment().dst(), ""));
  EXPECT_TRUE(HostnameContains(f.enrichment().dst(), "example.org"));
  EXPECT_FALSE(HostnameContains(f.enrichment().dst(), "example.net"));
  EXPECT_FALSE(HostnameContains(f.enrichment().src(), ""));
}

// A request of 20,000 allow + 10,000 deny filters used to be accepted (eight
// such streams took 316 MB and 13x the CPU).
TEST(FlowFilter, FiltersPerRequestAreCapped) {
  FilterList allow, deny;
  for (int i = 0; i < 20000; ++i) allow.Add()->add_dst_port(443);
  for (int i = 0; i < 10000; ++i) deny.Add()->add_dst_port(80);
  absl::Status s = FlowMatcher::Compile(allow, deny).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("more than the 64 allowed per request"), std::string::npos)
      << s.message();
  FilterList one, none;
  for (int i = 0; i < 2000; ++i) one.Add();
  one.Clear();
  v1::FlowFilter* f = one.Add();
  for (int i = 0; i < 5000; ++i) f->add_any_port(i);
  s = FlowMatcher::Compile(one, none).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("5000 values, more than the 1024"), std::string::npos);
  FilterList ok;
  for (int i = 0; i < FlowMatcher::kMaxFilters; ++i) ok.Add()->add_dst_port(i);
  EXPECT_TRUE(FlowMatcher::Compile(ok, none).ok());
}

// unit and container values were not counted, so 1,100 unit names (or any
// number up to the request's 1 MiB) passed the value cap (found by
// //tests/service:request_fuzz_test).
TEST(FlowFilter, UnitAndContainerValuesCountTowardTheCap) {
  FilterList units, containers, none;
  v1::FlowFilter* u = units.Add();
  for (int i = 0; i < 1100; ++i) u->add_unit("a.service");
  v1::FlowFilter* c = containers.Add();
  for (int i = 0; i < 1100; ++i) c->add_container("3f2a");
  for (const FilterList* list : {&units, &containers}) {
    absl::Status s = FlowMatcher::Compile(*list, none).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("1100 values, more than the 1024"), std::string::npos)
        << s.message();
  }
}

TEST(FlowFilter, UnknownEnumNumbersAreRejected) {
  v1::FlowFilter f;
  f.add_family(static_cast<v1::AddressFamily>(99));
  EXPECT_NE(CompileError(f).message().find("allow[0].family[0]: 99 is not an AddressFamily"),
            std::string::npos) << CompileError(f);
  f.Clear();
  f.add_protocol(static_cast<v1::L4Protocol>(1234));
  EXPECT_EQ(CompileError(f).code(), absl::StatusCode::kInvalidArgument);
  f.Clear();
  f.add_event_type(static_cast<v1::EventType>(77));
  EXPECT_NE(CompileError(f).message().find("event_type[0]: 77 is not an EventType"),
            std::string::npos);
}

}  // namespace
}  // namespace flowtop::core
