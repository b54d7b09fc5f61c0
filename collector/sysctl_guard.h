// SysctlGuard: turns on conntrack accounting and timestamps for one network
// namespace and puts them back as they were.
//
// Like the original flowtop, we set net.netfilter.nf_conntrack_acct and
// nf_conntrack_timestamp to 1 when they are 0 (flows that started before
// show no counters: they are absent, never zero) and restore the old values
// on every exit path: the destructor (normal exit and errors unwinding), and
// RestoreAsyncSignalSafe() which a binary's SIGINT/SIGTERM handler calls.
// The files are opened when the guard is created, on a thread inside the
// namespace, so that the guard keeps acting on that namespace from any
// thread. It also reads nf_conntrack_count / _max / _events for status.
//
// Several flowtop and flowtopd may watch one namespace. They share a lock
// file per namespace, <lock_dir>/conntrack-<netns inode>.lock, which holds
// what flowtop turned on: each holder keeps a shared flock while it runs,
// and only the last one to leave (the one that gets the lock exclusively)
// puts the values back. So stopping the instance that turned them on never
// stops the counters under another. Records left by a killed instance are
// kept and restored by the next last one.

#ifndef FLOWTOP_COLLECTOR_SYSCTL_GUARD_H_
#define FLOWTOP_COLLECTOR_SYSCTL_GUARD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace flowtop::collector {

// What GetStatus shows about the kernel side.
struct ConntrackInfo {
  uint64_t count = 0;      // nf_conntrack_count
  uint64_t max = 0;        // nf_conntrack_max
  bool acct = false;       // nf_conntrack_acct now
  bool timestamp = false;  // nf_conntrack_timestamp now
  uint32_t events = 0;     // nf_conntrack_events
  bool changed_by_flowtop = false;
};

class SysctlGuard {
 public:
  // Opens the namespace's /proc/sys/net/netfilter files (call on a thread
  // inside the namespace) under `proc_sys_netfilter` (default
  // "/proc/sys/net/netfilter"). With `enable`, writes 1 to acct/timestamp
  // where they are 0 and remembers to restore them. Returns NOT_FOUND when
  // conntrack's files are missing (nf_conntrack not loaded); failing to
  // write (no privilege) is not an error: changed_by_flowtop stays false.
  // `lock_dir` (default /run/flowtop, made when missing) holds the shared
  // lock file; without it (no permission) each guard restores what it
  // changed, as if alone.
  static absl::StatusOr<std::unique_ptr<SysctlGuard>> Create(
      bool enable,
      const std::string& proc_sys_netfilter = "/proc/sys/net/netfilter",
      const std::string& lock_dir = "/run/flowtop");
  // Restores (RestoreAsyncSignalSafe) and closes the files.
  ~SysctlGuard();
  SysctlGuard(const SysctlGuard&) = delete;
  SysctlGuard& operator=(const SysctlGuard&) = delete;

  // Writes the original values back once, unless another instance still
  // holds the namespace's lock; later calls do nothing. Only uses flock,
  // pread, pwrite and ftruncate on descriptors opened earlier: safe in a
  // signal handler.
  void RestoreAsyncSignalSafe();

  // True when Create turned something on itself.
  bool changed() const { return changed_acct_ || changed_timestamp_; }
  bool changed_acct() const { return changed_acct_; }
  bool changed_timestamp() const { return changed_timestamp_; }
  // True when the lock file is shared with other instances (coordination on).
  bool coordinated() const { return lock_fd_ >= 0; }
  // Returns the current values; INTERNAL if a file cannot be read.
  absl::StatusOr<ConntrackInfo> Read() const;

 private:
  SysctlGuard() = default;
  int acct_fd_ = -1;
  int timestamp_fd_ = -1;
  int events_fd_ = -1;
  int count_fd_ = -1;
  int max_fd_ = -1;
  int lock_fd_ = -1;   // shared while running; exclusive = the last one
  int mutex_fd_ = -1;  // serializes reading and writing the lock's record
  bool changed_acct_ = false;
  bool changed_timestamp_ = false;
  std::atomic<bool> restored_{false};
};

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_SYSCTL_GUARD_H_
