#include "core/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

std::string TmpPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(BoundedFile, ReadsASmallRegularFile) {
  const std::string path = TmpPath("small");
  std::ofstream(path) << "hello\n";
  absl::StatusOr<std::string> text = ReadBoundedFile(path, 6);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "hello\n");
}

TEST(BoundedFile, RefusesALargerFile) {
  const std::string path = TmpPath("large");
  std::ofstream(path) << "hello\n";
  absl::StatusOr<std::string> text = ReadBoundedFile(path, 5);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(text.status().message().find("larger than the 5 bytes"),
            std::string::npos);
}

TEST(BoundedFile, RefusesDevicesDirectoriesAndFifosWithoutBlocking) {
  for (const char* path : {"/dev/zero", "/dev/null"}) {
    absl::StatusOr<std::string> text = ReadBoundedFile(path, 1 << 20);
    EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_NE(text.status().message().find("character device, not a regular file"),
              std::string::npos);
  }
  absl::StatusOr<std::string> dir = ReadBoundedFile("/tmp", 1 << 20);
  EXPECT_NE(dir.status().message().find("'/tmp' is a directory"),
            std::string::npos);
  const std::string fifo = TmpPath("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  absl::StatusOr<std::string> f = ReadBoundedFile(fifo, 1 << 20);  // no writer
  EXPECT_NE(f.status().message().find("a pipe (FIFO)"), std::string::npos);
  EXPECT_FALSE(CheckRegularFile(fifo).ok());
}

TEST(BoundedFile, ProcFilesAreBoundedByTheirContentNotTheirSize) {
  // /proc files say size 0; their content still counts against the bound.
  absl::StatusOr<std::string> text = ReadBoundedFile("/proc/self/status", 10);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BoundedFile, MissingFileIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(ReadBoundedFile(TmpPath("nope"), 10).status()));
}

TEST(BoundedFile, Mode) {
  const std::string path = TmpPath("mode");
  std::ofstream(path) << "x";
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  absl::StatusOr<mode_t> mode = FileMode(path);
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, 0644u);
}

}  // namespace
}  // namespace flowtop::core
