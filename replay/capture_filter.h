// CaptureFilter: which events a recording keeps, from the TUI's protocol
// and family switches (-4 -6 -T -U -D -I -S), so `flowtop record -T` keeps
// exactly the flows `flowtop -T` shows.
//
// The switches become one FlowFilter and the events go through the same
// core StreamFilter that GetFlows uses, so "keep the later events of a kept
// flow" is decided in one place. Events that do not concern one flow (LOST,
// STATUS, SNAPSHOT_END, RESYNC_*) are always kept: loss and status must
// survive any filter.
#ifndef FLOWTOP_REPLAY_CAPTURE_FILTER_H_
#define FLOWTOP_REPLAY_CAPTURE_FILTER_H_

#include <vector>

#include "core/stream_filter.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::replay {

class CaptureFilter {
 public:
  // Empty lists keep everything of that kind.
  CaptureFilter(std::vector<v1::AddressFamily> families,
                std::vector<v1::L4Protocol> protocols);

  // Returns true when the event is to be recorded. ENRICH and COUNTERS
  // events carry no family/protocol: they are kept when their flow was kept.
  bool Keep(const v1::FlowEvent& event);

  // The filter as a FlowFilter, for the recording header (empty when it
  // keeps everything).
  std::vector<v1::FlowFilter> AsFlowFilters() const;

  bool keeps_everything() const { return families_.empty() && protocols_.empty(); }

 private:
  std::vector<v1::AddressFamily> families_;
  std::vector<v1::L4Protocol> protocols_;
  core::StreamFilter stream_;
  v1::FlowEvent unused_;  // the merged flow (family and protocol never need it)
};

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_CAPTURE_FILTER_H_
