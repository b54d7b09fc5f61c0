#include "collector/enrich/proc_index.h"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "collector/enrich/cgroup.h"

namespace flowtop::collector::enrich {
namespace {

constexpr size_t kMaxUnowned = 1 << 16;
constexpr size_t kMaxDescribed = 1 << 12;

// Returns the inode of a "socket:[N]" link, or 0.
uint64_t SocketInode(const char* link) {
  absl::string_view text = link;
  uint64_t inode = 0;
  if (!absl::ConsumePrefix(&text, "socket:[") || !absl::ConsumeSuffix(&text, "]") ||
      !absl::SimpleAtoi(text, &inode)) {
    return 0;
  }
  return inode;
}

std::vector<pid_t> ListPids(const std::string& proc) {
  std::vector<pid_t> pids;
  DIR* d = opendir(proc.c_str());
  if (d == nullptr) return pids;
  while (struct dirent* e = readdir(d)) {
    pid_t pid = 0;
    if (absl::SimpleAtoi(e->d_name, &pid) && pid > 0) pids.push_back(pid);
  }
  closedir(d);
  std::sort(pids.begin(), pids.end(), std::greater<pid_t>());
  return pids;
}

}  // namespace

ProcIndex::ProcIndex(const core::Clock& clock, std::string proc_root,
                     absl::Duration min_sweep_interval, absl::Duration unowned_ttl)
    : clock_(clock),
      proc_(std::move(proc_root)),
      min_sweep_interval_(min_sweep_interval),
      unowned_ttl_(unowned_ttl) {}

bool ProcIndex::StillHolds(const Holder& holder, uint64_t inode) const {
  const std::string path = absl::StrCat(proc_, "/", holder.pid, "/fd/", holder.fd);
  char link[64];
  const ssize_t n = readlink(path.c_str(), link, sizeof(link) - 1);
  if (n <= 0) return false;
  link[n] = '\0';
  return SocketInode(link) == inode;
}

bool ProcIndex::Scan(uint64_t inode, bool only_new, bool* full) {
  ++stats_.scans;
  *full = false;
  bool found = false;
  char link[64];
  absl::flat_hash_set<uint64_t> seen;
  const std::vector<pid_t> pids = ListPids(proc_);
  for (pid_t pid : pids) {
    if (only_new && swept_pids_.contains(pid)) continue;
    const std::string dir = absl::StrCat(proc_, "/", pid, "/fd");
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) continue;  // exited, or a kernel thread we may not read
    while (struct dirent* e = readdir(d)) {
      int fd = 0;
      if (!absl::SimpleAtoi(e->d_name, &fd)) continue;
      const std::string path = absl::StrCat(dir, "/", e->d_name);
      const ssize_t n = readlink(path.c_str(), link, sizeof(link) - 1);
      if (n <= 0) continue;
      link[n] = '\0';
      const uint64_t ino = SocketInode(link);
      if (ino == 0) continue;
      // The first holder found in this scan wins (a socket shared across
      // fork is kept by the newest process, usually the one using it).
      if (seen.insert(ino).second) map_.insert_or_assign(ino, Holder{pid, fd});
      if (ino == inode) found = true;
    }
    closedir(d);
    if (found) return true;
  }
  if (only_new) return false;
  *full = true;
  // A full sweep saw every live socket: forget the ones that are gone.
  absl::erase_if(map_, [&seen](const auto& kv) { return !seen.contains(kv.first); });
  swept_pids_ = absl::flat_hash_set<pid_t>(pids.begin(), pids.end());
  return false;
}

