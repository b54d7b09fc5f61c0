#include "tests/netns/netns.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace flowtop::testing {
namespace {

// nft commands that make conntrack track every flow in the namespace: a
// rule that uses ct state registers the conntrack hooks for inet (v4+v6).
constexpr char kSetup[] =
    "ip link set lo up && "
    "nft add table inet flowtop_test && "
    "nft add chain inet flowtop_test out "
    "'{ type filter hook output priority 0; }' && "
    "nft add chain inet flowtop_test in "
    "'{ type filter hook input priority 0; }' && "
    "nft add rule inet flowtop_test out ct state new,established,related "
    "accept && "
    "nft add rule inet flowtop_test in ct state new,established,related "
    "accept";

absl::Status ErrnoError(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Reads both pipes until EOF without letting either fill up.
void Drain(int out_fd, int err_fd, std::string& out, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open = 2;
  char buf[4096];
  while (open > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        (i == 0 ? out : err).append(buf, n);
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<NetNs>> NetNs::Create() {
  if (geteuid() != 0) {
    return absl::FailedPreconditionError(
        "network namespace tests need root (CAP_SYS_ADMIN, CAP_NET_ADMIN): "
        "run them with sudo or as root, as CI does");
  }
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) {
    // Holder: only async-signal-safe calls from here on.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    char status = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
    (void)!write(ready[1], &status, 1);
    for (;;) pause();
  }
  close(ready[1]);
  char status = 0;
  const ssize_t n = read(ready[0], &status, 1);
  close(ready[0]);
  std::unique_ptr<NetNs> ns(new NetNs(pid));
  if (n != 1 || status != 'y') {
    return absl::InternalError(
        "unshare(CLONE_NEWNET) failed in the namespace holder: is this "
        "running inside a container that forbids new namespaces?");
  }
  absl::StatusOr<std::string> setup = ns->Run(kSetup);
  if (!setup.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot set up conntrack in the test namespace (needs iproute2 and "
        "nftables: apt-get install iproute2 nftables): ",
        setup.status().message()));
  }
  return ns;
}

NetNs::~NetNs() {
  for (pid_t pid : spawned_) {
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  kill(holder_, SIGKILL);
  waitpid(holder_, nullptr, 0);
}

std::string NetNs::Path() const {
  return absl::StrCat("/proc/", holder_, "/ns/net");
}

std::string NetNs::ExecPrefix() const {
  return absl::StrCat("nsenter --net=", Path());
}

absl::StatusOr<std::string> NetNs::Run(const std::string& shell_cmd) const {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return ErrnoError("pipe2");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  const std::string net = absl::StrCat("--net=", Path());
  const char* argv[] = {"nsenter", net.c_str(), "sh", "-c", shell_cmd.c_str(),
                        nullptr};
  pid_t pid;
  const int rc = posix_spawnp(&pid, "nsenter", &actions, nullptr,
                              const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run nsenter (apt-get install util-linux): ",
                     std::strerror(rc)));
  }
  std::string stdout_text, stderr_text;
  Drain(out[0], err[0], stdout_text, stderr_text);
  close(out[0]);
  close(err[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return absl::InternalError(absl::StrCat(
        "command failed in the test namespace (status ", wstatus, "): ",
        shell_cmd, ": ", stderr_text));
  }
  return stdout_text;
}

absl::StatusOr<pid_t> NetNs::Spawn(const std::string& shell_cmd) {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  const std::string net = absl::StrCat("--net=", Path());
  const char* argv[] = {"nsenter", net.c_str(), "sh", "-c", shell_cmd.c_str(),
                        nullptr};
  pid_t pid;
  const int rc = posix_spawnp(&pid, "nsenter", &actions, &attr,
                              const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run nsenter: ", std::strerror(rc)));
  }
  spawned_.push_back(pid);
  return pid;
}

void NetNs::Kill(pid_t pid) {
  auto it = std::find(spawned_.begin(), spawned_.end(), pid);
  if (it == spawned_.end()) return;
  spawned_.erase(it);
  kill(-pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

absl::Status NetNs::RunInside(const std::function<void()>& fn) const {
  absl::Status status;
  const std::string path = Path();
  std::thread thread([&] {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      status = ErrnoError("open network namespace");
      return;
    }
    const int rc = setns(fd, CLONE_NEWNET);
    close(fd);
    if (rc != 0) {
      status = ErrnoError("setns");
      return;
    }
    fn();
  });
  thread.join();
  return status;
}

}  // namespace flowtop::testing
