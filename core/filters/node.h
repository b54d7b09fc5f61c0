// Filter field kind: node (FlowFilter node; the `/` language's node): the
// flowtopd a flow came from.
#ifndef FLOWTOP_CORE_FILTERS_NODE_H_
#define FLOWTOP_CORE_FILTERS_NODE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace flowtop::core {

// Returns whether `node` is one of `nodes` (exact names).
bool NodeIn(const std::vector<std::string>& nodes, absl::string_view node);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FILTERS_NODE_H_
