#include "core/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace flowtop::core {
namespace {

absl::Status OpenError(int err, const std::string& path) {
  const std::string msg =
      absl::StrCat("cannot read '", path, "': ", std::strerror(err));
  if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  return absl::InvalidArgumentError(msg);
}

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a pipe (FIFO)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Opens without blocking (a FIFO with no writer would block open) and
// checks the type. Returns the descriptor and fills *st.
absl::StatusOr<int> OpenRegular(const std::string& path, struct stat* st) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return OpenError(errno, path);
  if (fstat(fd, st) != 0) {
    const int err = errno;
    close(fd);
    return OpenError(err, path);
  }
  if (!S_ISREG(st->st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is ", KindOf(st->st_mode),
                     ", not a regular file"));
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::string> ReadBoundedFile(const std::string& path,
                                            size_t max_bytes) {
  struct stat st;
  absl::StatusOr<int> fd = OpenRegular(path, &st);
  if (!fd.ok()) return fd.status();
  auto too_big = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is larger than the ", max_bytes,
                     " bytes allowed for it"));
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    close(*fd);
    return too_big();
  }
  // Read up to one byte more than allowed: a file that grows (or a /proc
  // file whose size says 0) is still bounded.
  std::string out(max_bytes + 1, '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = read(*fd, &out[done], out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(*fd);
      return OpenError(err, path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  close(*fd);
  if (done > max_bytes) return too_big();
  out.resize(done);
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  return ReadBoundedFile(path, kMaxConfigFileBytes);
}

absl::Status CheckRegularFile(const std::string& path) {
  struct stat st;
  absl::StatusOr<int> fd = OpenRegular(path, &st);
  if (!fd.ok()) return fd.status();
  close(*fd);
  return absl::OkStatus();
}

absl::StatusOr<mode_t> FileMode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return OpenError(errno, path);
  return st.st_mode & 07777;
}

}  // namespace flowtop::core
