#include "collector/enrich/cgroup.h"

#include <sys/stat.h>

#include <string>

#include "core/fake_clock.h"
#include "gtest/gtest.h"
#include "tests/enrich/testing/fixtures.h"

namespace flowtop::collector::enrich {
namespace {

constexpr char kId[] = "3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a";

struct Case {
  std::string path;
  std::string unit;
  std::string container_id;
  std::string runtime;
};

TEST(ParseCgroupPathTest, SystemdUnitsAndEveryRuntime) {
  const std::string id = kId;
  const Case cases[] = {
      {"/system.slice/nginx.service", "nginx.service", "", ""},
      {"/user.slice/user-1000.slice/user@1000.service/init.scope", "user@1000.service", "", ""},
      {"/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.service",
       "app-firefox.service", "", ""},
      {"/user.slice/user-1000.slice/session-3.scope", "session-3.scope", "", ""},
      {"/init.scope", "init.scope", "", ""},
      {"/", "", "", ""},
      {"", "", "", ""},
      // docker, systemd and cgroupfs drivers
      {"/system.slice/docker-" + id + ".scope", "", id, "docker"},
      {"/docker/" + id, "", id, "docker"},
      // containerd: Kubernetes (systemd driver), ctr (cgroupfs)
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/"
       "cri-containerd-" + id + ".scope",
       "", id, "containerd"},
      {"/default/" + id, "", id, "containerd"},
      {"/system.slice/containerd.service/k8s.io/" + id, "containerd.service", id, "containerd"},
      // podman: root and rootless; its monitor (conmon) is not the container
      {"/machine.slice/libpod-" + id + ".scope", "", id, "podman"},
      {"/machine.slice/libpod-" + id + ".scope/container", "", id, "podman"},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope",
       "user@1000.service", id, "podman"},
      {"/machine.slice/libpod-conmon-" + id + ".scope", "libpod-conmon-" + id + ".scope", "", ""},
      // CRI-O and LXC
      {"/kubepods.slice/kubepods-pod1.slice/crio-" + id + ".scope", "", id, "crio"},
      {"/lxc.payload.web1/system.slice/nginx.service", "nginx.service", "web1", "lxc"},
      // Not ids: too short, upper case, a unit that merely starts like one
      {"/system.slice/docker-abc.scope", "docker-abc.scope", "", ""},
      {"/system.slice/docker.service", "docker.service", "", ""},
  };
  for (const Case& c : cases) {
    CgroupOwner owner = ParseCgroupPath(c.path);
    EXPECT_EQ(owner.unit, c.unit) << c.path;
    EXPECT_EQ(owner.container_id, c.container_id) << c.path;
    EXPECT_EQ(owner.container_runtime, c.runtime) << c.path;
  }
}

TEST(CgroupV2PathTest, TakesTheUnifiedLine) {
  EXPECT_EQ(CgroupV2Path("0::/system.slice/ssh.service\n"), "/system.slice/ssh.service");
  EXPECT_EQ(CgroupV2Path("12:pids:/x\n1:name=systemd:/y\n0::/z\n"), "/z");
  EXPECT_EQ(CgroupV2Path("12:pids:/x\n"), "");
  EXPECT_EQ(CgroupV2Path(""), "");
}

TEST(SetCgroupTest, FillsTheProcess) {
  v1::Process p;
  SetCgroup(std::string("/system.slice/docker-") + kId + ".scope", &p);
  EXPECT_EQ(p.cgroup(), std::string("/system.slice/docker-") + kId + ".scope");
  EXPECT_EQ(p.container_id(), kId);
  EXPECT_EQ(p.container_runtime(), "docker");
  EXPECT_EQ(p.unit(), "");
  v1::Process none;
  SetCgroup("", &none);
  EXPECT_EQ(none.ByteSizeLong(), 0u);
}

TEST(Cgroup2MountTest, FindsTheUnifiedHierarchy) {
  const std::string mount = Cgroup2Mount();
  ASSERT_FALSE(mount.empty()) << "no cgroup2 in /proc/self/mounts";
  struct stat st;
  EXPECT_EQ(stat((mount + "/cgroup.controllers").c_str(), &st), 0) << mount;
}

TEST(CgroupPathsTest, FindsDirectoriesByInodeAndRateLimitsWalks) {
  const std::string root = ::flowtop::testing::MakeTempDir("cgroup");
  ASSERT_EQ(mkdir((root + "/system.slice").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root + "/system.slice/nginx.service").c_str(), 0755), 0);
  struct stat st;
  ASSERT_EQ(stat((root + "/system.slice/nginx.service").c_str(), &st), 0);
  core::FakeClock clock;
  CgroupPaths paths(clock, root);
  absl::StatusOr<std::string> path = paths.PathOf(st.st_ino);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "/system.slice/nginx.service");
  ASSERT_EQ(stat(root.c_str(), &st), 0);
  EXPECT_EQ(*paths.PathOf(st.st_ino), "/");

  // A cgroup created after the walk is found after a second, not before.
  ASSERT_EQ(mkdir((root + "/system.slice/late.service").c_str(), 0755), 0);
  ASSERT_EQ(stat((root + "/system.slice/late.service").c_str(), &st), 0);
  EXPECT_FALSE(paths.PathOf(st.st_ino).ok());
  clock.Advance(absl::Seconds(1));
  path = paths.PathOf(st.st_ino);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "/system.slice/late.service");
}

}  // namespace
}  // namespace flowtop::collector::enrich
