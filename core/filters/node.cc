#include "core/filters/node.h"

#include <algorithm>

namespace flowtop::core {

bool NodeIn(const std::vector<std::string>& nodes, absl::string_view node) {
  return std::find(nodes.begin(), nodes.end(), node) != nodes.end();
}

}  // namespace flowtop::core
