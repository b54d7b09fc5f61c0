#include "collector/enrich/bpf_owners.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "absl/base/call_once.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collector/enrich/bpf/owner_map.h"
#include "collector/enrich/bpf/owners.skel.h"
#include "collector/enrich/cgroup.h"

namespace flowtop::collector::enrich {
namespace {

// libbpf's messages: its last warning explains a failed load; nothing is
// printed (the caller reports one line).
absl::Mutex log_mu;
std::string* last_libbpf_message ABSL_GUARDED_BY(log_mu) = nullptr;

int CaptureLibbpf(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[512];
  vsnprintf(line, sizeof(line), format, args);
  std::string text = line;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  absl::MutexLock lock(&log_mu);
  if (last_libbpf_message == nullptr) last_libbpf_message = new std::string;
  *last_libbpf_message = std::move(text);
  return 0;
}

std::string LastLibbpfMessage() {
  absl::MutexLock lock(&log_mu);
  return last_libbpf_message == nullptr ? std::string() : *last_libbpf_message;
}

// One line a user can act on, from the failing step's errno.
std::string Explain(const char* step, int err) {
  if (err < 0) err = -err;
  std::string why;
  if (err == EPERM && geteuid() != 0) {
    why = "no permission (needs root, or CAP_BPF and CAP_PERFMON)";
  } else if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    why = "the kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF)";
  } else if (err == ENOTSUP || err == EOPNOTSUPP || err == EINVAL || err == ENOENT ||
             err == ESRCH || err == E2BIG) {
    why = absl::StrCat("the kernel does not support BTF tracing programs here (",
                       strerror(err), ")");
  } else {
    why = strerror(err);
  }
  const std::string detail = LastLibbpfMessage();
  return absl::StrCat("eBPF ", step, " failed: ", why,
                      detail.empty() ? "" : absl::StrCat(" [libbpf: ", detail, "]"));
}

}  // namespace