absl::StatusOr<v1::Process> ProcIndex::OwnerOf(uint64_t inode) {
  if (inode == 0) return absl::NotFoundError("socket has no inode (closed or TIME_WAIT)");
  Holder holder{};
  {
    absl::MutexLock lock(&mu_);
    auto it = map_.find(inode);
    if (it != map_.end() && StillHolds(it->second, inode)) {
      ++stats_.hits;
      holder = it->second;
    } else {
      if (it != map_.end()) {
        ++stats_.stale;
        map_.erase(it);
      }
      const absl::Time now = clock_.Now();
      auto unowned = unowned_.find(inode);
      if (unowned != unowned_.end()) {
        if (unowned->second > now) {
          ++stats_.known_unowned;
          return absl::NotFoundError("no process holds this socket (seen recently)");
        }
        unowned_.erase(unowned);
      }
      const bool only_new = now - last_sweep_ < min_sweep_interval_;
      if (only_new) ++stats_.rate_limited;
      bool full = false;
      const bool found = Scan(inode, only_new, &full);
      if (full) {
        ++stats_.full_sweeps;
        last_sweep_ = now;
        absl::erase_if(unowned_, [now](const auto& kv) { return kv.second <= now; });
        if (unowned_.size() < kMaxUnowned) unowned_[inode] = now + unowned_ttl_;
      }
      if (!found) return absl::NotFoundError("no process holds this socket");
      holder = map_[inode];
    }
  }
  bool reused = false;
  absl::StatusOr<v1::Process> process = DescribeProcess(holder.pid, &reused);
  // The process may have exited (or passed the socket on) since the check
  // (reading /proc takes a while; a reused description took no time).
  if (process.ok() && !reused && !StillHolds(holder, inode)) {
    return absl::NotFoundError("the process closed this socket");
  }
  return process;
}

absl::StatusOr<v1::Process> ProcIndex::DescribeProcess(pid_t pid, bool* reused) {
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = described_.find(pid);
    if (it != described_.end() && now - it->second.read < kProcessTtl) {
      char exe[4096];
      const std::string path = absl::StrCat(proc_, "/", pid, "/exe");
      const ssize_t n = readlink(path.c_str(), exe, sizeof(exe) - 1);
      if (n > 0 && absl::string_view(exe, n) == it->second.process.exe()) {
        ++stats_.described_again;
        *reused = true;
        return it->second.process;
      }
    }
  }
  absl::StatusOr<v1::Process> process = ReadProcess(pid);
  absl::MutexLock lock(&mu_);
  if (!process.ok() || process->exe().empty()) {
    described_.erase(pid);
    return process;
  }
  if (described_.size() >= kMaxDescribed) described_.clear();
  described_[pid] = Described{*process, now};
  return process;
}

absl::StatusOr<v1::Process> ProcIndex::ReadProcess(pid_t pid) const {
  const std::string dir = absl::StrCat(proc_, "/", pid);
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return absl::NotFoundError(absl::StrCat("pid ", pid, " is gone"));
  v1::Process process;
  process.set_pid(static_cast<uint32_t>(pid));
  std::ifstream comm(dir + "/comm");
  std::string name;
  if (!std::getline(comm, name)) return absl::NotFoundError(absl::StrCat("pid ", pid, " is gone"));
  process.set_name(name);
  char exe[4096];
  const ssize_t n = readlink((dir + "/exe").c_str(), exe, sizeof(exe) - 1);
  if (n > 0) process.set_exe(std::string(exe, n));
  // Real uid from status ("Uid:\treal\teffective\t..."); the directory owner
  // (effective uid) when status cannot be read.
  uint32_t uid = st.st_uid;
  std::ifstream status(dir + "/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "Uid:")) {
      rest = absl::StripLeadingAsciiWhitespace(rest);
      absl::SimpleAtoi(rest.substr(0, rest.find_first_of(" \t")), &uid);
      break;
    }
  }
  process.set_uid(uid);
  process.set_user(UserName(uid));
  std::ifstream cgroup(dir + "/cgroup");
  std::string contents, cgroup_line;
  // Bounded: a handful of lines (one per cgroup v1 hierarchy at most).
  for (int i = 0; i < 64 && std::getline(cgroup, cgroup_line); ++i) {
    absl::StrAppend(&contents, cgroup_line, "\n");
  }
  SetCgroup(CgroupV2Path(contents), &process);
  return process;
}

std::string UserName(uint32_t uid) {
  passwd pw;
  passwd* result = nullptr;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof(buf), &result) == 0 && result != nullptr) {
    return pw.pw_name;
  }
  return absl::StrCat(uid);
}

ProcIndexStats ProcIndex::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace flowtop::collector::enrich
