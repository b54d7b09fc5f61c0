// ProcIndex: which process holds a socket, by the socket's inode, from
// /proc/<pid>/fd (links named "socket:[INODE]").
//
// The inode -> (pid, fd) map is a cache. A hit is checked before it is
// believed (the fd must still link to that socket), so a process that exited
// or closed the socket is never named. A miss refreshes the map
// incrementally: processes are scanned newest PID first and the scan stops
// as soon as the socket is found, so a new socket of a new process costs a
// few directory reads. Full sweeps (a scan that reaches every process) are
// rate-limited to one per `min_sweep_interval`; between them a miss scans
// only the processes that appeared since the last full sweep. An inode that
// a full sweep could not place (a kernel socket, a process in another PID
// namespace) is remembered for `unowned_ttl` and answered at once.
//
// What OwnerOf says about a process (name, exe, user, cgroup: six files and
// the user database) is kept for kProcessTtl and reused while the process
// still runs the same executable (one readlink), so that a server accepting
// thousands of connections a second is not read again for each.
//
// Thread-safe.
#ifndef FLOWTOP_COLLECTOR_ENRICH_PROC_INDEX_H_
#define FLOWTOP_COLLECTOR_ENRICH_PROC_INDEX_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector::enrich {

class ProcessLookup {
 public:
  virtual ~ProcessLookup() = default;
  // Returns the process holding socket `inode` (pid, name, exe, uid, user);
  // NOT_FOUND when no live process holds it.
  virtual absl::StatusOr<v1::Process> OwnerOf(uint64_t inode) = 0;
  // Returns what is known about process `pid` (as OwnerOf describes it);
  // NOT_FOUND when it is gone.
  virtual absl::StatusOr<v1::Process> ProcessById(uint32_t pid) = 0;
};

struct ProcIndexStats {
  uint64_t hits = 0;
  uint64_t stale = 0;         // cached entries found wrong and dropped
  uint64_t scans = 0;         // incremental scans (stopped early or full)
  uint64_t full_sweeps = 0;
  uint64_t rate_limited = 0;  // misses that scanned only new processes
  uint64_t known_unowned = 0;  // misses answered from the unowned cache
  uint64_t described_again = 0;  // process facts reused (kProcessTtl)
};

class ProcIndex final : public ProcessLookup {
 public:
  explicit ProcIndex(const core::Clock& clock, std::string proc_root = "/proc",
                     absl::Duration min_sweep_interval = absl::Milliseconds(200),
                     absl::Duration unowned_ttl = absl::Seconds(5));

  absl::StatusOr<v1::Process> OwnerOf(uint64_t inode) override;
  absl::StatusOr<v1::Process> ProcessById(uint32_t pid) override {
    return ReadProcess(static_cast<pid_t>(pid));
  }
  ProcIndexStats stats() const;

  // How long OwnerOf reuses what it read about a process.
  static constexpr absl::Duration kProcessTtl = absl::Seconds(1);

  // Returns what /proc says about `pid`: name (comm), exe, uid (real), user,
  // cgroup (with the unit and container it names); NOT_FOUND when the
  // process is gone.
  absl::StatusOr<v1::Process> ReadProcess(pid_t pid) const;

 private:
  struct Holder {
    pid_t pid;
    int fd;
  };
  // Scans processes (newest first; with `only_new`, only those the last
  // full sweep did not see) until `inode` is found; returns whether it was,
  // and whether the scan was a full sweep.
  bool Scan(uint64_t inode, bool only_new, bool* full) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool StillHolds(const Holder& holder, uint64_t inode) const;
  // ReadProcess(pid), or what it returned less than kProcessTtl ago while
  // /proc/PID/exe still names the same file (then *reused is set).
  absl::StatusOr<v1::Process> DescribeProcess(pid_t pid, bool* reused);

  struct Described {
    v1::Process process;
    absl::Time read;
  };

  const core::Clock& clock_;
  const std::string proc_;
  const absl::Duration min_sweep_interval_;
  const absl::Duration unowned_ttl_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, Holder> map_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::flat_hash_set<pid_t> swept_pids_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, absl::Time> unowned_ ABSL_GUARDED_BY(mu_);
  ProcIndexStats stats_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<pid_t, Described> described_ ABSL_GUARDED_BY(mu_);
};

// The name of user `uid` (getpwuid_r), or the number when it has none.
std::string UserName(uint32_t uid);

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_PROC_INDEX_H_
