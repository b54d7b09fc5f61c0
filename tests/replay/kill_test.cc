// A recorder killed with SIGKILL in the middle of a capture leaves a file
// that reads back: every block written before the kill, in order, and at
// most the block being written is lost (reported, never silent).
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gtest/gtest.h"
#include "replay/reader.h"
#include "replay/recorder.h"
#include "replay/sample_events.h"

namespace flowtop::replay {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

// Runs in the child: records an endless stream, flushing a block every 50
// events (as RecordMain does every second), until it is killed.
[[noreturn]] void RecordForever(const std::string& path, int zstd_level) {
  RecorderOptions options;
  options.path = path;
  options.header.set_node("r1");
  options.writer.zstd_level = zstd_level;
  options.writer.block_size = 8192;
  options.keyframe_interval = absl::Milliseconds(200);
  auto recorder = Recorder::Create(options, core::RealClock::Get());
  if (!recorder.ok()) _exit(3);
  const std::vector<v1::FlowEvent> base = SyntheticStream(10000);
  std::vector<v1::FlowEvent> batch;
  for (uint64_t round = 0;; ++round) {
    for (size_t i = 0; i < base.size(); i += 50) {
      batch.assign(base.begin() + i, base.begin() + i + 50);
      for (v1::FlowEvent& e : batch) {
        e.set_seq(e.seq() + round * base.size());
        e.set_time_unix_nanos(e.time_unix_nanos() + round * 10'000'000'000ll);
      }
      (*recorder)->Publish(absl::MakeSpan(batch));
      if (!(*recorder)->Flush().ok()) _exit(4);
    }
  }
}

// Blocks until `path` holds at least `bytes` (inotify, no polling loop).
bool WaitForSize(const std::string& path, off_t bytes) {
  const int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0) return false;
  const std::string dir = path.substr(0, path.rfind('/'));
  inotify_add_watch(fd, dir.c_str(), IN_MODIFY | IN_CREATE);
  char buf[4096];
  while (true) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && st.st_size >= bytes) break;
    if (read(fd, buf, sizeof(buf)) <= 0) {
      close(fd);
      return false;
    }
  }
  close(fd);
  return true;
}

class KillTest : public ::testing::TestWithParam<int> {};

TEST_P(KillTest, FileReadsBackAfterSigkill) {
  const std::string path = TempPath("killed_" + std::to_string(GetParam()) + ".ftr");
  unlink(path.c_str());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) RecordForever(path, GetParam());
  ASSERT_TRUE(WaitForSize(path, 512 * 1024));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  auto reader = RecordingReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  Block block;
  uint64_t next_seq = 1;
  uint64_t events = 0;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&block);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    if (block.info.header.keyframe()) continue;
    for (size_t i = 0; i < block.size(); ++i) {
      ASSERT_EQ(block.events[i].seq(), next_seq) << "a gap before the kill";
      ++next_seq;
      ++events;
    }
  }
  EXPECT_GT(events, 1000u);
  // At most the block in flight is lost, and then it is reported as a tail.
  const std::vector<Damage> damage = (*reader)->TakeDamage();
  ASSERT_LE(damage.size(), 1u);
  if (!damage.empty()) {
    EXPECT_TRUE(damage[0].truncated_tail) << damage[0].message;
    EXPECT_LE(damage[0].events_lost, 50u);
  }
}

INSTANTIATE_TEST_SUITE_P(PlainAndZstd, KillTest, ::testing::Values(0, 3));

}  // namespace
}  // namespace flowtop::replay