namespace {

// Opens and loads the skeleton; without `send_length` (a tracepoint of
// kernel 6.6+) when asked.
absl::StatusOr<owners_bpf*> Load(bool send_length) {
  owners_bpf* skel = owners_bpf__open();
  if (skel == nullptr) return absl::FailedPreconditionError(Explain("open", errno));
  if (!send_length) bpf_program__set_autoload(skel->progs.flowtop_sock_send, false);
  const int err = owners_bpf__load(skel);
  if (err != 0) {
    owners_bpf__destroy(skel);
    return absl::FailedPreconditionError(Explain("load", err));
  }
  return skel;
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpfOwners>> BpfOwners::Open() {
  static absl::once_flag once;
  absl::call_once(once, [] { libbpf_set_print(CaptureLibbpf); });
  const std::string cgroup_root = Cgroup2Mount();
  if (cgroup_root.empty()) {
    return absl::FailedPreconditionError(
        "eBPF needs the cgroup v2 hierarchy (for UDP), and none is mounted");
  }
  absl::StatusOr<owners_bpf*> skel = Load(/*send_length=*/true);
  if (!skel.ok()) skel = Load(/*send_length=*/false);  // before 6.6
  if (!skel.ok()) return skel.status();
  // tp_btf programs attach themselves; the cgroup hooks go on the cgroup v2
  // root, so every process below it (containers included) is seen.
  int err = owners_bpf__attach(*skel);
  if (err != 0) {
    owners_bpf__destroy(*skel);
    return absl::FailedPreconditionError(Explain("attach", err));
  }
  const int cgroup_fd = open(cgroup_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroup_fd < 0) {
    const int open_errno = errno;
    owners_bpf__destroy(*skel);
    return absl::FailedPreconditionError(
        absl::StrCat("eBPF: cannot open ", cgroup_root, ": ", strerror(open_errno)));
  }
  for (bpf_program* prog : {(*skel)->progs.flowtop_udp_sendmsg4, (*skel)->progs.flowtop_udp_sendmsg6}) {
    bpf_link* link = bpf_program__attach_cgroup(prog, cgroup_fd);
    if (link == nullptr) {
      const int attach_errno = errno;
      close(cgroup_fd);
      owners_bpf__destroy(*skel);
      return absl::FailedPreconditionError(Explain("cgroup attach", attach_errno));
    }
    // Owned by the skeleton: destroyed (detached) with it.
    (prog == (*skel)->progs.flowtop_udp_sendmsg4 ? (*skel)->links.flowtop_udp_sendmsg4
                                                 : (*skel)->links.flowtop_udp_sendmsg6) = link;
  }
  close(cgroup_fd);
  return std::unique_ptr<BpfOwners>(new BpfOwners(*skel, bpf_map__fd((*skel)->maps.owners)));
}

BpfOwners::~BpfOwners() { owners_bpf__destroy(skel_); }

std::optional<KernelOwner> BpfOwners::Find(const SocketKey& key) {
  flowtop_owner_key k;
  std::memset(&k, 0, sizeof(k));
  switch (key.protocol) {
    case v1::TCP: k.protocol = IPPROTO_TCP; break;
    case v1::UDP: k.protocol = IPPROTO_UDP; break;
    case v1::UDPLITE: k.protocol = IPPROTO_UDPLITE; break;
    default: return std::nullopt;
  }
  if ((key.local_ip.size() != 4 && key.local_ip.size() != 16) ||
      key.remote_ip.size() != key.local_ip.size() || key.local_port == 0) {
    return std::nullopt;
  }
  k.ip_len = static_cast<__u8>(key.local_ip.size());
  std::memcpy(k.laddr, key.local_ip.data(), k.ip_len);
  std::memcpy(k.raddr, key.remote_ip.data(), k.ip_len);
  k.lport = static_cast<__u16>(key.local_port);
  k.rport = static_cast<__u16>(key.remote_port);
  flowtop_owner v;
  if (bpf_map_lookup_elem(map_fd_, &k, &v) != 0) {
    // An unconnected UDP socket bound to the wildcard address is recorded
    // without its local address (the route picks it per datagram).
    if (k.protocol == IPPROTO_TCP) return std::nullopt;
    std::memset(k.laddr, 0, sizeof(k.laddr));
    if (bpf_map_lookup_elem(map_fd_, &k, &v) != 0) return std::nullopt;
  }
  KernelOwner owner;
  owner.pid = v.tgid;
  owner.tid = v.pid;
  owner.uid = v.uid;
  owner.comm.assign(v.comm, strnlen(v.comm, sizeof(v.comm)));
  owner.cgroup_id = v.cgroup_id;
  owner.netns_cookie = v.netns_cookie;
  return owner;
}

BpfOwners::RunStats BpfOwners::run_stats() const {
  RunStats stats;
  for (const bpf_program* prog : {skel_->progs.flowtop_tcp_state, skel_->progs.flowtop_udp_sendmsg4,
                                  skel_->progs.flowtop_udp_sendmsg6,
                                  skel_->progs.flowtop_sock_send}) {
    const int fd = bpf_program__fd(prog);
    if (fd < 0) continue;  // not loaded (sock_send_length before 6.6)
    bpf_prog_info info;
    std::memset(&info, 0, sizeof(info));
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) continue;
    stats.runs += info.run_cnt;
    stats.run_time_ns += info.run_time_ns;
  }
  return stats;
}

absl::StatusOr<int> BpfOwners::EnableRunStats() {
  const int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot turn BPF run-time statistics on: ", strerror(errno)));
  }
  return fd;
}

absl::Status CheckBpfAttribution() {
  absl::StatusOr<std::unique_ptr<BpfOwners>> owners = BpfOwners::Open();
  return owners.ok() ? absl::OkStatus() : owners.status();
}

}  // namespace flowtop::collector::enrich
