#include "collector/sysctl_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
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

// The lock record names what flowtop turned on: a line "acct" and/or
// "timestamp". Parsed without allocation (the restore runs in signal
// handlers).
constexpr char kAcct[] = "acct\n";
constexpr char kTimestamp[] = "timestamp\n";

bool RecordHas(const char* record, ssize_t n, const char* word) {
  const ssize_t len = static_cast<ssize_t>(std::strlen(word));
  for (ssize_t i = 0; i + len <= n; ++i) {
    if (std::memcmp(record + i, word, len) == 0) return true;
  }
  return false;
}

ssize_t ReadRecord(int fd, char* buf, size_t size) {
  const ssize_t n = pread(fd, buf, size, 0);
  return n < 0 ? 0 : n;
}

// Opens (creating) the namespace's lock file "<stem>.lock" and the mutex
// "<stem>.mutex" that serializes changes to it. Returns false (both -1)
// when either cannot be opened.
bool OpenLock(const std::string& lock_dir, int* lock_fd, int* mutex_fd) {
  *lock_fd = *mutex_fd = -1;
  struct stat ns;
  if (stat("/proc/thread-self/ns/net", &ns) != 0 &&
      stat("/proc/self/ns/net", &ns) != 0) {
    return false;
  }
  mkdir(lock_dir.c_str(), 0755);  // EEXIST is fine; open says the rest
  const std::string stem = absl::StrCat(lock_dir, "/conntrack-",
                                        static_cast<uint64_t>(ns.st_ino));
  const int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
  *lock_fd = open((stem + ".lock").c_str(), flags, 0644);
  *mutex_fd = open((stem + ".mutex").c_str(), flags, 0644);
  if (*lock_fd >= 0 && *mutex_fd >= 0) return true;
  for (int* fd : {lock_fd, mutex_fd}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  return false;
}

// Takes the mutex from a signal handler: it may be held briefly by another
// instance starting up (or, rarely, by this process), so try for about a
// second and go on without it rather than hang an exit.
void TakeMutexAsyncSignalSafe(int fd) {
  for (int i = 0; i < 100; ++i) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return;
    struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<SysctlGuard>> SysctlGuard::Create(
    bool enable, const std::string& dir, const std::string& lock_dir) {
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
  // What every instance in this namespace turned on, under the lock.
  char record[64];
  ssize_t record_len = 0;
  if (enable) {
    if (OpenLock(lock_dir, &g->lock_fd_, &g->mutex_fd_) &&
        flock(g->mutex_fd_, LOCK_EX) != 0) {
      close(g->lock_fd_);
      close(g->mutex_fd_);
      g->lock_fd_ = g->mutex_fd_ = -1;
    }
    if (g->lock_fd_ >= 0) {
      record_len = ReadRecord(g->lock_fd_, record, sizeof(record));
    }
  }
  std::string next_record;
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
    const char* word = fd == &g->acct_fd_ ? kAcct : kTimestamp;
    if (*changed || RecordHas(record, record_len, word)) next_record += word;
  }
  if (g->lock_fd_ >= 0) {
    if (ftruncate(g->lock_fd_, 0) != 0 ||
        pwrite(g->lock_fd_, next_record.data(), next_record.size(), 0) !=
            static_cast<ssize_t>(next_record.size())) {
      // Cannot share the record: restore what we changed ourselves.
      close(g->lock_fd_);
      g->lock_fd_ = -1;
    } else {
      flock(g->lock_fd_, LOCK_SH);
    }
  }
  if (g->mutex_fd_ >= 0) flock(g->mutex_fd_, LOCK_UN);
  return g;
}

SysctlGuard::~SysctlGuard() {
  RestoreAsyncSignalSafe();
  for (int fd : {acct_fd_, timestamp_fd_, events_fd_, count_fd_, max_fd_,
                 lock_fd_, mutex_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void SysctlGuard::RestoreAsyncSignalSafe() {
  if (restored_.exchange(true)) return;
  bool acct = changed_acct_;
  bool timestamp = changed_timestamp_;
  if (lock_fd_ >= 0) {
    TakeMutexAsyncSignalSafe(mutex_fd_);
    // Others still watching keep their shared lock: leave it to the last.
    if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      flock(mutex_fd_, LOCK_UN);
      return;
    }
    char record[64];
    const ssize_t n = ReadRecord(lock_fd_, record, sizeof(record));
    acct = RecordHas(record, n, kAcct);
    timestamp = RecordHas(record, n, kTimestamp);
    [[maybe_unused]] int rc = ftruncate(lock_fd_, 0);
  }
  if (acct) {
    [[maybe_unused]] ssize_t n = pwrite(acct_fd_, "0\n", 2, 0);
  }
  if (timestamp) {
    [[maybe_unused]] ssize_t n = pwrite(timestamp_fd_, "0\n", 2, 0);
  }
  if (lock_fd_ >= 0) {
    flock(lock_fd_, LOCK_UN);
    flock(mutex_fd_, LOCK_UN);
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
  if (lock_fd_ >= 0) {
    char record[64];
    info.changed_by_flowtop = ReadRecord(lock_fd_, record, sizeof(record)) > 0;
  }
  return info;
}

}  // namespace flowtop::collector
