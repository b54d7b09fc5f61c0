#include "collector/enrich/proc_index.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "core/fake_clock.h"
#include "gtest/gtest.h"

namespace flowtop::collector::enrich {
namespace {

uint64_t InodeOf(int fd) {
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0);
  return st.st_ino;
}

std::string OwnComm() {
  std::ifstream in("/proc/self/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

TEST(ProcIndexTest, FindsTheProcessHoldingASocket) {
  core::FakeClock clock;
  ProcIndex index(clock);
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  absl::StatusOr<v1::Process> owner = index.OwnerOf(InodeOf(fd));
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->pid(), static_cast<uint32_t>(getpid()));
  EXPECT_EQ(owner->name(), OwnComm());
  EXPECT_FALSE(owner->exe().empty());
  EXPECT_EQ(owner->uid(), getuid());
  EXPECT_FALSE(owner->user().empty());
  // Second time: from the cache, no scan.
  const uint64_t scans = index.stats().scans;
  ASSERT_TRUE(index.OwnerOf(InodeOf(fd)).ok());
  EXPECT_EQ(index.stats().scans, scans);
  EXPECT_EQ(index.stats().hits, 1u);
  close(fd);
}

TEST(ProcIndexTest, ClosedSocketIsNeverAttributed) {
  core::FakeClock clock;
  ProcIndex index(clock);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const uint64_t inode = InodeOf(fd);
  ASSERT_TRUE(index.OwnerOf(inode).ok());
  close(fd);
  // The fd number may be reused by another socket: still not this inode.
  const int other = socket(AF_INET, SOCK_STREAM, 0);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(index.OwnerOf(inode).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(index.stats().stale, 1u);
  close(other);
}

TEST(ProcIndexTest, FullSweepsAreRateLimitedAndUnownedInodesRemembered) {
  core::FakeClock clock;
  ProcIndex index(clock, "/proc", absl::Milliseconds(200), absl::Seconds(5));
  const uint64_t unknown = 0xfffffffff00ULL;
  EXPECT_FALSE(index.OwnerOf(unknown).ok());
  EXPECT_EQ(index.stats().full_sweeps, 1u);
  // The same inode again: answered from the unowned cache, no scan.
  const uint64_t scans = index.stats().scans;
  EXPECT_FALSE(index.OwnerOf(unknown).ok());
  EXPECT_EQ(index.stats().known_unowned, 1u);
  EXPECT_EQ(index.stats().scans, scans);
  // Another unknown inode within the interval: only new processes scanned.
  EXPECT_FALSE(index.OwnerOf(unknown + 1).ok());
  EXPECT_EQ(index.stats().full_sweeps, 1u);
  EXPECT_EQ(index.stats().rate_limited, 1u);
  clock.Advance(absl::Milliseconds(201));
  EXPECT_FALSE(index.OwnerOf(unknown + 2).ok());
  EXPECT_EQ(index.stats().full_sweeps, 2u);
  // After its TTL the first inode is looked for again.
  clock.Advance(absl::Seconds(6));
  EXPECT_FALSE(index.OwnerOf(unknown).ok());
  EXPECT_EQ(index.stats().full_sweeps, 3u);
  EXPECT_EQ(index.OwnerOf(0).status().code(), absl::StatusCode::kNotFound);
}

TEST(ProcIndexTest, NewProcessIsFoundEvenWithinTheRateLimit) {
  core::FakeClock clock;
  ProcIndex index(clock, "/proc", absl::Hours(1));
  EXPECT_FALSE(index.OwnerOf(0xfffffffff00ULL).ok());  // a full sweep now
  int to_parent[2], to_child[2];
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(to_child), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(to_child[1]);  // so that the parent's close ends the read below
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct stat st;
    fstat(fd, &st);
    const uint64_t inode = st.st_ino;
    (void)!write(to_parent[1], &inode, sizeof(inode));
    char c;
    (void)!read(to_child[0], &c, 1);  // until the parent is done
    _exit(0);
  }
  close(to_child[0]);
  uint64_t inode = 0;
  ASSERT_EQ(read(to_parent[0], &inode, sizeof(inode)), static_cast<ssize_t>(sizeof(inode)));
  absl::StatusOr<v1::Process> owner = index.OwnerOf(inode);
  close(to_child[1]);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->pid(), static_cast<uint32_t>(child));
  EXPECT_EQ(index.stats().full_sweeps, 1u);
  EXPECT_EQ(index.stats().rate_limited, 1u);
}

TEST(ProcIndexTest, ReadProcessOfAGonePidIsNotFound) {
  core::FakeClock clock;
  ProcIndex index(clock);
  EXPECT_EQ(index.ReadProcess(0x3fffffff).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<v1::Process> self = index.ReadProcess(getpid());
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(self->name(), OwnComm());
}


// A /proc of one process (pid 4242) holding socket 12345 as fd 3.
class FakeProc {
 public:
  FakeProc() : root_(std::string(std::getenv("TEST_TMPDIR")) + "/fakeproc") {
    mkdir(root_.c_str(), 0755);
    mkdir((root_ + "/4242").c_str(), 0755);
    mkdir((root_ + "/4242/fd").c_str(), 0755);
    EXPECT_EQ(symlink("socket:[12345]", (root_ + "/4242/fd/3").c_str()), 0);
    Write("status", "Name:\tx\nUid:\t0\t0\t0\t0\n");
    Write("cgroup", "0::/\n");
  }
  void Write(const std::string& file, const std::string& text) {
    std::ofstream(root_ + "/4242/" + file) << text;
  }
  void Exec(const std::string& exe, const std::string& comm) {
    unlink((root_ + "/4242/exe").c_str());
    EXPECT_EQ(symlink(exe.c_str(), (root_ + "/4242/exe").c_str()), 0);
    Write("comm", comm + "\n");
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

TEST(ProcIndexTest, AProcessIsDescribedAgainOnlyAfterItsTtlOrAnExec) {
  FakeProc proc;
  proc.Exec("/usr/bin/first", "first");
  core::FakeClock clock;
  ProcIndex index(clock, proc.root());
  absl::StatusOr<v1::Process> owner = index.OwnerOf(12345);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->pid(), 4242u);
  EXPECT_EQ(owner->name(), "first");

  // Within the TTL, the same executable: what was read is reused.
  proc.Write("comm", "renamed\n");
  owner = index.OwnerOf(12345);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->name(), "first");
  EXPECT_EQ(index.stats().described_again, 1u);

  // It exec'd another program: read again at once.
  proc.Exec("/usr/bin/second", "second");
  owner = index.OwnerOf(12345);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->name(), "second");
  EXPECT_EQ(owner->exe(), "/usr/bin/second");

  // After the TTL, read again.
  proc.Write("comm", "third\n");
  clock.Advance(ProcIndex::kProcessTtl);
  owner = index.OwnerOf(12345);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->name(), "third");
  EXPECT_EQ(index.stats().described_again, 1u);
}

}  // namespace
}  // namespace flowtop::collector::enrich
