#include "collector/netlink_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace flowtop::collector {
namespace {

// From the kernel's nf_conntrack_netlink.c (not exported in uapi headers):
// the CTA_FILTER flag that makes a dump match the protocol number only.
// Host byte order (the kernel reads it with nla_get_u32); the kernel only
// accepts filters together with a concrete family (AF_INET or AF_INET6).
constexpr uint32_t kFilterProtoNum = 1u << 3;

absl::Status Errno(const char* what) {
  return absl::InternalError(
      absl::StrCat("conntrack netlink: ", what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Waker>> Waker::Create() {
  const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Errno("eventfd");
  return std::unique_ptr<Waker>(new Waker(fd));
}

Waker::~Waker() { close(fd_); }

void Waker::Wake() {
  const uint64_t one = 1;
  // A full counter still reads as woken; nothing to do on failure.
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof(one));
}

absl::Status DumpErrorStatus(int error) {
  if (error == EPERM || error == EACCES) {
    return absl::PermissionDeniedError(kPermissionDeniedMessage);
  }
  if (error == EINVAL || error == EOPNOTSUPP) {
    return absl::InvalidArgumentError(
        "conntrack dump: the kernel refused the request (EINVAL)");
  }
  return absl::InternalError(
      absl::StrCat("conntrack dump: kernel error: ", std::strerror(error)));
}

NetlinkSocket::NetlinkSocket(mnl_socket* nl) : nl_(nl) {
  port_id_ = mnl_socket_get_portid(nl_);
  seq_ = static_cast<uint32_t>(time(nullptr));
}

NetlinkSocket::~NetlinkSocket() { mnl_socket_close(nl_); }

int NetlinkSocket::fd() const { return mnl_socket_get_fd(nl_); }

absl::StatusOr<std::unique_ptr<NetlinkSocket>> NetlinkSocket::Open(
    uint32_t groups) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (nl == nullptr) {
    if (errno == EPERM || errno == EACCES) {
      return absl::PermissionDeniedError(kPermissionDeniedMessage);
    }
    return Errno("socket");
  }
  if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(nl);
    if (err == EPERM || err == EACCES) {
      return absl::PermissionDeniedError(kPermissionDeniedMessage);
    }
    errno = err;
    return Errno("bind");
  }
  // Large dumps and event storms: ask for the extended ACK off, and keep
  // NETLINK_NO_ENOBUFS off on purpose so that overflows are reported.
  return std::unique_ptr<NetlinkSocket>(new NetlinkSocket(nl));
}

absl::StatusOr<int> NetlinkSocket::SetReceiveBuffer(int bytes) {
  const int fd = mnl_socket_get_fd(nl_);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0) {
    return Errno("setsockopt(SO_RCVBUF)");
  }
  int actual = 0;
  socklen_t len = sizeof(actual);
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &len) < 0) {
    return Errno("getsockopt(SO_RCVBUF)");
  }
  return actual;
}

absl::Status NetlinkSocket::AttachFamilyFilter(uint8_t family) {
  // Each event is its own datagram: nlmsghdr (16 bytes), then nfgenmsg
  // whose first byte is the family. Messages too short to hold it pass.
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, sizeof(nlmsghdr) + 1, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, sizeof(nlmsghdr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, family, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  sock_fprog prog = {
      static_cast<unsigned short>(sizeof(code) / sizeof(code[0])), code};
  if (setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_ATTACH_FILTER, &prog,
                 sizeof(prog)) < 0) {
    return Errno("setsockopt(SO_ATTACH_FILTER)");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> NetlinkSocket::RequestDump(uint8_t family,
                                                    uint8_t l4proto) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++seq_;
  auto* nfg =
      static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  if (l4proto != 0) {
    nlattr* filter = mnl_attr_nest_start(nlh, CTA_FILTER);
    mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, kFilterProtoNum);
    mnl_attr_nest_end(nlh, filter);
    nlattr* tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
    nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
    mnl_attr_put_u8(nlh, CTA_PROTO_NUM, l4proto);
    mnl_attr_nest_end(nlh, proto);
    mnl_attr_nest_end(nlh, tuple);
  }
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
    if (errno == EPERM || errno == EACCES) {
      return absl::PermissionDeniedError(kPermissionDeniedMessage);
    }
    return Errno("send dump request");
  }
  return nlh->nlmsg_seq;
}

absl::StatusOr<uint32_t> NetlinkSocket::RequestDumpOf(uint16_t ctnetlink_type) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = static_cast<uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | ctnetlink_type);
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++seq_;
  auto* nfg =
      static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = AF_UNSPEC;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
    if (errno == EPERM || errno == EACCES) {
      return absl::PermissionDeniedError(kPermissionDeniedMessage);
    }
    return Errno("send dump request");
  }
  return nlh->nlmsg_seq;
}

absl::StatusOr<size_t> NetlinkSocket::Receive(char* buf, size_t len,
                                              const Waker* waker) {
  const int fd = mnl_socket_get_fd(nl_);
  for (;;) {
    if (waker != nullptr) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {waker->fd(), POLLIN, 0}};
      const int rc = poll(fds, 2, -1);
      if (rc < 0) {
        if (errno == EINTR) continue;
        return Errno("poll");
      }
      if (fds[1].revents != 0) {
        return absl::CancelledError("conntrack netlink: stopped");
      }
      if (fds[0].revents == 0) continue;
    }
    absl::StatusOr<size_t> n = RecvOnce(buf, len, 0);
    if (absl::IsNotFound(n.status()) || absl::IsUnavailable(n.status())) {
      continue;
    }
    return n;
  }
}

absl::StatusOr<size_t> NetlinkSocket::TryReceive(char* buf, size_t len) {
  for (;;) {
    absl::StatusOr<size_t> n = RecvOnce(buf, len, MSG_DONTWAIT);
    if (absl::IsNotFound(n.status())) continue;
    return n;
  }
}

absl::StatusOr<size_t> NetlinkSocket::RecvOnce(char* buf, size_t len,
                                               int flags) {
  const int fd = mnl_socket_get_fd(nl_);
  iovec iov = {buf, len};
  sockaddr_nl addr;
  msghdr msg = {};
  msg.msg_name = &addr;
  msg.msg_namelen = sizeof(addr);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, flags);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return absl::UnavailableError("conntrack netlink: nothing queued");
    }
    if (errno == ENOBUFS) {
      return absl::ResourceExhaustedError(
          "conntrack netlink: receive buffer overflowed (ENOBUFS)");
    }
    if (errno == EPERM || errno == EACCES) {
      return absl::PermissionDeniedError(kPermissionDeniedMessage);
    }
    return Errno("recvmsg");
  }
  if (msg.msg_flags & MSG_TRUNC) {
    return absl::DataLossError(
        "conntrack netlink: a datagram did not fit the receive buffer");
  }
  if (addr.nl_pid != 0) {
    return absl::NotFoundError("not from the kernel");  // skipped by callers
  }
  return static_cast<size_t>(n);
}

}  // namespace flowtop::collector
