// SourceStatus: what an event source knows about the node that the service
// reports in GetStatus (conntrack count and limit, the conntrack sysctls,
// resyncs). The kernel source implements it; a replay source can report the
// recording's name; sources that know nothing need not implement it.
#ifndef FLOWTOP_SERVICE_SOURCE_STATUS_H_
#define FLOWTOP_SERVICE_SOURCE_STATUS_H_

#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::service {

class SourceStatus {
 public:
  virtual ~SourceStatus() = default;
  // Fills the fields the source knows: conntrack_count, conntrack_max,
  // sysctl, resyncs and, when it has a better name than the service's,
  // source. Must be thread-safe and quick (GetStatus calls it).
  virtual void FillStatus(v1::NodeStatus* status) const = 0;
};

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_SOURCE_STATUS_H_
