#include "replay/capture_filter.h"

#include <utility>

#include "core/flow_filter.h"

namespace flowtop::replay {
namespace {

// Returns the matcher for `filters` (family and protocol enum values,
// which always compile).
core::FlowMatcher MatcherFor(const std::vector<v1::FlowFilter>& filters) {
  core::FilterList allow(filters.begin(), filters.end());
  absl::StatusOr<core::FlowMatcher> matcher =
      core::FlowMatcher::Compile(allow, core::FilterList());
  return matcher.ok() ? *std::move(matcher) : core::FlowMatcher();
}

}  // namespace

CaptureFilter::CaptureFilter(std::vector<v1::AddressFamily> families,
                             std::vector<v1::L4Protocol> protocols)
    : families_(std::move(families)),
      protocols_(std::move(protocols)),
      stream_(MatcherFor(AsFlowFilters())) {}

bool CaptureFilter::Keep(const v1::FlowEvent& event) {
  return stream_.Decide(event, &unused_) != core::StreamFilter::Verdict::kDrop;
}

std::vector<v1::FlowFilter> CaptureFilter::AsFlowFilters() const {
  if (keeps_everything()) return {};
  v1::FlowFilter filter;
  for (v1::AddressFamily f : families_) filter.add_family(f);
  for (v1::L4Protocol p : protocols_) filter.add_protocol(p);
  return {filter};
}

}  // namespace flowtop::replay
