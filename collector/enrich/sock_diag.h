// SocketLookup: finds the local socket that owns one end of a flow, by the
// flow's exact tuple, through NETLINK_SOCK_DIAG (inet_diag).
//
// The kernel answers an exact-tuple request with the socket it would deliver
// that flow's packets to: the connected socket when there is one, otherwise a
// listener or an unconnected (wildcard) UDP socket. A TCP connection without
// a socket inode belongs to the listener on its local address and port, and
// Find answers with that listener: one the server has not accepted yet (a
// SYN_RECV request, or an established child still in the accept queue), and
// one already closed (TIME_WAIT, or no socket left at all: a 5 ms HTTP
// request is usually over before anyone asks). The answer says which
// (`connected`), because a wildcard match is only meaningful when the local
// address really is one of this host's (a router forwarding to port 80 of
// another host must not be attributed to the local web server).
//
// SockDiag is the real implementation; its netlink socket belongs to the
// network namespace of the thread that opened it. Thread-safe.
#ifndef FLOWTOP_COLLECTOR_ENRICH_SOCK_DIAG_H_
#define FLOWTOP_COLLECTOR_ENRICH_SOCK_DIAG_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::collector::enrich {

// One end of a flow seen from the local host.
struct SocketKey {
  v1::L4Protocol protocol = v1::L4_PROTOCOL_UNSPECIFIED;  // TCP, UDP, UDPLITE
  std::string local_ip;   // 4 or 16 bytes
  uint32_t local_port = 0;
  std::string remote_ip;  // same family as local_ip
  uint32_t remote_port = 0;
};

struct SocketInfo {
  uint64_t inode = 0;  // 0: no owner any more (TIME_WAIT, orphaned)
  uint32_t uid = 0;
  uint8_t state = 0;       // TCP_* state as in the kernel
  bool connected = false;  // the socket's peer is exactly the key's remote
};

class SocketLookup {
 public:
  virtual ~SocketLookup() = default;
  // Returns the socket the kernel would deliver `key`'s packets to;
  // NOT_FOUND when there is none; INVALID_ARGUMENT for a key without ports or
  // of another protocol; UNAVAILABLE when netlink fails.
  virtual absl::StatusOr<SocketInfo> Find(const SocketKey& key) = 0;
};

class SockDiag final : public SocketLookup {
 public:
  // Opens a NETLINK_SOCK_DIAG socket in the calling thread's network
  // namespace. Returns UNAVAILABLE with the reason when it cannot.
  static absl::StatusOr<std::unique_ptr<SockDiag>> Open();
  ~SockDiag() override;

  absl::StatusOr<SocketInfo> Find(const SocketKey& key) override;

 private:
  explicit SockDiag(int fd) : fd_(fd) {}
  // One exact request; `swap` puts the remote end into idiag_src (the order
  // the kernel's UDP lookup reads).
  absl::StatusOr<SocketInfo> Query(const SocketKey& key, bool swap)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Dumps the TCP listeners of `family` and returns the one on the key's
  // local port (its address first, then a wildcard); NOT_FOUND when none.
  absl::StatusOr<SocketInfo> FindListener(const SocketKey& key, int family)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  const int fd_;
  uint32_t seq_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_SOCK_DIAG_H_
