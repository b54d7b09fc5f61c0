#include "collector/sysctl_guard.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace flowtop::collector {
namespace {

// A fake /proc/sys/net/netfilter made of real files in the test's tmpdir.
class SysctlGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/netfilter_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(system(("mkdir -p " + dir_).c_str()), 0);
    Write("nf_conntrack_count", "12\n");
    Write("nf_conntrack_max", "65536\n");
    Write("nf_conntrack_events", "2\n");
  }
  void Write(const std::string& name, const std::string& v) {
    std::ofstream(dir_ + "/" + name) << v;
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string dir_;
};

TEST_F(SysctlGuardTest, TurnsOnAndRestoresOnDestruction) {
  Write("nf_conntrack_acct", "0\n");
  Write("nf_conntrack_timestamp", "0\n");
  {
    auto g = SysctlGuard::Create(true, dir_, dir_);
    ASSERT_TRUE(g.ok()) << g.status();
    EXPECT_TRUE((*g)->changed());
    EXPECT_EQ(Read("nf_conntrack_acct"), "1\n");
    EXPECT_EQ(Read("nf_conntrack_timestamp"), "1\n");
    auto info = (*g)->Read();
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->count, 12u);
    EXPECT_EQ(info->max, 65536u);
    EXPECT_EQ(info->events, 2u);
    EXPECT_TRUE(info->acct);
    EXPECT_TRUE(info->timestamp);
    EXPECT_TRUE(info->changed_by_flowtop);
  }
  EXPECT_EQ(Read("nf_conntrack_acct"), "0\n");
  EXPECT_EQ(Read("nf_conntrack_timestamp"), "0\n");
}

TEST_F(SysctlGuardTest, LeavesValuesThatWereAlreadyOn) {
  Write("nf_conntrack_acct", "1\n");
  Write("nf_conntrack_timestamp", "0\n");
  {
    auto g = SysctlGuard::Create(true, dir_, dir_);
    ASSERT_TRUE(g.ok());
    (*g)->RestoreAsyncSignalSafe();  // as a signal handler would
    EXPECT_EQ(Read("nf_conntrack_timestamp"), "0\n");
    Write("nf_conntrack_timestamp", "1\n");  // someone else's later change
  }
  // Restored once only; the acct value we never changed is left alone.
  EXPECT_EQ(Read("nf_conntrack_acct"), "1\n");
  EXPECT_EQ(Read("nf_conntrack_timestamp"), "1\n");
}

TEST_F(SysctlGuardTest, WithoutEnableNothingChanges) {
  Write("nf_conntrack_acct", "0\n");
  Write("nf_conntrack_timestamp", "0\n");
  auto g = SysctlGuard::Create(false, dir_, dir_);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE((*g)->changed());
  EXPECT_EQ(Read("nf_conntrack_acct"), "0\n");
}

// What a binary does: its SIGTERM handler restores the sysctls.
SysctlGuard* g_guard = nullptr;
void OnTerm(int) { g_guard->RestoreAsyncSignalSafe(); }

TEST_F(SysctlGuardTest, RestoresFromASignalHandler) {
  Write("nf_conntrack_acct", "0\n");
  Write("nf_conntrack_timestamp", "0\n");
  auto g = SysctlGuard::Create(true, dir_, dir_);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(Read("nf_conntrack_acct"), "1\n");
  g_guard = g->get();
  struct sigaction sa = {}, old = {};
  sa.sa_handler = OnTerm;
  ASSERT_EQ(sigaction(SIGTERM, &sa, &old), 0);
  ASSERT_EQ(raise(SIGTERM), 0);
  sigaction(SIGTERM, &old, nullptr);
  g_guard = nullptr;
  EXPECT_EQ(Read("nf_conntrack_acct"), "0\n");
  EXPECT_EQ(Read("nf_conntrack_timestamp"), "0\n");
}

TEST_F(SysctlGuardTest, MissingConntrackIsNotFound) {
  auto g = SysctlGuard::Create(true, dir_ + "/nope", dir_);
  EXPECT_TRUE(absl::IsNotFound(g.status()));
  EXPECT_NE(g.status().message().find("nf_conntrack_count"), std::string::npos);
}

// Two instances in one namespace: stopping the one that turned the
// sysctls on must not turn them off under the other; the last one restores.
TEST_F(SysctlGuardTest, TheLastInstanceRestores) {
  Write("nf_conntrack_acct", "0\n");
  Write("nf_conntrack_timestamp", "0\n");
  auto first = SysctlGuard::Create(true, dir_, dir_);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE((*first)->coordinated());
  EXPECT_TRUE((*first)->changed());
  auto second = SysctlGuard::Create(true, dir_, dir_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE((*second)->changed());
  ASSERT_TRUE((*second)->Read().ok());
  EXPECT_TRUE((*second)->Read()->changed_by_flowtop);
  first->reset();
  EXPECT_EQ(Read("nf_conntrack_acct"), "1\n");
  EXPECT_EQ(Read("nf_conntrack_timestamp"), "1\n");
  second->reset();
  EXPECT_EQ(Read("nf_conntrack_acct"), "0\n");
  EXPECT_EQ(Read("nf_conntrack_timestamp"), "0\n");
}

// An instance killed without restoring (SIGKILL) leaves its record; the
// next instance to leave last puts the values back.
TEST_F(SysctlGuardTest, AKilledInstancesChangeIsRestoredByTheNext) {
  Write("nf_conntrack_acct", "0\n");
  Write("nf_conntrack_timestamp", "1\n");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto g = SysctlGuard::Create(true, dir_, dir_);
    if (!g.ok() || !(*g)->changed_acct()) _exit(3);
    raise(SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exit " << WEXITSTATUS(status);
  EXPECT_EQ(Read("nf_conntrack_acct"), "1\n");
  {
    auto g = SysctlGuard::Create(true, dir_, dir_);
    ASSERT_TRUE(g.ok());
    EXPECT_FALSE((*g)->changed());
  }
  EXPECT_EQ(Read("nf_conntrack_acct"), "0\n");
  EXPECT_EQ(Read("nf_conntrack_timestamp"), "1\n");  // never ours
}

// Without a usable lock directory each guard restores what it changed.
TEST_F(SysctlGuardTest, WithoutALockDirEachRestoresItsOwn) {
  Write("nf_conntrack_acct", "0\n");
  Write("nf_conntrack_timestamp", "0\n");
  {
    auto g = SysctlGuard::Create(true, dir_, "/proc/no-such-dir");
    ASSERT_TRUE(g.ok());
    EXPECT_FALSE((*g)->coordinated());
    EXPECT_EQ(Read("nf_conntrack_acct"), "1\n");
  }
  EXPECT_EQ(Read("nf_conntrack_acct"), "0\n");
}

}  // namespace
}  // namespace flowtop::collector
