#include "core/flow_filter.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace flowtop::core {
namespace {

// Returns how many values (addresses, ports, names, ...) a filter holds.
size_t ValueCount(const v1::FlowFilter& f) {
  return f.family_size() + f.protocol_size() + f.src_ip_size() +
         f.dst_ip_size() + f.any_ip_size() + f.src_port_size() +
         f.dst_port_size() + f.any_port_size() + f.state_size() +
         f.process_name_size() + f.pid_size() + f.country_code_size() +
         f.node_size() + f.event_type_size() + f.hostname_size() +
         f.unit_size() + f.container_size();
}

absl::Status Bad(absl::string_view where, absl::string_view field, int i,
                 absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(where, ".", field, "[", i, "]: ", what));
}

// Appends a FieldMatch for `field` to `out` when `values` is not empty,
// adding each value with `add(value, match)`, whose error (a message for
// value i) is named "where.name[i]: message".
template <typename Values, typename Add>
absl::Status Field(const Values& values, FilterField field, absl::string_view where,
                   absl::string_view name, Add add, std::vector<FieldMatch>* out) {
  if (values.empty()) return absl::OkStatus();
  FieldMatch m;
  m.field = field;
  for (int i = 0; i < values.size(); ++i) {
    if (absl::Status s = add(values.Get(i), m); !s.ok()) {
      return Bad(where, name, i, s.message());
    }
  }
  out->push_back(std::move(m));
  return absl::OkStatus();
}

absl::Status AddCidr(const std::string& text, FieldMatch& m) {
  absl::StatusOr<Cidr> cidr = Cidr::Parse(text);
  if (!cidr.ok()) return cidr.status();
  m.cidrs.push_back(*cidr);
  return absl::OkStatus();
}

absl::Status AddPort(uint32_t port, FieldMatch& m) {
  if (!IsPort(port)) {
    return absl::InvalidArgumentError(absl::StrCat(port, " is not a port (0..65535)"));
  }
  m.numbers.push_back(port);
  return absl::OkStatus();
}

absl::Status AddState(const std::string& text, FieldMatch& m) {
  absl::StatusOr<std::string> name = ParseStateName(text);
  if (!name.ok()) return name.status();
  for (const auto& [state_case, value] : StatesNamed(*name)) {
    m.states.emplace_back(state_case, value);
  }
  m.strings.push_back(*std::move(name));
  return absl::OkStatus();
}

absl::Status AddCountry(const std::string& text, FieldMatch& m) {
  absl::StatusOr<std::string> code = ParseCountryCode(text);
  if (!code.ok()) return code.status();
  m.strings.push_back(*std::move(code));
  return absl::OkStatus();
}

// Enum numbers this version does not know are mistakes, not filters that
// silently match nothing.
template <typename IsValid>
auto AddEnum(IsValid is_valid, absl::string_view type) {
  return [is_valid, type](int value, FieldMatch& m) -> absl::Status {
    if (!is_valid(value)) {
      return absl::InvalidArgumentError(absl::StrCat(value, " is not an ", type));
    }
    m.numbers.push_back(static_cast<uint32_t>(value));
    return absl::OkStatus();
  };
}

absl::Status AddString(const std::string& text, FieldMatch& m) {
  m.strings.push_back(text);
  return absl::OkStatus();
}

absl::Status AddLower(const std::string& text, FieldMatch& m) {
  m.strings.push_back(absl::AsciiStrToLower(text));
  return absl::OkStatus();
}

auto AddNonEmpty(absl::string_view what, bool lower) {
  return [what, lower](const std::string& text, FieldMatch& m) -> absl::Status {
    if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", what));
    return lower ? AddLower(text, m) : AddString(text, m);
  };
}

absl::Status AddPid(uint32_t pid, FieldMatch& m) {
  m.numbers.push_back(pid);
  return absl::OkStatus();
}

