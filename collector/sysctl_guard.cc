#include "collector/sysctl_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace flowtop::collector {
namespace {

absl::StatusOr<uint64_t> ReadNumber(int fd, const char* name) {
  char buf[32];
  const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) {
    return absl::InternalError(
        absl::StrCat("cannot read ", name, ": ", std::strerror(errno)));
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, n)),
                        &v)) {
    return absl::InternalError(absl::StrCat(name, " is not a number"));
  }
  return v;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SysctlGuard>> SysctlGuard::Create(
    bool enable, const std::string& dir) {
  std::unique_ptr<SysctlGuard> g(new SysctlGuard());
  auto open_ro = [&](const char* name, int* fd) -> absl::Status {
    *fd = open(absl::StrCat(dir, "/", name).c_str(), O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
      return absl::NotFoundError(absl::StrCat(
          "cannot open ", dir, "/", name, ": ", std::strerror(errno),
          " (is conntrack available in this kernel?)"));
    }
    return absl::OkStatus();
  };
  for (auto [name, fd] : {std::pair{"nf_conntrack_count", &g->count_fd_},
                          std::pair{"nf_conntrack_max", &g->max_fd_},
                          std::pair{"nf_conntrack_events", &g->events_fd_}}) {
    if (absl::Status s = open_ro(name, fd); !s.ok()) return s;
  }
  // acct/timestamp: read-write when we may, read-only otherwise.
  for (auto [name, fd, changed] :
       {std::tuple{"nf_conntrack_acct", &g->acct_fd_, &g->changed_acct_},
        std::tuple{"nf_conntrack_timestamp", &g->timestamp_fd_,
                   &g->changed_timestamp_}}) {
    const std::string path = absl::StrCat(dir, "/", name);
    *fd = open(path.c_str(), (enable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (*fd < 0 && enable) *fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
      return absl::NotFoundError(
          absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
    }
    if (!enable) continue;
    absl::StatusOr<uint64_t> v = ReadNumber(*fd, name);
    if (!v.ok()) return v.status();
    if (*v == 0 && pwrite(*fd, "1\n", 2, 0) == 2) *changed = true;
  }
  return g;
}

SysctlGuard::~SysctlGuard() {
  RestoreAsyncSignalSafe();
  for (int fd : {acct_fd_, timestamp_fd_, events_fd_, count_fd_, max_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void SysctlGuard::RestoreAsyncSignalSafe() {
  if (restored_.exchange(true)) return;
  if (changed_acct_) [[maybe_unused]]
    ssize_t n = pwrite(acct_fd_, "0\n", 2, 0);
  if (changed_timestamp_) {
    [[maybe_unused]] ssize_t n = pwrite(timestamp_fd_, "0\n", 2, 0);
  }
}

absl::StatusOr<ConntrackInfo> SysctlGuard::Read() const {
  ConntrackInfo info;
  absl::StatusOr<uint64_t> v = ReadNumber(count_fd_, "nf_conntrack_count");
  if (!v.ok()) return v.status();
  info.count = *v;
  if (v = ReadNumber(max_fd_, "nf_conntrack_max"); !v.ok()) return v.status();
  info.max = *v;
  if (v = ReadNumber(events_fd_, "nf_conntrack_events"); !v.ok()) {
    return v.status();
  }
  info.events = static_cast<uint32_t>(*v);
  if (v = ReadNumber(acct_fd_, "nf_conntrack_acct"); !v.ok()) return v.status();
  info.acct = *v != 0;
  if (v = ReadNumber(timestamp_fd_, "nf_conntrack_timestamp"); !v.ok()) {
    return v.status();
  }
  info.timestamp = *v != 0;
  info.changed_by_flowtop = changed();
  return info;
}

}  // namespace flowtop::collector
