// Reading a whole file named on a command line or in a config file (PEM
// certificates, tokens, config files), with an error that names it.
//
// Every such file came from outside: it must be a regular file of bounded
// size. /dev/zero, a FIFO with no writer, a directory or a 20 GB file get
// one clear line, never an unbounded read, a hang or an out-of-memory kill.
#ifndef FLOWTOP_CORE_FILES_H_
#define FLOWTOP_CORE_FILES_H_

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace flowtop::core {

// The largest config or PEM file ReadFile accepts (a CA bundle is ~200 KB).
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

// Returns the contents of `path`, a regular file of at most `max_bytes`.
// Errors name the file: NOT_FOUND (missing), PERMISSION_DENIED, and
// INVALID_ARGUMENT for a directory, a FIFO, a device or a socket ("is not a
// regular file"), or a file larger than `max_bytes` (also one that grows
// past it while read, or a /proc file whose size says 0). Never blocks on a
// FIFO.
absl::StatusOr<std::string> ReadBoundedFile(const std::string& path,
                                            size_t max_bytes);

// ReadBoundedFile(path, kMaxConfigFileBytes).
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Returns OK when `path` can be opened as a regular file, else the error
// ReadBoundedFile would give (for files read by another library, e.g. a
// GeoIP database, or in pieces, e.g. a recording).
absl::Status CheckRegularFile(const std::string& path);

// Returns the file's permission bits (st_mode & 07777), or the stat error.
absl::StatusOr<mode_t> FileMode(const std::string& path);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FILES_H_
