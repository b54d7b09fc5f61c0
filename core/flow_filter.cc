#include "core/flow_filter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace flowtop::collector {
namespace {

template <typename T>
bool Contains(const std::vector<T>& values, const T& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Adds to `out` every value of the enum whose name is `prefix` + `name`
// (the *_UNSPECIFIED value excluded).
template <typename Descriptor>
void AddNamed(const Descriptor* descriptor, absl::string_view prefix,
              absl::string_view name, v1::Flow::StateCase state_case,
              std::vector<std::pair<v1::Flow::StateCase, int>>* out) {
  for (int i = 0; i < descriptor->value_count(); ++i) {
    absl::string_view full = descriptor->value(i)->name();
    if (descriptor->value(i)->number() == 0) continue;  // *_UNSPECIFIED
    if (absl::StartsWith(full, prefix) && full.substr(prefix.size()) == name) {
      out->emplace_back(state_case, descriptor->value(i)->number());
    }
  }
}

const v1::Endpoint& Src(const v1::Flow& f) { return f.enrichment().src(); }
const v1::Endpoint& Dst(const v1::Flow& f) { return f.enrichment().dst(); }

}  // namespace

absl::StatusOr<Cidr> Cidr::Parse(absl::string_view text) {
  auto bad = [&](absl::string_view why = "") {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not an address or CIDR", why.empty() ? "" : " (",
        why, why.empty() ? "" : ")"));
  };
  absl::string_view address = text;
  int prefix = -1;
  if (const size_t slash = text.find('/'); slash != absl::string_view::npos) {
    address = text.substr(0, slash);
    if (!absl::SimpleAtoi(text.substr(slash + 1), &prefix) || prefix < 0) {
      return bad("bad prefix length");
    }
  }
  Cidr cidr;
  const std::string host(address);
  if (inet_pton(AF_INET, host.c_str(), cidr.bytes.data()) == 1) {
    cidr.size = 4;
  } else if (inet_pton(AF_INET6, host.c_str(), cidr.bytes.data()) == 1) {
    cidr.size = 16;
  } else {
    return bad();
  }
  if (prefix > cidr.size * 8) {
    return bad(absl::StrCat("prefix length must be at most ", cidr.size * 8));
  }
  cidr.prefix = prefix < 0 ? cidr.size * 8 : prefix;
  return cidr;
}

bool Cidr::Contains(absl::string_view address) const {
  if (static_cast<int>(address.size()) != size) return false;
  const auto* a = reinterpret_cast<const uint8_t*>(address.data());
  const int full = prefix / 8;
  if (std::memcmp(a, bytes.data(), full) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (bytes[full] & mask);
}

std::string Cidr::Address() const {
  return std::string(reinterpret_cast<const char*>(bytes.data()), size);
}

std::vector<std::pair<v1::Flow::StateCase, int>> StatesNamed(
    absl::string_view name) {
  std::vector<std::pair<v1::Flow::StateCase, int>> out;
  AddNamed(v1::TcpState_descriptor(), "TCP_", name, v1::Flow::kTcpState, &out);
  AddNamed(v1::SctpState_descriptor(), "SCTP_", name, v1::Flow::kSctpState,
           &out);
  AddNamed(v1::DccpState_descriptor(), "DCCP_", name, v1::Flow::kDccpState,
           &out);
  return out;
}

absl::StatusOr<std::string> ParseStateName(absl::string_view text) {
  std::string name = absl::AsciiStrToUpper(text);
  std::replace(name.begin(), name.end(), '-', '_');
  if (StatesNamed(name).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text,
                     "' is not a TCP, SCTP or DCCP state (e.g. ESTABLISHED, "
                     "SYN_SENT, TIME_WAIT, CLOSE)"));
  }
  return name;
}

absl::StatusOr<std::string> ParseCountryCode(absl::string_view text) {
  if (text.size() != 2 || !absl::ascii_isalpha(text[0]) ||
      !absl::ascii_isalpha(text[1])) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not a two-letter ISO 3166 country code"));
  }
  return absl::AsciiStrToUpper(text);
}

absl::StatusOr<int> ParseProtocol(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  const auto* descriptor = v1::L4Protocol_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    if (descriptor->value(i)->number() == 0) continue;  // *_UNSPECIFIED
    if (absl::AsciiStrToLower(descriptor->value(i)->name()) == lower) {
      return descriptor->value(i)->number();
    }
  }
  static constexpr std::pair<const char*, int> kAliases[] = {
      {"icmp6", v1::ICMPV6}, {"ipv6-icmp", v1::ICMPV6}, {"udp-lite", v1::UDPLITE}};
  for (const auto& [alias, number] : kAliases) {
    if (lower == alias) return number;
  }
  int number = 0;
  if (absl::SimpleAtoi(text, &number) && number >= 0 && number <= 255) {
    return number;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text,
                   "' is not a protocol (tcp, udp, udplite, icmp, icmpv6, "
                   "sctp, dccp, gre or a number 0..255)"));
}

