#include "tests/enrich/testing/fixtures.h"

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace flowtop::testing {

namespace {
std::string RunfilePath(const std::string& rel) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return rel;
  return absl::StrCat(srcdir, "/", workspace ? workspace : "flowtop", "/", rel);
}
}  // namespace

absl::StatusOr<std::string> WriteMmdb(const std::string& layout,
                                      const std::string& path) {
  const std::string cmd =
      absl::StrCat("perl '", RunfilePath("tests/enrich/testing/write_mmdb.pl"), "' ",
                   layout, " '", path, "'");
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    return absl::InternalError(absl::StrCat(
        "`", cmd, "` failed (status ", rc,
        "); is libmaxmind-db-writer-perl installed?"));
  }
  return path;
}

std::string MakeTempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(tmp ? tmp : "/tmp", "/", name, ".XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) return "";
  return templ;
}

bool WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  return static_cast<bool>(out);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace flowtop::testing
