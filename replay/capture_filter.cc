#include "replay/capture_filter.h"

#include <algorithm>
#include <utility>

#include "core/flow_key.h"

namespace flowtop::replay {

CaptureFilter::CaptureFilter(std::vector<v1::AddressFamily> families,
                             std::vector<v1::L4Protocol> protocols)
    : families_(std::move(families)), protocols_(std::move(protocols)) {}

bool CaptureFilter::Matches(const v1::Flow& flow) const {
  if (!families_.empty() &&
      std::find(families_.begin(), families_.end(), flow.family()) ==
          families_.end()) {
    return false;
  }
  if (!protocols_.empty() &&
      std::find(protocols_.begin(), protocols_.end(), flow.protocol()) ==
          protocols_.end()) {
    return false;
  }
  return true;
}

bool CaptureFilter::Keep(const v1::FlowEvent& event) {
  if (keeps_everything() || !event.has_flow()) return true;
  const uint64_t id = collector::FlowKey(event.flow());
  auto it = std::lower_bound(kept_.begin(), kept_.end(), id);
  const bool known = it != kept_.end() && *it == id;
  switch (event.type()) {
    case v1::NEW:
    case v1::SNAPSHOT:
    case v1::UPDATE:
      if (!Matches(event.flow())) return false;
      if (!known) kept_.insert(it, id);
      return true;
    case v1::DESTROY:
      if (known) {
        kept_.erase(it);
        return true;
      }
      return Matches(event.flow());
    default:
      return known;
  }
}

std::vector<v1::FlowFilter> CaptureFilter::AsFlowFilters() const {
  if (keeps_everything()) return {};
  v1::FlowFilter filter;
  for (v1::AddressFamily f : families_) filter.add_family(f);
  for (v1::L4Protocol p : protocols_) filter.add_protocol(p);
  return {filter};
}

}  // namespace flowtop::replay
