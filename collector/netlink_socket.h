// NetlinkSocket: the one place that makes netfilter netlink syscalls.
//
// A ctnetlink socket (NETLINK_NETFILTER via libmnl) opened in the network
// namespace of the calling thread; once open it can be used from any thread
// and keeps reading that namespace's conntrack table. It subscribes to event
// groups, requests dumps, and receives datagrams with a wake-up descriptor so
// that a blocked reader can be stopped without timeouts or sleep loops.
// Loss is never hidden: NETLINK_NO_ENOBUFS is left off, ENOBUFS is reported
// as its own status, and a datagram larger than the buffer is an error.
#ifndef FLOWTOP_COLLECTOR_NETLINK_SOCKET_H_
#define FLOWTOP_COLLECTOR_NETLINK_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct mnl_socket;

namespace flowtop::collector {

// The message every binary prints when ctnetlink refuses us.
inline constexpr char kPermissionDeniedMessage[] =
    "flowtop: cannot open conntrack netlink socket: permission denied; run as "
    "root, grant CAP_NET_ADMIN (setcap cap_net_admin+ep), or use --connect / "
    "--replay";

// Bits for NetlinkSocket::Open's `groups` (1 << (NFNLGRP_* - 1)).
inline constexpr uint32_t kGroupNew = 1u << 0;
inline constexpr uint32_t kGroupUpdate = 1u << 1;
inline constexpr uint32_t kGroupDestroy = 1u << 2;

// A wake-up descriptor (eventfd) that makes Receive return kCancelled.
class Waker {
 public:
  static absl::StatusOr<std::unique_ptr<Waker>> Create();
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;
  // Makes every current and later Receive with this waker return CANCELLED.
  // Thread-safe and async-signal-safe.
  void Wake();
  int fd() const { return fd_; }

 private:
  explicit Waker(int fd) : fd_(fd) {}
  int fd_;
};

class NetlinkSocket {
 public:
  // Opens a ctnetlink socket in the calling thread's network namespace and
  // subscribes to `groups` (0: none, for dumps). Returns PERMISSION_DENIED
  // with kPermissionDeniedMessage without CAP_NET_ADMIN, INTERNAL otherwise.
  static absl::StatusOr<std::unique_ptr<NetlinkSocket>> Open(uint32_t groups);
  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  // Sets the receive buffer with SO_RCVBUFFORCE (SO_RCVBUF, capped by
  // rmem_max, if that is refused) and returns the size the kernel reports
  // back (twice the request, by the kernel's accounting). INTERNAL on error.
  absl::StatusOr<int> SetReceiveBuffer(int bytes);

  // Makes the kernel drop, before queueing, event messages of any address
  // family other than `family` (a classic BPF socket filter on nfgenmsg's
  // family byte). INTERNAL on failure.
  absl::Status AttachFamilyFilter(uint8_t family);

  // Sends a conntrack dump request (IPCTNL_MSG_CT_GET, NLM_F_DUMP) for
  // `family` (AF_UNSPEC: all) and, when l4proto != 0, asks the kernel to
  // return only that protocol (CTA_FILTER). Returns the sequence number
  // used, or INTERNAL.
  absl::StatusOr<uint32_t> RequestDump(uint8_t family, uint8_t l4proto);

  // Sends a dump request of another ctnetlink message type (e.g.
  // IPCTNL_MSG_CT_GET_STATS_CPU) for every family. Returns the sequence
  // number used, PERMISSION_DENIED or INTERNAL.
  absl::StatusOr<uint32_t> RequestDumpOf(uint16_t ctnetlink_type);

  // Receives one datagram into buf (may hold several netlink messages).
  // Blocks until data arrives or `waker` (may be null) is woken. Returns the
  // number of bytes, or RESOURCE_EXHAUSTED for ENOBUFS (events were lost;
  // the socket stays usable), CANCELLED when woken, DATA_LOSS for a
  // datagram larger than buf, INTERNAL for other errors.
  absl::StatusOr<size_t> Receive(char* buf, size_t len, const Waker* waker);
  // Like Receive, but returns UNAVAILABLE at once when nothing is queued.
  absl::StatusOr<size_t> TryReceive(char* buf, size_t len);

  // Port id the kernel assigned (to match dump replies).
  uint32_t port_id() const { return port_id_; }
  int fd() const;

 private:
  explicit NetlinkSocket(mnl_socket* nl);
  // One recvmsg with `flags`; UNAVAILABLE for EAGAIN, NOT_FOUND for a
  // datagram that did not come from the kernel (to be skipped).
  absl::StatusOr<size_t> RecvOnce(char* buf, size_t len, int flags);
  mnl_socket* nl_;
  uint32_t port_id_ = 0;
  uint32_t seq_ = 0;
};

// Receives the replies to a dump requested with `seq` on `sock` and calls
// on_message(const char* data, size_t len) for every conntrack message.
// Returns OK at NLMSG_DONE, PERMISSION_DENIED (kPermissionDeniedMessage) or
// INVALID_ARGUMENT if the kernel answered with an error (for EINVAL: the
// request, e.g. a filter, was refused), CANCELLED when woken, or the
// Receive error. Buffer: at least 64 KiB.
template <typename Fn>
absl::Status ReceiveDump(NetlinkSocket& sock, uint32_t seq, char* buf,
                         size_t len, const Waker* waker, Fn&& on_message);

// Returns the kernel error carried by a dump reply stream, for ReceiveDump.
absl::Status DumpErrorStatus(int error);

}  // namespace flowtop::collector

// ---------------------------------------------------------------------------
// Implementation of the template.
#include <linux/netlink.h>

namespace flowtop::collector {

template <typename Fn>
absl::Status ReceiveDump(NetlinkSocket& sock, uint32_t seq, char* buf,
                         size_t len, const Waker* waker, Fn&& on_message) {
  for (;;) {
    absl::StatusOr<size_t> n = sock.Receive(buf, len, waker);
    if (!n.ok()) return n.status();
    size_t left = *n;
    const char* p = buf;
    while (left >= sizeof(nlmsghdr)) {
      const auto* nlh = reinterpret_cast<const nlmsghdr*>(p);
      if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > left) {
        return absl::DataLossError("conntrack dump: malformed netlink reply");
      }
      const size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
      if (nlh->nlmsg_seq == seq && nlh->nlmsg_pid == sock.port_id()) {
        if (nlh->nlmsg_type == NLMSG_DONE) return absl::OkStatus();
        if (nlh->nlmsg_type == NLMSG_ERROR) {
          const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(nlh));
          if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
            return absl::DataLossError("conntrack dump: short error reply");
          }
          if (err->error != 0) return DumpErrorStatus(-err->error);
        } else {
          on_message(p, static_cast<size_t>(nlh->nlmsg_len));
        }
      }
      if (step >= left) break;
      p += step;
      left -= step;
    }
  }
}

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_NETLINK_SOCKET_H_