// Returns whether some filter field reads the enrichment.
bool ReadsEnrichment(FilterField field) {
  switch (field) {
    case FilterField::kProcess:
    case FilterField::kPid:
    case FilterField::kCountry:
    case FilterField::kHostname:
    case FilterField::kUnit:
    case FilterField::kContainer:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<FlowMatcher::Compiled> FlowMatcher::CompileOne(
    const v1::FlowFilter& f, const std::string& where) {
  Compiled c;
  std::vector<FieldMatch>* out = &c.fields;
  // In the order the errors are reported.
  const absl::Status enums[] = {
      Field(f.family(), FilterField::kFamily, where, "family",
            AddEnum(v1::AddressFamily_IsValid, "AddressFamily"), out),
      Field(f.protocol(), FilterField::kProtocol, where, "protocol",
            AddEnum(v1::L4Protocol_IsValid, "L4Protocol"), out),
  };
  for (const absl::Status& s : enums) {
    if (!s.ok()) return s;
  }
  for (int i = 0; i < f.event_type_size(); ++i) {
    if (!v1::EventType_IsValid(f.event_type(i))) {
      return Bad(where, "event_type", i,
                 absl::StrCat(f.event_type(i), " is not an EventType"));
    }
    c.event_types.push_back(f.event_type(i));
  }
  const absl::Status checks[] = {
      Field(f.src_ip(), FilterField::kSrcIp, where, "src_ip", AddCidr, out),
      Field(f.dst_ip(), FilterField::kDstIp, where, "dst_ip", AddCidr, out),
      Field(f.any_ip(), FilterField::kAnyIp, where, "any_ip", AddCidr, out),
      Field(f.src_port(), FilterField::kSrcPort, where, "src_port", AddPort, out),
      Field(f.dst_port(), FilterField::kDstPort, where, "dst_port", AddPort, out),
      Field(f.any_port(), FilterField::kAnyPort, where, "any_port", AddPort, out),
      Field(f.state(), FilterField::kState, where, "state", AddState, out),
      Field(f.process_name(), FilterField::kProcess, where, "process_name",
            AddString, out),
      Field(f.pid(), FilterField::kPid, where, "pid", AddPid, out),
      Field(f.country_code(), FilterField::kCountry, where, "country_code",
            AddCountry, out),
      Field(f.node(), FilterField::kNode, where, "node", AddString, out),
      Field(f.hostname(), FilterField::kHostname, where, "hostname", AddLower, out),
      Field(f.unit(), FilterField::kUnit, where, "unit",
            AddNonEmpty("unit name", false), out),
      Field(f.container(), FilterField::kContainer, where, "container",
            AddNonEmpty("container id", true), out),
  };
  for (const absl::Status& s : checks) {
    if (!s.ok()) return s;
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

bool FlowMatcher::MatchOne(const Compiled& c, const FlowFacts& facts,
                           const v1::Flow& flow, const v1::FlowEvent* event) {
  if (!c.event_types.empty() && event != nullptr &&
      std::find(c.event_types.begin(), c.event_types.end(),
                static_cast<int>(event->type())) == c.event_types.end()) {
    return false;
  }
  // A partial event's flow may lack the node its event names.
  const absl::string_view node =
      flow.node().empty() && event != nullptr ? event->node() : flow.node();
  for (const FieldMatch& m : c.fields) {
    if (!FieldHolds(m, facts, [&flow]() -> const v1::Flow& { return flow; },
                    [node]() { return node; })) {
      return false;
    }
  }
  return true;
}

bool FlowMatcher::NeedsMergedFlow() const {
  auto needs = [](const Compiled& c) {
    return !c.event_types.empty() ||
           std::any_of(c.fields.begin(), c.fields.end(), [](const FieldMatch& m) {
             return ReadsEnrichment(m.field);
           });
  };
  for (const auto* list : {&allow_, &deny_}) {
    if (std::any_of(list->begin(), list->end(), needs)) return true;
  }
  return false;
}

bool FlowMatcher::Passes(const v1::Flow* flow,
                         const v1::FlowEvent* event) const {
  const FlowFacts facts = FactsOf(*flow);
  bool allowed = allow_.empty();
  for (const Compiled& c : allow_) {
    if (MatchOne(c, facts, *flow, event)) {
      allowed = true;
      break;
    }
  }
  if (!allowed) return false;
  for (const Compiled& c : deny_) {
    if (MatchOne(c, facts, *flow, event)) return false;
  }
  return true;
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

}  // namespace flowtop::core
