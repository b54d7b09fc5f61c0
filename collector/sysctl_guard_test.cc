#include "collector/sysctl_guard.h"

#include <signal.h>

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
    auto g = SysctlGuard::Create(true, dir_);
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
    auto g = SysctlGuard::Create(true, dir_);
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
  auto g = SysctlGuard::Create(false, dir_);
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
  auto g = SysctlGuard::Create(true, dir_);
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
  auto g = SysctlGuard::Create(true, dir_ + "/nope");
  EXPECT_TRUE(absl::IsNotFound(g.status()));
  EXPECT_NE(g.status().message().find("nf_conntrack_count"), std::string::npos);
}

}  // namespace
}  // namespace flowtop::collector
