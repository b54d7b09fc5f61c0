#include "service/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace flowtop::service {
namespace {

absl::Status Errno(const std::string& what) {
  const int err = errno;
  const std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  if (err == EPERM || err == EACCES) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

int LastCap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = CAP_LAST_CAP;
  if (in) in >> last;
  return last;
}

}  // namespace

std::vector<int> DefaultKeptCapabilities(int listen_port) {
  std::vector<int> keep = {CAP_NET_ADMIN, CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE};
  if (listen_port > 0 && listen_port < 1024) {
    keep.push_back(CAP_NET_BIND_SERVICE);
  }
  return keep;
}

absl::Status DropPrivileges(const PrivilegeOptions& options) {
  auto kept = [&](int cap) {
    return std::find(options.keep.begin(), options.keep.end(), cap) !=
           options.keep.end();
  };
  if (!options.user.empty()) {
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
      return Errno("prctl(PR_SET_KEEPCAPS)");
    }
  }
  // The bounding set: what no exec'd program could ever regain.
  const int last = LastCap();
  for (int cap = 0; cap <= last; ++cap) {
    if (!kept(cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
        errno != EINVAL) {
      return Errno(absl::StrCat("prctl(PR_CAPBSET_DROP, ", cap, ")"));
    }
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (!options.user.empty()) {
    struct passwd* pw = getpwnam(options.user.c_str());
    if (pw == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("--user: no such user '", options.user, "'"));
    }
    if (setgroups(0, nullptr) != 0) return Errno("setgroups");
    if (setgid(pw->pw_gid) != 0) return Errno("setgid");
    if (setuid(pw->pw_uid) != 0) return Errno("setuid");
  }
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[2] = {};
  for (int cap : options.keep) {
    if (cap < 0 || cap > 63) continue;
    data[cap / 32].effective |= 1u << (cap % 32);
    data[cap / 32].permitted |= 1u << (cap % 32);
  }
  if (syscall(SYS_capset, &header, data) != 0) return Errno("capset");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Errno("prctl(PR_SET_NO_NEW_PRIVS)");
  }
  return absl::OkStatus();
}

}  // namespace flowtop::service
