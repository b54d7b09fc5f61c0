// Which systemd unit and which container a process runs in, from its cgroup
// v2 path, and the path itself from /proc/PID/cgroup or from a cgroup id
// (what eBPF records, still answerable after the process exited).
//
// Paths are parsed by their components alone, so they work for any host
// layout (systemd or cgroupfs driver, nested user managers, Kubernetes):
//   /system.slice/nginx.service                          unit nginx.service
//   /user.slice/user-1000.slice/user@1000.service/init.scope
//                                                        unit user@1000.service
//   /system.slice/docker-<64 hex>.scope                  docker <id>
//   /docker/<64 hex>                                     docker <id> (cgroupfs)
//   /kubepods.slice/.../cri-containerd-<64 hex>.scope    containerd <id>
//   /default/<64 hex>, /k8s.io/<64 hex>                  containerd <id> (ctr, cgroupfs)
//   /machine.slice/libpod-<64 hex>.scope                 podman <id>
//   .../user@1000.service/user.slice/libpod-<64 hex>.scope  podman <id> (rootless)
//   /machine.slice/crio-<64 hex>.scope, .../crio-<64 hex>   crio <id>
//   /lxc.payload.NAME/...                                lxc NAME
// The innermost container wins (a container nested in another); the unit is
// the innermost ".service", else the innermost ".scope" that is not a
// container's (a container's scope says nothing its id does not).
#ifndef FLOWTOP_COLLECTOR_ENRICH_CGROUP_H_
#define FLOWTOP_COLLECTOR_ENRICH_CGROUP_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector::enrich {

struct CgroupOwner {
  std::string unit;
  std::string container_id;
  std::string container_runtime;
};

// Parses a cgroup v2 path ("/system.slice/nginx.service").
CgroupOwner ParseCgroupPath(absl::string_view path);

// Returns the cgroup v2 path in the contents of /proc/PID/cgroup (the
// "0::PATH" line); empty when there is none (cgroup v1 only).
std::string CgroupV2Path(absl::string_view proc_pid_cgroup);

// Sets process->cgroup, unit, container_id and container_runtime from `path`.
void SetCgroup(absl::string_view path, v1::Process* process);

// Returns where the cgroup v2 hierarchy is mounted ("/sys/fs/cgroup", or
// "/sys/fs/cgroup/unified" on hybrid hosts), from /proc/self/mounts; empty
// when it is not mounted.
std::string Cgroup2Mount();

// Finds cgroup paths by cgroup id under the cgroup v2 mount. An id is the
// inode number of the cgroup's directory; a miss walks the hierarchy (at
// most once per second) and caches every directory it sees, so a process
// that exited is still placed while its cgroup exists. Thread-safe.
class CgroupPaths {
 public:
  // `root`: the cgroup v2 mount (empty: Cgroup2Mount()).
  explicit CgroupPaths(const core::Clock& clock, std::string root = "")
      : clock_(clock), root_(root.empty() ? Cgroup2Mount() : std::move(root)) {}
  // The path relative to the mount ("/system.slice/x.service", "/" for the
  // root); NOT_FOUND when no such cgroup exists (any more).
  absl::StatusOr<std::string> PathOf(uint64_t id);

 private:
  void Walk() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const core::Clock& clock_;
  const std::string root_;
  absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, std::string> paths_ ABSL_GUARDED_BY(mu_);
  absl::Time last_walk_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_CGROUP_H_
