// Netlink capture files: raw ctnetlink messages exactly as the kernel sent
// them, so that the parser's tests, benchmarks and fuzzer run on real bytes
// without a socket.
//
// Format: the 8-byte magic "FTNLCAP1", then one record per netlink message:
// a 4-byte little-endian length followed by that many bytes (one nlmsghdr
// and its payload). Written by ctcapture, read by tests and benchmarks.
#ifndef FLOWTOP_COLLECTOR_NETLINK_CAPTURE_H_
#define FLOWTOP_COLLECTOR_NETLINK_CAPTURE_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowtop::collector {

inline constexpr char kCaptureMagic[] = "FTNLCAP1";

// Returns every message of the capture file at `path`. NOT_FOUND when the
// file cannot be opened, DATA_LOSS (naming the offset) for a wrong magic or
// a truncated record.
absl::StatusOr<std::vector<std::string>> ReadCaptureFile(
    const std::string& path);

// Parses a capture held in memory; errors as ReadCaptureFile.
absl::StatusOr<std::vector<std::string>> ParseCapture(absl::string_view data);

// Appends records to a capture file.
class CaptureWriter {
 public:
  // Creates (truncates) `path` and writes the magic. INTERNAL on failure.
  static absl::StatusOr<std::unique_ptr<CaptureWriter>> Create(
      const std::string& path);
  ~CaptureWriter();
  // Appends one message. INTERNAL on a write error.
  absl::Status Write(absl::string_view message);
  // Flushes and closes; INTERNAL on error. Called by the destructor too.
  absl::Status Close();

 private:
  explicit CaptureWriter(std::FILE* f) : f_(f) {}
  std::FILE* f_;
};

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_NETLINK_CAPTURE_H_
