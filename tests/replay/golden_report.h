// GoldenReport: everything a replay computes from a recording, as text, for
// golden files: the flow table (with counters and rates) at the end and at
// four checkpoints in between, the pipeline's counts, and the --summary
// report. The same recording must give the same bytes on every run.
#ifndef FLOWTOP_TESTS_REPLAY_GOLDEN_REPORT_H_
#define FLOWTOP_TESTS_REPLAY_GOLDEN_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace flowtop::replay {

// Returns the checkpoints used by GoldenReport: 1/4, 2/4 and 3/4 of the way
// from the first to the last event, and the last event's time.
absl::StatusOr<std::vector<absl::Time>> Checkpoints(const std::string& path);

// Replays `path` at max speed through a Pipeline (keep_source_seq), pausing
// at each checkpoint to dump the table. Errors: the recording's.
absl::StatusOr<std::string> GoldenReport(const std::string& path);

}  // namespace flowtop::replay

#endif  // FLOWTOP_TESTS_REPLAY_GOLDEN_REPORT_H_