absl::StatusOr<v1::AddressFamily> ParseFamily(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "ipv4" || lower == "ip4" || lower == "4" || lower == "inet") {
    return v1::IPV4;
  }
  if (lower == "ipv6" || lower == "ip6" || lower == "6" || lower == "inet6") {
    return v1::IPV6;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not an address family (ipv4 or ipv6)"));
}

bool HasPorts(int protocol) {
  switch (protocol) {
    case v1::TCP:
    case v1::UDP:
    case v1::UDPLITE:
    case v1::SCTP:
    case v1::DCCP:
      return true;
    default:  // ICMP ids, GRE keys: not ports
      return false;
  }
}

bool EndpointProcessIs(const v1::Endpoint& endpoint, absl::string_view name) {
  return endpoint.has_process() && endpoint.process().name() == name;
}

bool EndpointUnitIs(const v1::Endpoint& endpoint, absl::string_view unit) {
  if (!endpoint.has_process() || unit.empty()) return false;
  const std::string& u = endpoint.process().unit();
  return u == unit || (u.size() == unit.size() + 8 && absl::StartsWith(u, unit) &&
                       absl::EndsWith(u, ".service"));
}

bool EndpointContainerHas(const v1::Endpoint& endpoint, absl::string_view lower_prefix) {
  return endpoint.has_process() && !lower_prefix.empty() &&
         absl::StartsWith(endpoint.process().container_id(), lower_prefix);
}

bool HostnameContains(const v1::Endpoint& endpoint,
                      absl::string_view lower_part) {
  const std::string& host = endpoint.hostname();
  if (host.empty() || lower_part.size() > host.size()) return false;
  for (size_t start = 0; start + lower_part.size() <= host.size(); ++start) {
    size_t i = 0;
    while (i < lower_part.size() &&
           absl::ascii_tolower(host[start + i]) == lower_part[i]) {
      ++i;
    }
    if (i == lower_part.size()) return true;
  }
  return false;
}

std::string FlowStateName(const v1::Flow& flow) {
  auto strip = [](const std::string& name, absl::string_view prefix) {
    return name.substr(std::min(name.size(), prefix.size()));
  };
  switch (flow.state_case()) {
    case v1::Flow::kTcpState:
      return strip(v1::TcpState_Name(flow.tcp_state()), "TCP_");
    case v1::Flow::kSctpState:
      return strip(v1::SctpState_Name(flow.sctp_state()), "SCTP_");
    case v1::Flow::kDccpState:
      return strip(v1::DccpState_Name(flow.dccp_state()), "DCCP_");
    default:
      return "";
  }
}

// Returns how many values (addresses, ports, names, ...) a filter holds.
static size_t ValueCount(const v1::FlowFilter& f) {
  return f.family_size() + f.protocol_size() + f.src_ip_size() +
         f.dst_ip_size() + f.any_ip_size() + f.src_port_size() +
         f.dst_port_size() + f.any_port_size() + f.state_size() +
         f.process_name_size() + f.pid_size() + f.country_code_size() +
         f.node_size() + f.event_type_size() + f.hostname_size();
}

