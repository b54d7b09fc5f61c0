#include "collector/enrich/cgroup.h"

#include <fts.h>
#include <sys/stat.h>

#include <fstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace flowtop::collector::enrich {
namespace {

constexpr size_t kMaxCgroups = 1 << 16;      // cached directories
constexpr absl::Duration kMinWalk = absl::Seconds(1);

bool IsHexId(absl::string_view s) {
  if (s.size() < 12 || s.size() > 128) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

struct Prefix {
  absl::string_view prefix;
  absl::string_view runtime;
};

// "<prefix><id>.scope" (systemd driver) or "<prefix><id>" (cgroupfs).
constexpr Prefix kScopes[] = {
    {"docker-", "docker"},
    {"cri-containerd-", "containerd"},
    {"containerd-", "containerd"},
    {"libpod-", "podman"},
    {"crio-", "crio"},
};

// Returns whether `component` names a container, and which.
bool ContainerOf(absl::string_view parent, absl::string_view component, CgroupOwner* out) {
  absl::string_view c = component;
  absl::ConsumeSuffix(&c, ".scope");
  for (const Prefix& p : kScopes) {
    absl::string_view id = c;
    // libpod-conmon-<id>.scope is podman's monitor, not the container.
    if (absl::ConsumePrefix(&id, p.prefix) && IsHexId(id)) {
      out->container_id = std::string(id);
      out->container_runtime = std::string(p.runtime);
      return true;
    }
  }
  // cgroupfs driver: the runtime's directory, then the bare id.
  if (IsHexId(component) && component.size() == 64) {
    if (parent == "docker") {
      out->container_runtime = "docker";
    } else if (parent == "libpod_parent" || parent == "machine") {
      out->container_runtime = "podman";
    } else if (parent == "crio") {
      out->container_runtime = "crio";
    } else {
      out->container_runtime = "containerd";  // /default/<id>, /k8s.io/<id>, /kubepods/...
    }
    out->container_id = std::string(component);
    return true;
  }
  absl::string_view name = component;
  if (absl::ConsumePrefix(&name, "lxc.payload.") && !name.empty()) {
    out->container_id = std::string(name);
    out->container_runtime = "lxc";
    return true;
  }
  return false;
}

}  // namespace

CgroupOwner ParseCgroupPath(absl::string_view path) {
  CgroupOwner owner;
  std::string service, scope;
  absl::string_view parent;
  for (absl::string_view component : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    CgroupOwner container;
    if (ContainerOf(parent, component, &container)) {
      owner.container_id = std::move(container.container_id);
      owner.container_runtime = std::move(container.container_runtime);
    } else if (absl::EndsWith(component, ".service")) {
      service = std::string(component);
    } else if (absl::EndsWith(component, ".scope")) {
      scope = std::string(component);
    }
    parent = component;
  }
  owner.unit = !service.empty() ? service : scope;
  return owner;
}

std::string CgroupV2Path(absl::string_view contents) {
  for (absl::string_view line : absl::StrSplit(contents, '\n', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&line, "0::")) return std::string(line);
  }
  return "";
}

void SetCgroup(absl::string_view path, v1::Process* process) {
  if (path.empty()) return;
  process->set_cgroup(std::string(path));
  CgroupOwner owner = ParseCgroupPath(path);
  process->set_unit(std::move(owner.unit));
  process->set_container_id(std::move(owner.container_id));
  process->set_container_runtime(std::move(owner.container_runtime));
}

std::string Cgroup2Mount() {
  std::ifstream mounts("/proc/self/mounts");
  std::string line;
  for (int i = 0; i < 100000 && std::getline(mounts, line); ++i) {
    // "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,... 0 0"
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() >= 3 && fields[2] == "cgroup2") return std::string(fields[1]);
  }
  return "";
}

void CgroupPaths::Walk() {
  if (root_.empty()) return;
  if (paths_.size() >= kMaxCgroups) paths_.clear();
  std::vector<char> root(root_.begin(), root_.end());
  root.push_back('\0');
  char* roots[] = {root.data(), nullptr};
  FTS* fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, nullptr);
  if (fts == nullptr) return;
  while (FTSENT* e = fts_read(fts)) {
    if (e->fts_info != FTS_D) continue;
    absl::string_view rel(e->fts_path, e->fts_pathlen);
    absl::ConsumePrefix(&rel, root_);
    if (paths_.size() < kMaxCgroups) {
      paths_[e->fts_statp->st_ino] = rel.empty() ? "/" : std::string(rel);
    }
  }
  fts_close(fts);
}

absl::StatusOr<std::string> CgroupPaths::PathOf(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = paths_.find(id);
  if (it != paths_.end()) return it->second;
  const absl::Time now = clock_.Now();
  if (now - last_walk_ >= kMinWalk) {
    last_walk_ = now;
    Walk();
    it = paths_.find(id);
    if (it != paths_.end()) return it->second;
  }
  return absl::NotFoundError("no cgroup with this id");
}

}  // namespace flowtop::collector::enrich
