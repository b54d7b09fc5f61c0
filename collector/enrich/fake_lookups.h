// Fakes of the lookups behind process attribution, for unit tests and
// benchmarks: sockets, processes and local addresses from tables.
#ifndef FLOWTOP_COLLECTOR_ENRICH_FAKE_LOOKUPS_H_
#define FLOWTOP_COLLECTOR_ENRICH_FAKE_LOOKUPS_H_

#include <optional>
#include <string>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "collector/enrich/proc_index.h"
#include "collector/enrich/process_attribution.h"
#include "collector/enrich/sock_diag.h"
#include "collector/enrich/socket_owners.h"

namespace flowtop::collector::enrich {

class FakeSocketLookup final : public SocketLookup {
 public:
  // Exact (connected) socket for this local/remote pair.
  void AddConnected(const SocketKey& key, uint64_t inode) {
    absl::MutexLock lock(&mu_);
    exact_[Key(key)] = inode;
  }
  // Wildcard socket (listener / unconnected UDP) on this local port.
  void AddWildcard(v1::L4Protocol protocol, uint32_t port, uint64_t inode) {
    absl::MutexLock lock(&mu_);
    wildcard_[{protocol, port}] = inode;
  }
  absl::StatusOr<SocketInfo> Find(const SocketKey& key) override {
    absl::MutexLock lock(&mu_);
    ++finds_;
    auto it = exact_.find(Key(key));
    if (it != exact_.end()) return SocketInfo{it->second, 0, 1, true};
    auto w = wildcard_.find(std::make_pair(key.protocol, key.local_port));
    if (w != wildcard_.end()) return SocketInfo{w->second, 0, 10, false};
    return absl::NotFoundError("no socket");
  }
  int finds() {
    absl::MutexLock lock(&mu_);
    return finds_;
  }

 private:
  using Tuple = std::tuple<int, std::string, uint32_t, std::string, uint32_t>;
  static Tuple Key(const SocketKey& k) {
    return {k.protocol, k.local_ip, k.local_port, k.remote_ip, k.remote_port};
  }
  absl::Mutex mu_;
  absl::flat_hash_map<Tuple, uint64_t> exact_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::pair<int, uint32_t>, uint64_t> wildcard_ ABSL_GUARDED_BY(mu_);
  int finds_ ABSL_GUARDED_BY(mu_) = 0;
};

class FakeProcessLookup final : public ProcessLookup {
 public:
  void Add(uint64_t inode, uint32_t pid, const std::string& name) {
    absl::MutexLock lock(&mu_);
    v1::Process& p = processes_[inode];
    p.set_pid(pid);
    p.set_name(name);
    p.set_exe("/usr/bin/" + name);
    p.set_user("root");
  }
  absl::StatusOr<v1::Process> OwnerOf(uint64_t inode) override {
    absl::MutexLock lock(&mu_);
    auto it = processes_.find(inode);
    if (it == processes_.end()) return absl::NotFoundError("no process");
    return it->second;
  }
  absl::StatusOr<v1::Process> ProcessById(uint32_t pid) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [inode, process] : processes_) {
      if (process.pid() == pid) return process;
    }
    return absl::NotFoundError("no process");
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, v1::Process> processes_ ABSL_GUARDED_BY(mu_);
};

// Owners "recorded by the kernel", by exact key.
class FakeSocketOwners final : public SocketOwnerLookup {
 public:
  void Add(const SocketKey& key, const KernelOwner& owner) {
    absl::MutexLock lock(&mu_);
    owners_[Key(key)] = owner;
  }
  std::optional<KernelOwner> Find(const SocketKey& key) override {
    absl::MutexLock lock(&mu_);
    auto it = owners_.find(Key(key));
    if (it == owners_.end()) return std::nullopt;
    return it->second;
  }

 private:
  using Tuple = std::tuple<int, std::string, uint32_t, std::string, uint32_t>;
  static Tuple Key(const SocketKey& k) {
    return {k.protocol, k.local_ip, k.local_port, k.remote_ip, k.remote_port};
  }
  absl::Mutex mu_;
  absl::flat_hash_map<Tuple, KernelOwner> owners_ ABSL_GUARDED_BY(mu_);
};

class FakeLocalAddresses final : public LocalAddresses {
 public:
  void Add(const std::string& ip) {
    absl::MutexLock lock(&mu_);
    local_.insert(ip);
  }
  bool IsLocal(const std::string& ip) override {
    absl::MutexLock lock(&mu_);
    return local_.contains(ip);
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> local_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_FAKE_LOOKUPS_H_