absl::StatusOr<FlowMatcher::Compiled> FlowMatcher::CompileOne(
    const v1::FlowFilter& filter, const std::string& where) {
  Compiled c;
  // Enum numbers this version does not know are mistakes, not filters that
  // silently match nothing.
  for (int i = 0; i < filter.family_size(); ++i) {
    if (!v1::AddressFamily_IsValid(filter.family(i))) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".family[", i, "]: ", filter.family(i),
          " is not an AddressFamily"));
    }
    c.families.push_back(filter.family(i));
  }
  for (int i = 0; i < filter.protocol_size(); ++i) {
    if (!v1::L4Protocol_IsValid(filter.protocol(i))) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".protocol[", i, "]: ", filter.protocol(i),
          " is not an L4Protocol"));
    }
    c.protocols.push_back(filter.protocol(i));
  }
  for (int i = 0; i < filter.event_type_size(); ++i) {
    if (!v1::EventType_IsValid(filter.event_type(i))) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".event_type[", i, "]: ", filter.event_type(i),
          " is not an EventType"));
    }
  }
  auto cidrs = [&](const auto& field, absl::string_view name,
                   std::vector<Cidr>* out) -> absl::Status {
    for (int i = 0; i < field.size(); ++i) {
      absl::StatusOr<Cidr> cidr = Cidr::Parse(field.Get(i));
      if (!cidr.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ".", name, "[", i, "]: ", cidr.status().message()));
      }
      out->push_back(*cidr);
    }
    return absl::OkStatus();
  };
  if (auto s = cidrs(filter.src_ip(), "src_ip", &c.src_ip); !s.ok()) return s;
  if (auto s = cidrs(filter.dst_ip(), "dst_ip", &c.dst_ip); !s.ok()) return s;
  if (auto s = cidrs(filter.any_ip(), "any_ip", &c.any_ip); !s.ok()) return s;
  auto ports = [&](const auto& field, absl::string_view name,
                   std::vector<uint32_t>* out) -> absl::Status {
    for (int i = 0; i < field.size(); ++i) {
      if (!IsPort(field.Get(i))) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".", name, "[", i, "]: ", field.Get(i),
                         " is not a port (0..65535)"));
      }
      out->push_back(field.Get(i));
    }
    return absl::OkStatus();
  };
  if (auto s = ports(filter.src_port(), "src_port", &c.src_port); !s.ok()) {
    return s;
  }
  if (auto s = ports(filter.dst_port(), "dst_port", &c.dst_port); !s.ok()) {
    return s;
  }
  if (auto s = ports(filter.any_port(), "any_port", &c.any_port); !s.ok()) {
    return s;
  }
  for (int i = 0; i < filter.state_size(); ++i) {
    absl::StatusOr<std::string> name = ParseStateName(filter.state(i));
    if (!name.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".state[", i, "]: ", name.status().message()));
    }
    c.states.push_back(*std::move(name));
  }
  for (const std::string& v : filter.process_name()) {
    c.process_names.push_back(v);
  }
  for (uint32_t v : filter.pid()) c.pids.push_back(v);
  for (int i = 0; i < filter.country_code_size(); ++i) {
    absl::StatusOr<std::string> code = ParseCountryCode(filter.country_code(i));
    if (!code.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".country_code[", i, "]: ", code.status().message()));
    }
    c.country_codes.push_back(*std::move(code));
  }
  for (const std::string& v : filter.node()) c.nodes.push_back(v);
  for (int v : filter.event_type()) c.event_types.push_back(v);
  for (const std::string& v : filter.hostname()) {
    c.hostnames.push_back(absl::AsciiStrToLower(v));
  }
  for (int i = 0; i < filter.unit_size(); ++i) {
    if (filter.unit(i).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".unit[", i, "]: empty unit name"));
    }
    c.units.push_back(filter.unit(i));
  }
  for (int i = 0; i < filter.container_size(); ++i) {
    if (filter.container(i).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".container[", i, "]: empty container id"));
    }
    c.containers.push_back(absl::AsciiStrToLower(filter.container(i)));
  }
  return c;
}

absl::StatusOr<FlowMatcher> FlowMatcher::Compile(const FilterList& allow,
                                                 const FilterList& deny) {
  // Every filter costs each event a check: bound how many a request brings.
  if (allow.size() + deny.size() > kMaxFilters) {
    return absl::InvalidArgumentError(absl::StrCat(
        "allow/deny: ", allow.size(), " + ", deny.size(),
        " filters, more than the ", kMaxFilters, " allowed per request"));
  }
  size_t values = 0;
  for (const FilterList* list : {&allow, &deny}) {
    for (const v1::FlowFilter& f : *list) values += ValueCount(f);
  }
  if (values > kMaxFilterValues) {
    return absl::InvalidArgumentError(absl::StrCat(
        "allow/deny: the filters hold ", values, " values, more than the ",
        kMaxFilterValues, " allowed per request"));
  }
  FlowMatcher matcher;
  for (int i = 0; i < allow.size(); ++i) {
    auto c = CompileOne(allow.Get(i), absl::StrCat("allow[", i, "]"));
    if (!c.ok()) return c.status();
    matcher.allow_.push_back(*std::move(c));
  }
  for (int i = 0; i < deny.size(); ++i) {
    auto c = CompileOne(deny.Get(i), absl::StrCat("deny[", i, "]"));
    if (!c.ok()) return c.status();
    matcher.deny_.push_back(*std::move(c));
  }
  return matcher;
}

