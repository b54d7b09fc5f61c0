#include "collector/enrich/sock_diag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace flowtop::collector::enrich {
namespace {

int ProtocolNumber(v1::L4Protocol protocol) {
  switch (protocol) {
    case v1::TCP: return IPPROTO_TCP;
    case v1::UDP: return IPPROTO_UDP;
    case v1::UDPLITE: return IPPROTO_UDPLITE;
    default: return -1;
  }
}

bool IsZero(const uint32_t addr[4], int family) {
  const int words = family == AF_INET ? 1 : 4;
  for (int i = 0; i < words; ++i) {
    if (addr[i] != 0) return false;
  }
  return true;
}

// Compares a diag address with a 4- or 16-byte address, accepting the
// IPv4-mapped form an IPv6 dual-stack socket reports for an IPv4 peer.
bool SameAddress(const uint32_t diag[4], int diag_family, const std::string& ip) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(diag);
  if (diag_family == AF_INET && ip.size() == 4) return std::memcmp(bytes, ip.data(), 4) == 0;
  if (diag_family == AF_INET6 && ip.size() == 16) return std::memcmp(bytes, ip.data(), 16) == 0;
  if (diag_family == AF_INET6 && ip.size() == 4) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(bytes, kMapped, 12) == 0 && std::memcmp(bytes + 12, ip.data(), 4) == 0;
  }
  return false;
}

// TCP states as the kernel numbers them (include/net/tcp_states.h).
constexpr uint8_t kTcpListen = 10;

}  // namespace

absl::StatusOr<std::unique_ptr<SockDiag>> SockDiag::Open() {
  const int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot open NETLINK_SOCK_DIAG (", strerror(errno),
        "): process names stay \"-\""));
  }
  timeval tv{2, 0};  // the kernel answers at once; this only guards a bug
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return std::unique_ptr<SockDiag>(new SockDiag(fd));
}

SockDiag::~SockDiag() { close(fd_); }

absl::StatusOr<SocketInfo> SockDiag::Find(const SocketKey& key) {
  if (ProtocolNumber(key.protocol) < 0 || key.local_port == 0 ||
      key.local_ip.size() != key.remote_ip.size() ||
      (key.local_ip.size() != 4 && key.local_ip.size() != 16)) {
    return absl::InvalidArgumentError("socket lookup needs TCP, UDP or UDP-lite with ports");
  }
  absl::MutexLock lock(&mu_);
  // The kernel's TCP exact lookup reads idiag_src as the local end; its UDP
  // lookup reads idiag_src as the packet's source, our remote end ("src and
  // dst are swapped for historical reasons", udp_diag.c). Ask UDP that way
  // first and the other way when it finds nothing, in case a kernel changes
  // it; Query checks every answer against the key, so no order can give a
  // wrong socket.
  const bool udp = key.protocol != v1::TCP;
  absl::StatusOr<SocketInfo> info = Query(key, /*swap=*/udp);
  if (udp && !info.ok() && info.status().code() == absl::StatusCode::kNotFound) {
    info = Query(key, /*swap=*/false);
  }
  // No inode: not accepted yet (SYN_RECV, or still in the accept queue), or
  // already closed (TIME_WAIT, FIN_WAIT2 without owner). The server end of
  // such a connection belongs to the listener on its local address and
  // port: the listener's owner accepted it (or will). Only a listener counts
  // here (never another connected socket), and the attributor accepts a
  // listener only for a local address. With no socket left at all the
  // exact request already answered with that listener (the kernel's lookup
  // falls back to listeners, inet_diag_find_one_icsk), and NOT_FOUND means
  // there is none: no dump then. Under churn every connection ended before
  // its lookup, and these dumps, one per end and family, walk the host's
  // whole listening hash: they were a fifth of flowtop's CPU (docs/scale.md).
  if (!udp && info.ok() && info->inode == 0) {
    const int family = key.local_ip.size() == 4 ? AF_INET : AF_INET6;
    absl::StatusOr<SocketInfo> listener = FindListener(key, family);
    // An IPv6 dual-stack listener ([::]:port) also takes IPv4 connections.
    if (!listener.ok() && family == AF_INET) listener = FindListener(key, AF_INET6);
    if (listener.ok()) return listener;
  }
  return info;
}

