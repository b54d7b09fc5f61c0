// Small parsers shared by the record and replay command lines: sizes
// ("64M"), durations ("30s", "5m", or plain seconds), speeds ("4", "max").
#ifndef FLOWTOP_REPLAY_CLI_UTIL_H_
#define FLOWTOP_REPLAY_CLI_UTIL_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace flowtop::replay {

// Returns bytes for "123", "64K", "10M", "2G" (powers of 1024).
// INVALID_ARGUMENT naming `flag` and the text otherwise.
absl::StatusOr<uint64_t> ParseSize(absl::string_view flag, absl::string_view text);

// Returns the duration of "90", "90s", "1.5m", "2h", "500ms". Errors as above;
// negative durations are refused.
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag,
                                                 absl::string_view text);

// Returns the replay speed: a positive number ("1", "4", "0.5") or 0 for
// "max". Errors as above.
absl::StatusOr<double> ParseSpeed(absl::string_view text);

// Returns a non-negative integer. Errors as above.
absl::StatusOr<uint64_t> ParseCount(absl::string_view flag, absl::string_view text);

// Returns a time from RFC 3339 ("2026-11-26T20:30:00Z") or, with a leading
// '+', an offset from `base` ("+90s"). Errors as above.
absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view flag,
                                         absl::string_view text, absl::Time base);

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_CLI_UTIL_H_