bool FlowMatcher::MatchOne(const Compiled& c, const v1::Flow* flow,
                           const v1::FlowEvent* event) {
  if (!c.event_types.empty() && event != nullptr &&
      !Contains(c.event_types, static_cast<int>(event->type()))) {
    return false;
  }
  if (!c.nodes.empty()) {
    const std::string& node =
        flow->node().empty() && event != nullptr ? event->node() : flow->node();
    if (!Contains(c.nodes, node)) return false;
  }
  if (!c.families.empty() &&
      !Contains(c.families, static_cast<int>(flow->family()))) {
    return false;
  }
  if (!c.protocols.empty() &&
      !Contains(c.protocols, static_cast<int>(flow->protocol()))) {
    return false;
  }
  const v1::Tuple& t = flow->original();
  auto in_any = [](const std::vector<Cidr>& cidrs, const std::string& ip) {
    for (const Cidr& cidr : cidrs) {
      if (cidr.Contains(ip)) return true;
    }
    return false;
  };
  if (!c.src_ip.empty() && !in_any(c.src_ip, t.src_ip())) return false;
  if (!c.dst_ip.empty() && !in_any(c.dst_ip, t.dst_ip())) return false;
  if (!c.any_ip.empty() && !in_any(c.any_ip, t.src_ip()) &&
      !in_any(c.any_ip, t.dst_ip())) {
    return false;
  }
  const bool ports = HasPorts(flow->protocol());
  if (!c.src_port.empty() && !(ports && Contains(c.src_port, t.src_port()))) {
    return false;
  }
  if (!c.dst_port.empty() && !(ports && Contains(c.dst_port, t.dst_port()))) {
    return false;
  }
  if (!c.any_port.empty() &&
      !(ports && (Contains(c.any_port, t.src_port()) ||
                  Contains(c.any_port, t.dst_port())))) {
    return false;
  }
  if (!c.states.empty() && !Contains(c.states, FlowStateName(*flow))) {
    return false;
  }
  const v1::Endpoint& src = Src(*flow);
  const v1::Endpoint& dst = Dst(*flow);
  if (!c.process_names.empty() &&
      std::none_of(c.process_names.begin(), c.process_names.end(),
                   [&](const std::string& name) {
                     return EndpointProcessIs(src, name) ||
                            EndpointProcessIs(dst, name);
                   })) {
    return false;
  }
  if (!c.pids.empty() &&
      !(src.has_process() && Contains(c.pids, src.process().pid())) &&
      !(dst.has_process() && Contains(c.pids, dst.process().pid()))) {
    return false;
  }
  if (!c.country_codes.empty() &&
      !Contains(c.country_codes,
                absl::AsciiStrToUpper(src.geo().country_code())) &&
      !Contains(c.country_codes,
                absl::AsciiStrToUpper(dst.geo().country_code()))) {
    return false;
  }
  if (!c.units.empty() &&
      std::none_of(c.units.begin(), c.units.end(), [&](const std::string& u) {
        return EndpointUnitIs(src, u) || EndpointUnitIs(dst, u);
      })) {
    return false;
  }
  if (!c.containers.empty() &&
      std::none_of(c.containers.begin(), c.containers.end(), [&](const std::string& id) {
        return EndpointContainerHas(src, id) || EndpointContainerHas(dst, id);
      })) {
    return false;
  }
  if (!c.hostnames.empty() &&
      std::none_of(c.hostnames.begin(), c.hostnames.end(),
                   [&](const std::string& h) {
                     return HostnameContains(src, h) ||
                            HostnameContains(dst, h);
                   })) {
    return false;
  }
  return true;
}

bool FlowMatcher::Passes(const v1::Flow* flow,
                         const v1::FlowEvent* event) const {
  bool allowed = allow_.empty();
  for (const Compiled& c : allow_) {
    if (MatchOne(c, flow, event)) {
      allowed = true;
      break;
    }
  }
  if (!allowed) return false;
  for (const Compiled& c : deny_) {
    if (MatchOne(c, flow, event)) return false;
  }
  return true;
}

bool FlowMatcher::NeedsMergedFlow() const {
  auto needs = [](const Compiled& c) {
    return !c.event_types.empty() || !c.process_names.empty() ||
           !c.pids.empty() || !c.country_codes.empty() ||
           !c.hostnames.empty() || !c.units.empty() || !c.containers.empty();
  };
  for (const auto* list : {&allow_, &deny_}) {
    for (const Compiled& c : *list) {
      if (needs(c)) return true;
    }
  }
  return false;
}

bool FlowMatcher::Matches(const v1::Flow& flow) const {
  if (AllowsAll()) return true;
  return Passes(&flow, nullptr);
}

bool FlowMatcher::Matches(const v1::Flow& flow, v1::EventType type) const {
  if (AllowsAll()) return true;
  v1::FlowEvent typed;
  typed.set_type(type);
  return Passes(&flow, &typed);
}

bool FlowMatcher::Matches(const v1::FlowEvent& event) const {
  if (AllowsAll() || !event.has_flow()) return true;
  return Passes(&event.flow(), &event);
}

}  // namespace flowtop::collector
