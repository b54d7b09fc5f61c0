#include "core/filters/state.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace flowtop::core {
namespace {

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

}  // namespace

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

StateValue StateOf(const v1::Flow& flow) {
  switch (flow.state_case()) {
    case v1::Flow::kTcpState: return {flow.state_case(), flow.tcp_state()};
    case v1::Flow::kSctpState: return {flow.state_case(), flow.sctp_state()};
    case v1::Flow::kDccpState: return {flow.state_case(), flow.dccp_state()};
    default: return {0, 0};
  }
}

bool StateIn(const std::vector<StateValue>& states, int state_case, int value) {
  return state_case != 0 &&
         std::find(states.begin(), states.end(), StateValue(state_case, value)) !=
             states.end();
}

}  // namespace flowtop::core
