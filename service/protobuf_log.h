// Bounds what libprotobuf writes to flowtopd's stderr.
//
// libprotobuf logs one line for every message it refuses to parse (a string
// field that is not UTF-8, for one). Such requests are refused with
// INVALID_ARGUMENT, but the line is written for each of them, so a hostile
// client could fill the daemon's stderr (and its journal) at will.
//
// LogBudget decides which lines are written: the first kFreeLines in full,
// then only a count, at 100, 1,000, 10,000, ... lines in all. Output grows with
// the logarithm of the flood. Thread-safe.
#ifndef FLOWTOP_SERVICE_PROTOBUF_LOG_H_
#define FLOWTOP_SERVICE_PROTOBUF_LOG_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace flowtop::service {

class LogBudget {
 public:
  static constexpr uint64_t kFreeLines = 10;

  // Returns what to write for one more line (with its newline), or "".
  std::string Admit(absl::string_view line);

 private:
  absl::Mutex mu_;
  uint64_t seen_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_summary_ ABSL_GUARDED_BY(mu_) = 100;
};

// Routes libprotobuf's log through one process-wide LogBudget to stderr.
// Call once, early, before any thread parses messages.
void BoundProtobufLog();

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_PROTOBUF_LOG_H_
