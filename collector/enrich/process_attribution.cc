#include "collector/enrich/process_attribution.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>
#include <optional>
#include <string>
#include <utility>

namespace flowtop::collector::enrich {
namespace {

constexpr uint8_t kTcpListenState = 10;  // TCP_LISTEN (include/net/tcp_states.h)
constexpr size_t kMaxLiveCache = 4096;

bool IsLoopback(const std::string& ip) {
  if (ip.size() == 4) return static_cast<unsigned char>(ip[0]) == 127;
  if (ip.size() == 16) {
    static constexpr unsigned char kLoop6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                 0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(ip.data(), kLoop6, 16) == 0;
  }
  return false;
}

}  // namespace

InterfaceAddresses::InterfaceAddresses(const core::Clock& clock, absl::Duration min_refresh)
    : clock_(clock), min_refresh_(min_refresh) {}

void InterfaceAddresses::Refresh() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return;
  addresses_.clear();
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      addresses_.insert(std::string(reinterpret_cast<const char*>(&sin->sin_addr), 4));
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      addresses_.insert(std::string(reinterpret_cast<const char*>(&sin6->sin6_addr), 16));
    }
  }
  freeifaddrs(list);
}

bool InterfaceAddresses::IsLocal(const std::string& ip) {
  if (IsLoopback(ip)) return true;
  absl::MutexLock lock(&mu_);
  if (addresses_.contains(ip)) return true;
  const absl::Time now = clock_.Now();
  if (now - last_refresh_ < min_refresh_) return false;
  last_refresh_ = now;
  Refresh();
  return addresses_.contains(ip);
}

void ProcessAttributor::FromKernel(const KernelOwner& owner, v1::Process* out) {
  {
    absl::MutexLock lock(&cache_mu_);
    auto it = live_.find(owner.pid);
    if (it != live_.end() && it->second.name() == owner.comm) {
      *out = it->second;
      out->set_attributed_by("ebpf");
      return;
    }
  }
  absl::StatusOr<v1::Process> live = processes_.ProcessById(owner.pid);
  // The same process still runs (its name as recorded): /proc has the rest.
  if (live.ok() && live->name() == owner.comm) {
    *out = *std::move(live);
    absl::MutexLock lock(&cache_mu_);
    if (live_.size() >= kMaxLiveCache) live_.clear();
    live_[owner.pid] = *out;
  } else {
    out->set_pid(owner.pid);
    out->set_name(owner.comm);
    out->set_uid(owner.uid);
    out->set_user(UserName(owner.uid));
  }
  if (out->cgroup().empty() && cgroups_ != nullptr && owner.cgroup_id != 0) {
    absl::StatusOr<std::string> path = cgroups_->PathOf(owner.cgroup_id);
    if (path.ok()) SetCgroup(*path, out);
  }
  out->set_attributed_by("ebpf");
}

void ProcessAttributor::AttributeEnd(const SocketKey& key, v1::Process* out) {
  out->Clear();
  enum { kAttributed, kNoSocket, kNoProcess, kNotLocal } outcome = kNoSocket;
  bool ebpf = false, listener = false;
  std::optional<KernelOwner> recorded;
  if (owners_ != nullptr) recorded = owners_->Find(key);
  if (recorded.has_value()) {
    FromKernel(*recorded, out);
    outcome = kAttributed;
    ebpf = true;
  } else if (absl::StatusOr<SocketInfo> socket = sockets_.Find(key); socket.ok()) {
    if (!socket->connected && !local_.IsLocal(key.local_ip)) {
      outcome = kNotLocal;
    } else {
      absl::StatusOr<v1::Process> process = processes_.OwnerOf(socket->inode);
      if (process.ok()) {
        *out = *std::move(process);
        listener = socket->state == kTcpListenState && key.protocol == v1::TCP;
        out->set_attributed_by(listener ? "listener" : "socket");
        outcome = kAttributed;
      } else {
        outcome = kNoProcess;
      }
    }
  }
  absl::MutexLock lock(&mu_);
  ++stats_.ends;
  switch (outcome) {
    case kAttributed:
      ++stats_.attributed;
      if (ebpf) ++stats_.by_ebpf;
      if (listener) ++stats_.by_listener;
      break;
    case kNoSocket: ++stats_.no_socket; break;
    case kNoProcess: ++stats_.no_process; break;
    case kNotLocal: ++stats_.not_local; break;
  }
}

void ProcessAttributor::Attribute(const v1::Flow& flow, v1::Process* src,
                                  v1::Process* dst) {
  src->Clear();
  dst->Clear();
  const v1::L4Protocol protocol = flow.protocol();
  if (protocol != v1::TCP && protocol != v1::UDP && protocol != v1::UDPLITE) return;
  const v1::Tuple& o = flow.original();
  SocketKey key;
  key.protocol = protocol;
  key.local_ip = o.src_ip();
  key.local_port = o.src_port();
  key.remote_ip = o.dst_ip();
  key.remote_port = o.dst_port();
  AttributeEnd(key, src);
  // The destination end as the kernel delivers to it: the reply's source.
  const bool has_reply = flow.has_reply() && !flow.reply().src_ip().empty();
  const v1::Tuple& r = has_reply ? flow.reply() : o;
  key.local_ip = has_reply ? r.src_ip() : o.dst_ip();
  key.local_port = has_reply ? r.src_port() : o.dst_port();
  key.remote_ip = has_reply ? r.dst_ip() : o.src_ip();
  key.remote_port = has_reply ? r.dst_port() : o.src_port();
  AttributeEnd(key, dst);
}

AttributionStats ProcessAttributor::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace flowtop::collector::enrich
