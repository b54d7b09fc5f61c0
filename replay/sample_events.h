// Sample FlowEvent streams for tests and benchmarks: one event of every kind
// with every field group filled, and a synthetic but plausible stream
// (NEW, COUNTERS, ENRICH, UPDATE, DESTROY in a realistic mix) that a
// FlowTable can apply without surprises.
#ifndef FLOWTOP_REPLAY_SAMPLE_EVENTS_H_
#define FLOWTOP_REPLAY_SAMPLE_EVENTS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::replay {

// Returns a fully populated flow with this conntrack id (IPv4 TCP unless
// `ipv6`), addresses and ports derived from the id.
v1::Flow SampleFlow(uint32_t conntrack_id, bool ipv6 = false);

// Returns one event of every EventType (NEW, UPDATE, DESTROY, SNAPSHOT,
// SNAPSHOT_END, ENRICH, COUNTERS, LOST, RESYNC_BEGIN, RESYNC_END, STATUS),
// with consecutive seq numbers from `first_seq` and distinct times.
std::vector<v1::FlowEvent> EveryKindOfEvent(uint64_t first_seq = 1);

// Returns `count` events of a synthetic stream: flows open (NEW), get
// COUNTERS with rates and an ENRICH, change state (UPDATE) and close
// (DESTROY); about 20 live flows per 100 events; seq from 1, one event per
// millisecond from `start_unix_nanos`. Deterministic for a given `seed`.
std::vector<v1::FlowEvent> SyntheticStream(size_t count, uint64_t seed = 1,
                                           int64_t start_unix_nanos =
                                               1'700'000'000'000'000'000);

// For decoder tests and fuzzing, built from the descriptors (so a field
// added to flowtop.proto appears here by itself). NodeStatus (STATUS events'
// payload) is left out.
// One event per field of the FlowEvent tree holding just that field (and
// the sub-messages on its path) set to a non-default value, plus one per
// sub-message present but empty; named "FlowEvent.flow.original.src_ip".
std::vector<std::pair<std::string, v1::FlowEvent>> EventsWithEachField();
// One event with every field set (of each oneof, the last member).
v1::FlowEvent EventWithEveryField();

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_SAMPLE_EVENTS_H_
