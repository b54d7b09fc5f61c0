#include "collector/enrich/conf_files.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace flowtop::collector::enrich {

std::vector<std::string> DefaultConfDirs() {
  std::vector<std::string> dirs;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    dirs.push_back(absl::StrCat(xdg, "/flowtop"));
  } else if (home != nullptr && home[0] == '/') {
    dirs.push_back(absl::StrCat(home, "/.config/flowtop"));
  }
  dirs.push_back("/etc/flowtop");
  dirs.push_back("conf");
  return dirs;
}

std::string FindConfFile(const std::string& name, const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    std::string path = absl::StrCat(dir, "/", name);
    if (access(path.c_str(), R_OK) == 0) return path;
  }
  return "";
}

}  // namespace flowtop::collector::enrich
