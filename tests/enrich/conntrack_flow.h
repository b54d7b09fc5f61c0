// Reads a flow from the real kernel's conntrack table (the conntrack tool,
// run inside a test namespace) into a v1::Flow with both tuples.
#ifndef FLOWTOP_TESTS_ENRICH_CONNTRACK_FLOW_H_
#define FLOWTOP_TESTS_ENRICH_CONNTRACK_FLOW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "flowtop/v1/flowtop.pb.h"
#include "tests/netns/netns.h"

namespace flowtop::testing {

// Parses one line of `conntrack -L` output. Returns INVALID_ARGUMENT when the
// line has no original and reply tuple.
absl::StatusOr<v1::Flow> ParseConntrackLine(const std::string& line);

// Runs `conntrack -L <filter>` in `ns` and returns the only flow it lists;
// NOT_FOUND when none, FAILED_PRECONDITION when several.
absl::StatusOr<v1::Flow> FindFlow(const NetNs& ns, const std::string& filter);

// Runs `conntrack -L <filter>` in `ns` and returns every flow it lists.
absl::StatusOr<std::vector<v1::Flow>> ListFlows(const NetNs& ns, const std::string& filter);

// Returns the 4- or 16-byte form of a textual address ("" when invalid).
std::string IpBytes(const std::string& text);

}  // namespace flowtop::testing

#endif  // FLOWTOP_TESTS_ENRICH_CONNTRACK_FLOW_H_
