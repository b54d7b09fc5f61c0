// Filter field kind: protocol state (FlowFilter state; the `/` language's
// state): TCP, SCTP and DCCP states by name.
#ifndef FLOWTOP_CORE_FILTERS_STATE_H_
#define FLOWTOP_CORE_FILTERS_STATE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

// A state as (Flow state oneof case, enum value).
using StateValue = std::pair<int, int>;

// Returns the canonical state name ("TIME_WAIT") for a state written in any
// case, with '-' or '_' ("time-wait"), when some TCP, SCTP or DCCP state has
// it; INVALID_ARGUMENT "'x' is not a TCP, SCTP or DCCP state (e.g. ...)".
absl::StatusOr<std::string> ParseStateName(absl::string_view text);

// Returns every (Flow state case, enum value) whose name without the enum
// prefix is `name` (canonical, e.g. ESTABLISHED is a TCP and an SCTP
// state); empty when none is.
std::vector<std::pair<v1::Flow::StateCase, int>> StatesNamed(
    absl::string_view name);

// Returns the flow's state name without the enum prefix ("ESTABLISHED",
// "TIME_WAIT", "COOKIE_WAIT"), or "" for protocols without a state.
std::string FlowStateName(const v1::Flow& flow);

// Returns the flow's state as (case, value); (0, 0) without a state.
StateValue StateOf(const v1::Flow& flow);

// Returns whether the state (`state_case`, `value`) is one of `states`;
// never for a flow without a state (case 0).
bool StateIn(const std::vector<StateValue>& states, int state_case, int value);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FILTERS_STATE_H_
