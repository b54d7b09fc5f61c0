#include "service/privileges.h"

#include <linux/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace flowtop::service {
namespace {

// Returns the hex mask of a /proc/self/status capability line, e.g. CapEff.
uint64_t CapMask(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 16);
    }
  }
  return ~uint64_t{0};
}

// Runs fn in a child process (capabilities are per process/thread, the test
// runner must keep its own); returns the child's exit code.
template <typename Fn>
int InChild(Fn fn) {
  const pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(Privileges, KeepsOnlyTheNamedCapabilities) {
  ASSERT_EQ(geteuid(), 0u) << "this test needs root (CI runs as root)";
  const int code = InChild([] {
    if (!DropPrivileges({.keep = {CAP_NET_ADMIN}, .user = ""}).ok()) return 1;
    const uint64_t want = uint64_t{1} << CAP_NET_ADMIN;
    if (CapMask("CapEff") != want) return 2;
    if (CapMask("CapPrm") != want) return 3;
    if (CapMask("CapBnd") != want) return 4;
    if (CapMask("NoNewPrivs") != 1) return 5;
    return 0;
  });
  EXPECT_EQ(code, 0) << "1: drop failed, 2-4: wrong capability sets, "
                        "5: no_new_privs not set";
}

TEST(Privileges, SwitchesUserAndKeepsCapabilities) {
  ASSERT_EQ(geteuid(), 0u) << "this test needs root (CI runs as root)";
  const int code = InChild([] {
    absl::Status s = DropPrivileges({.keep = {CAP_NET_ADMIN}, .user = "nobody"});
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    if (geteuid() == 0 || getuid() == 0) return 2;
    if (CapMask("CapEff") != (uint64_t{1} << CAP_NET_ADMIN)) return 3;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(Privileges, UnknownUserIsNamed) {
  const int code = InChild([] {
    absl::Status s = DropPrivileges({.keep = {}, .user = "no-such-user-flowtop"});
    return s.code() == absl::StatusCode::kNotFound &&
                   s.message().find("no-such-user-flowtop") !=
                       std::string::npos
               ? 0
               : 1;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace flowtop::service
