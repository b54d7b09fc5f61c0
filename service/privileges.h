// DropPrivileges: once flowtopd has what it needs from root, it keeps only
// the capabilities its source still uses and gives up everything else:
// the capability bounding set, ambient capabilities, the ability to gain
// privileges (no_new_privs), and optionally the root user itself.
//
// Capabilities are per thread on Linux: call this before any thread starts
// (flowtopd calls it right after parsing its options).
#ifndef FLOWTOP_SERVICE_PRIVILEGES_H_
#define FLOWTOP_SERVICE_PRIVILEGES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace flowtop::service {

struct PrivilegeOptions {
  // Capabilities (CAP_* numbers) to keep, e.g. CAP_NET_ADMIN for conntrack
  // dumps and sysctl restore.
  std::vector<int> keep;
  // When set, switch to this user (and its primary group, no supplementary
  // groups), keeping only `keep`.
  std::string user;
};

// Returns OK when done, NOT_FOUND for an unknown user, or the failing
// system call's error (e.g. PERMISSION_DENIED when not root).
absl::Status DropPrivileges(const PrivilegeOptions& options);

// Returns the capabilities flowtopd keeps by default: CAP_NET_ADMIN
// (conntrack netlink, sysctls), CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE
// (reading other processes' /proc/PID/fd to name the process of a flow),
// and CAP_NET_BIND_SERVICE when the port is below 1024.
std::vector<int> DefaultKeptCapabilities(int listen_port);

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_PRIVILEGES_H_
