// Prometheus metrics: flowtopd's health as the text exposition format
// (version 0.0.4), rendered from a snapshot so the rendering is a pure
// function tested without sockets. Labels are bounded: loss source,
// protocol and state names, the configured IPFIX collectors, the kernel
// counter names. No per-address or per-flow label.
#ifndef FLOWTOP_EXPORTERS_METRICS_H_
#define FLOWTOP_EXPORTERS_METRICS_H_

#include <optional>
#include <string>
#include <vector>

#include "collector/conntrack_stats.h"
#include "exporters/flow_counts.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::exporters {

struct MetricsSnapshot {
  v1::NodeStatus status;  // GetStatus' answer
  std::vector<FlowCount> flows;
  // The kernel's conntrack statistics; absent when they could not be read.
  std::optional<collector::ConntrackKernelStats> kernel;
};

// Returns the exposition text (ends with a newline).
std::string RenderMetrics(const MetricsSnapshot& snapshot);

}  // namespace flowtop::exporters

#endif  // FLOWTOP_EXPORTERS_METRICS_H_
