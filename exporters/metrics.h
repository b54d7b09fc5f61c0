// Prometheus metrics: flowtopd's health as the text exposition format
// (version 0.0.4), rendered from a snapshot so the rendering is a pure
// function tested without sockets. Labels are bounded: loss source,
// protocol and state names, the configured IPFIX collectors, the kernel
// counter names. No per-address or per-flow label.
#ifndef FLOWTOP_EXPORTERS_METRICS_H_
#define FLOWTOP_EXPORTERS_METRICS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "exporters/flow_counts.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::exporters {

// The kernel's conntrack statistics (`conntrack -S`, summed over CPUs), as
// the composition root read them (collector/conntrack_stats.h).
struct KernelConntrackCounters {
  uint64_t found = 0, invalid = 0, insert = 0, insert_failed = 0, drop = 0,
           early_drop = 0, error = 0, search_restart = 0, clash_resolve = 0,
           chaintoolong = 0;
};

struct MetricsSnapshot {
  v1::NodeStatus status;  // GetStatus' answer
  std::vector<FlowCount> flows;
  // The kernel's conntrack statistics; absent when they could not be read.
  std::optional<KernelConntrackCounters> kernel;
};

// Returns the exposition text (ends with a newline).
std::string RenderMetrics(const MetricsSnapshot& snapshot);

}  // namespace flowtop::exporters

#endif  // FLOWTOP_EXPORTERS_METRICS_H_
