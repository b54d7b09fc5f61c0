// Socket owners recorded by the kernel (eBPF through libbpf): which process
// connected or sent from a local socket tuple, so that a connection that
// lived 5 ms is attributed after its socket and even its process are gone.
//
// The eBPF program (bpf/owners.bpf.c) runs on BTF tracepoints
// (inet_sock_set_state for TCP connects, sock_send_length for connected UDP)
// and cgroup sendmsg hooks on the cgroup v2 root (unconnected UDP): no
// kprobes, no ftrace, no tracefs. It writes tuple -> (pid, thread, uid,
// command, cgroup id, network namespace cookie) into a bounded LRU map. BpfOwners looks tuples up in
// that map: one bpf() system call per lookup, on the caller's thread (the
// enrichment workers), nothing on the conntrack reader's thread.
//
// It sees sockets of every network namespace on this kernel, so a process in
// a container behind this host's NAT is found by the flow's original
// (pre-NAT) tuple.
//
// Needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (or root), a kernel with BTF
// (/sys/kernel/btf/vmlinux, 5.8+) and the cgroup v2 hierarchy mounted. Open
// says what is missing when it cannot load; callers then fall back to
// sock_diag. Thread-safe.
#ifndef FLOWTOP_COLLECTOR_ENRICH_BPF_OWNERS_H_
#define FLOWTOP_COLLECTOR_ENRICH_BPF_OWNERS_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/enrich/sock_diag.h"
#include "collector/enrich/socket_owners.h"

struct owners_bpf;  // the generated skeleton

namespace flowtop::collector::enrich {

class BpfOwners final : public SocketOwnerLookup {
 public:
  // Loads and attaches the program. FAILED_PRECONDITION with what is
  // missing (privileges, BTF, kernel support) when it cannot.
  static absl::StatusOr<std::unique_ptr<BpfOwners>> Open();
  ~BpfOwners() override;

  std::optional<KernelOwner> Find(const SocketKey& key) override;

  // What the programs cost in the kernel so far (in the processes that
  // connect and send): runs and time, summed over the programs. Counted only
  // while run-time statistics are on (EnableRunStats); zero otherwise.
  struct RunStats {
    uint64_t runs = 0;
    uint64_t run_time_ns = 0;
  };
  RunStats run_stats() const;
  // Turns the kernel's BPF run-time statistics on until the returned file
  // descriptor is closed (for benchmarks; a small cost on every program).
  static absl::StatusOr<int> EnableRunStats();

 private:
  explicit BpfOwners(owners_bpf* skel, int map_fd) : skel_(skel), map_fd_(map_fd) {}
  owners_bpf* const skel_;
  const int map_fd_;
};

// Whether eBPF attribution can be used here: loads and attaches the program
// and detaches it again. OK, or the reason it cannot (for `--check`).
absl::Status CheckBpfAttribution();

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_BPF_OWNERS_H_