absl::StatusOr<SocketInfo> SockDiag::FindListener(const SocketKey& key, int family) {
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg;
  std::memset(&msg, 0, sizeof(msg));
  msg.nlh.nlmsg_len = sizeof(msg);
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = ++seq_;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = 1u << kTcpListen;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_, &msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof(kernel)) < 0) {
    return absl::UnavailableError(absl::StrCat("sock_diag send: ", strerror(errno)));
  }
  std::optional<SocketInfo> exact, wildcard;
  alignas(nlmsghdr) char buf[16384];
  while (true) {
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("sock_diag receive: ", strerror(errno)));
    }
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != msg.nlh.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        if (exact) return *exact;
        if (wildcard) return *wildcard;
        return absl::NotFoundError("no listener on this port");
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
          h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) {
        continue;
      }
      const auto* d = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      if (ntohs(d->id.idiag_sport) != key.local_port || d->idiag_inode == 0) continue;
      SocketInfo info;
      info.inode = d->idiag_inode;
      info.uid = d->idiag_uid;
      info.state = d->idiag_state;
      info.connected = false;
      if (SameAddress(d->id.idiag_src, d->idiag_family, key.local_ip)) {
        if (!exact) exact = info;
      } else if (IsZero(d->id.idiag_src, d->idiag_family)) {
        if (!wildcard) wildcard = info;
      }
    }
  }
}

absl::StatusOr<SocketInfo> SockDiag::Query(const SocketKey& key, bool swap) {
  const int family = key.local_ip.size() == 4 ? AF_INET : AF_INET6;
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg;
  std::memset(&msg, 0, sizeof(msg));
  msg.nlh.nlmsg_len = sizeof(msg);
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST;
  msg.nlh.nlmsg_seq = ++seq_;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = ProtocolNumber(key.protocol);
  msg.req.idiag_states = ~0u;
  const std::string& src_ip = swap ? key.remote_ip : key.local_ip;
  const std::string& dst_ip = swap ? key.local_ip : key.remote_ip;
  msg.req.id.idiag_sport = htons(swap ? key.remote_port : key.local_port);
  msg.req.id.idiag_dport = htons(swap ? key.local_port : key.remote_port);
  std::memcpy(msg.req.id.idiag_src, src_ip.data(), src_ip.size());
  std::memcpy(msg.req.id.idiag_dst, dst_ip.data(), dst_ip.size());
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_, &msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof(kernel)) < 0) {
    return absl::UnavailableError(absl::StrCat("sock_diag send: ", strerror(errno)));
  }
  alignas(nlmsghdr) char buf[8192];
  while (true) {
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("sock_diag receive: ", strerror(errno)));
    }
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != msg.nlh.nlmsg_seq) continue;  // a late answer to an old request
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        if (err->error == -ENOENT || err->error == 0) {
          return absl::NotFoundError("no socket for this tuple");
        }
        return absl::UnavailableError(absl::StrCat("sock_diag: ", strerror(-err->error)));
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
          h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) {
        continue;
      }
      const auto* d = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      // The answer always lists the socket's own end first. It must be ours:
      // same local port, and a peer that is either unset (listener,
      // unconnected UDP) or exactly our remote end.
      if (ntohs(d->id.idiag_sport) != key.local_port) {
        return absl::NotFoundError("the kernel answered with another socket");
      }
      const bool has_peer = d->id.idiag_dport != 0 || !IsZero(d->id.idiag_dst, d->idiag_family);
      const bool peer_matches = ntohs(d->id.idiag_dport) == key.remote_port &&
                                SameAddress(d->id.idiag_dst, d->idiag_family, key.remote_ip);
      if (has_peer && !peer_matches) {
        return absl::NotFoundError("the kernel answered with another connection");
      }
      SocketInfo info;
      info.inode = d->idiag_inode;
      info.uid = d->idiag_uid;
      info.state = d->idiag_state;
      info.connected = peer_matches;
      return info;
    }
  }
}

}  // namespace flowtop::collector::enrich
