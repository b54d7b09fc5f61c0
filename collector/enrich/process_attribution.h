// ProcessAttributor: names the local processes at both ends of a flow.
//
// The original direction's source end is looked up as the local socket
// (original src -> original dst); the destination end through the reply
// tuple (reply src -> reply dst), which is where the local server really is
// under DNAT. Each end gets the process that holds the exact socket, or an
// empty Process ("-" in the views) when there is none: a forwarded flow, a
// remote peer, a socket already closed, a process that exited. A wildcard
// match (listener, unconnected UDP) counts only when the end's address is
// one of this host's addresses, so a forwarded flow to port 80 of another
// host is never given the local web server's name.
//
// With a SocketOwnerLookup (eBPF), each end is first looked up among the
// owners the kernel recorded when the socket connected or sent: that answers
// for connections already closed and processes already gone (the name, uid
// and cgroup as recorded; exe and user from /proc while the process lives).
// Ends it has no record of (sockets older than the recorder, servers'
// accepted sockets) go the sock_diag way.
//
// Thread-safe when its SocketLookup and ProcessLookup are.
#ifndef FLOWTOP_COLLECTOR_ENRICH_PROCESS_ATTRIBUTION_H_
#define FLOWTOP_COLLECTOR_ENRICH_PROCESS_ATTRIBUTION_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "collector/enrich/cgroup.h"
#include "collector/enrich/proc_index.h"
#include "collector/enrich/sock_diag.h"
#include "collector/enrich/socket_owners.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector::enrich {

// Whether an address belongs to this host (in the caller's network
// namespace). Loopback addresses always do.
class LocalAddresses {
 public:
  virtual ~LocalAddresses() = default;
  virtual bool IsLocal(const std::string& ip) = 0;
};

// From getifaddrs, refreshed on a miss at most once per `min_refresh`.
class InterfaceAddresses final : public LocalAddresses {
 public:
  explicit InterfaceAddresses(const core::Clock& clock,
                              absl::Duration min_refresh = absl::Seconds(1));
  bool IsLocal(const std::string& ip) override;

 private:
  void Refresh() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const core::Clock& clock_;
  const absl::Duration min_refresh_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> addresses_ ABSL_GUARDED_BY(mu_);
  absl::Time last_refresh_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

struct AttributionStats {
  uint64_t ends = 0;       // ends looked at
  uint64_t attributed = 0;  // ends given a process
  uint64_t no_socket = 0;
  uint64_t no_process = 0;  // socket found, owner gone or unknown
  uint64_t not_local = 0;   // wildcard match for a non-local address
  // Of `attributed`: by the kernel's record (eBPF), by a listener.
  uint64_t by_ebpf = 0;
  uint64_t by_listener = 0;
};

class ProcessAttributor {
 public:
  // None owned; all must outlive the attributor.
  // `owners` (eBPF) and `cgroups` may be null.
  ProcessAttributor(SocketLookup& sockets, ProcessLookup& processes,
                    LocalAddresses& local, SocketOwnerLookup* owners = nullptr,
                    CgroupPaths* cgroups = nullptr)
      : sockets_(sockets),
        processes_(processes),
        local_(local),
        owners_(owners),
        cgroups_(cgroups) {}

  // Sets `src` and `dst` to the processes at the original source and
  // destination ends of `flow`; each is left empty (pid 0) when that end has
  // no local owner. Never fails.
  void Attribute(const v1::Flow& flow, v1::Process* src, v1::Process* dst);

  AttributionStats stats() const;

 private:
  void AttributeEnd(const SocketKey& key, v1::Process* out);
  // The process the kernel recorded, completed from /proc while it lives.
  void FromKernel(const KernelOwner& owner, v1::Process* out);

  SocketLookup& sockets_;
  ProcessLookup& processes_;
  LocalAddresses& local_;
  SocketOwnerLookup* const owners_;
  CgroupPaths* const cgroups_;
  // What /proc said about recorded owners, by pid (a client making many
  // connections is read once). Believed while the recorded name matches;
  // bounded (cleared when full).
  absl::Mutex cache_mu_;
  absl::flat_hash_map<uint32_t, v1::Process> live_ ABSL_GUARDED_BY(cache_mu_);
  mutable absl::Mutex mu_;
  AttributionStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_PROCESS_ATTRIBUTION_H_
