// The pieces `flowtop replay FILE ...`'s two command lines share (the
// batch modes in replay_main.cc, the IPFIX back-fill in replay_export.cc):
// getopt's complaint, the one recording argument, and how an error ends the
// command.
#ifndef FLOWTOP_REPLAY_REPLAY_ARGS_H_
#define FLOWTOP_REPLAY_REPLAY_ARGS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowtop::replay {

// INVALID_ARGUMENT "unknown or incomplete option 'ARG'" for the argument
// getopt_long just refused (call it when getopt_long returned '?' or ':').
absl::Status GetoptProblem(char** argv);

// Returns the recording named by the arguments left after the options
// (argv[optind]): exactly one. INVALID_ARGUMENT "no recording named:
// `usage`" or "unexpected argument 'X'" otherwise.
absl::StatusOr<std::string> RecordingArgument(int argc, char** argv, absl::string_view usage);

// Prints "flowtop replay: MESSAGE; run 'flowtop replay --help'" on stderr
// and returns 2 (a bad command line).
int ReplayUsageError(absl::string_view message);

// Prints "flowtop replay: MESSAGE" on stderr and returns 1 (a run-time
// error: an unreadable recording, a failed export).
int ReplayFailure(const absl::Status& status);

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_REPLAY_ARGS_H_
