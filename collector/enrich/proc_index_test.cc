#include "collector/enrich/proc_index.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "collector/fake_clock.h"
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
  FakeClock clock;
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
  FakeClock clock;
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

TEST(ProcIndexTest, FullSweepsAreRateLimited) {
  FakeClock clock;
  ProcIndex index(clock, "/proc", absl::Milliseconds(200));
  const uint64_t unknown = 0xfffffffffffULL;
  EXPECT_FALSE(index.OwnerOf(unknown).ok());
  EXPECT_EQ(index.stats().full_sweeps, 1u);
  EXPECT_FALSE(index.OwnerOf(unknown).ok());
  EXPECT_EQ(index.stats().full_sweeps, 1u);
  EXPECT_EQ(index.stats().rate_limited, 1u);
  clock.Advance(absl::Milliseconds(201));
  EXPECT_FALSE(index.OwnerOf(unknown).ok());
  EXPECT_EQ(index.stats().full_sweeps, 2u);
  EXPECT_EQ(index.OwnerOf(0).status().code(), absl::StatusCode::kNotFound);
}

TEST(ProcIndexTest, ReadProcessOfAGonePidIsNotFound) {
  FakeClock clock;
  ProcIndex index(clock);
  EXPECT_EQ(index.ReadProcess(0x3fffffff).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<v1::Process> self = index.ReadProcess(getpid());
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(self->name(), OwnComm());
}

}  // namespace
}  // namespace flowtop::collector::enrich
