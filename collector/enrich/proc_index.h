// ProcIndex: which process holds a socket, by the socket's inode, from
// /proc/<pid>/fd (links named "socket:[INODE]").
//
// The inode -> (pid, fd) map is a cache. A hit is checked before it is
// believed (the fd must still link to that socket), so a process that exited
// or closed the socket is never named. A miss refreshes the map
// incrementally: processes are scanned newest PID first and the scan stops
// as soon as the socket is found, so a new socket of a new process costs a
// few directory reads. Only a miss that needs a full sweep is rate-limited:
// after a full sweep that did not find an inode, further misses answer
// NOT_FOUND without scanning until `min_sweep_interval` has passed.
//
// Thread-safe.
#ifndef FLOWTOP_COLLECTOR_ENRICH_PROC_INDEX_H_
#define FLOWTOP_COLLECTOR_ENRICH_PROC_INDEX_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/clock.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector::enrich {

class ProcessLookup {
 public:
  virtual ~ProcessLookup() = default;
  // Returns the process holding socket `inode` (pid, name, exe, uid, user);
  // NOT_FOUND when no live process holds it.
  virtual absl::StatusOr<v1::Process> OwnerOf(uint64_t inode) = 0;
};

struct ProcIndexStats {
  uint64_t hits = 0;
  uint64_t stale = 0;         // cached entries found wrong and dropped
  uint64_t scans = 0;         // incremental scans (stopped early or full)
  uint64_t full_sweeps = 0;
  uint64_t rate_limited = 0;  // misses answered without scanning
};

class ProcIndex final : public ProcessLookup {
 public:
  explicit ProcIndex(const Clock& clock, std::string proc_root = "/proc",
                     absl::Duration min_sweep_interval = absl::Milliseconds(200));

  absl::StatusOr<v1::Process> OwnerOf(uint64_t inode) override;
  ProcIndexStats stats() const;

  // Returns what /proc says about `pid`: name (comm), exe, uid (real), user;
  // NOT_FOUND when the process is gone.
  absl::StatusOr<v1::Process> ReadProcess(pid_t pid) const;

 private:
  struct Holder {
    pid_t pid;
    int fd;
  };
  // Scans processes (newest first) until `inode` is found; returns whether
  // it was, and whether the scan was a full sweep.
  bool Scan(uint64_t inode, bool* full) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool StillHolds(const Holder& holder, uint64_t inode) const;

  const Clock& clock_;
  const std::string proc_;
  const absl::Duration min_sweep_interval_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, Holder> map_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  ProcIndexStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_PROC_INDEX_H_
