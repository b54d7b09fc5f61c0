// Test helpers: FlowEvents as sources and the pipeline send them, for the
// tests of every package that filters, merges or records events.
#ifndef FLOWTOP_CORE_TEST_EVENTS_H_
#define FLOWTOP_CORE_TEST_EVENTS_H_

#include <cstdint>

#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

// A NEW, SNAPSHOT, UPDATE or DESTROY: the whole flow.
inline v1::FlowEvent WholeFlowEvent(v1::EventType type, const v1::Flow& flow) {
  v1::FlowEvent e;
  e.set_type(type);
  *e.mutable_flow() = flow;
  return e;
}

// An ENRICH or COUNTERS as the pipeline sends them: the flow's conntrack id
// only (add the enrichment or counters).
inline v1::FlowEvent KeyOnlyEvent(v1::EventType type, uint32_t conntrack_id) {
  v1::FlowEvent e;
  e.set_type(type);
  e.mutable_flow()->set_conntrack_id(conntrack_id);
  return e;
}

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_TEST_EVENTS_H_
