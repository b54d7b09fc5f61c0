#include "exporters/transport.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/endpoint.h"

namespace flowtop::exporters {
namespace {

constexpr absl::Duration kReconnectEvery = absl::Seconds(5);

class FdGuard {
 public:
  explicit FdGuard(int fd = -1) : fd_(fd) {}
  ~FdGuard() { Reset(); }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

absl::StatusOr<sockaddr_storage> Resolve(const CollectorAddress& a,
                                         socklen_t* len) {
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = a.tcp ? SOCK_STREAM : SOCK_DGRAM;
  addrinfo* res = nullptr;
  const std::string port = absl::StrCat(a.port);
  const int rc = getaddrinfo(a.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "collector '", a.host, "' does not resolve: ", gai_strerror(rc)));
  }
  sockaddr_storage out = {};
  std::memcpy(&out, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return out;
}

Peer PeerOf(const sockaddr_storage& a, bool tcp) {
  Peer p;
  p.tcp = tcp;
  if (a.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    p.ip.assign(reinterpret_cast<const char*>(&in->sin_addr), 4);
    p.port = ntohs(in->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* in = reinterpret_cast<const sockaddr_in6*>(&a);
    p.ip.assign(reinterpret_cast<const char*>(&in->sin6_addr), 16);
    p.port = ntohs(in->sin6_port);
  }
  return p;
}

std::string Name(const CollectorAddress& a) {
  const bool v6 = a.host.find(':') != std::string::npos;
  return absl::StrCat(a.tcp ? "tcp://" : "udp://", v6 ? "[" : "", a.host,
                      v6 ? "]" : "", ":", a.port);
}

class UdpTransport final : public Transport {
 public:
  UdpTransport(int fd, std::string name, Peer peer)
      : fd_(fd), name_(std::move(name)), peer_(std::move(peer)) {}
  Peer peer() const override { return peer_; }
  bool Ready(absl::Time) override { return true; }
  absl::Status Send(absl::string_view message) override {
    while (true) {
      const ssize_t n = send(fd_.get(), message.data(), message.size(), 0);
      if (n == static_cast<ssize_t>(message.size())) return absl::OkStatus();
      if (n < 0 && errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrCat(name_, ": ", n < 0 ? std::strerror(errno) : "short send"));
    }
  }
  bool stream() const override { return false; }
  uint64_t connection() const override { return 0; }
  std::string name() const override { return name_; }

 private:
  FdGuard fd_;
  const std::string name_;
  const Peer peer_;
};

class TcpTransport final : public Transport {
 public:
  TcpTransport(sockaddr_storage addr, socklen_t len, std::string name)
      : addr_(addr), len_(len), name_(std::move(name)) {}

  bool Ready(absl::Time now) override {
    if (fd_.get() >= 0) return true;
    if (tried_ && now - last_try_ < kReconnectEvery) return false;
    return Connect(now).ok();
  }
  absl::Status Send(absl::string_view message) override {
    if (fd_.get() < 0) {
      return absl::UnavailableError(absl::StrCat(name_, ": not connected"));
    }
    size_t off = 0;
    while (off < message.size()) {
      const ssize_t n = send(fd_.get(), message.data() + off,
                             message.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const std::string why = n < 0 ? std::strerror(errno) : "closed";
        fd_.Reset();  // a partial message breaks the stream: start over
        return absl::UnavailableError(absl::StrCat(name_, ": ", why));
      }
      off += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }
  bool stream() const override { return true; }
  uint64_t connection() const override { return connection_; }
  std::string name() const override { return name_; }
  Peer peer() const override { return PeerOf(addr_, true); }

 private:
  absl::Status Connect(absl::Time now) {
    tried_ = true;
    last_try_ = now;
    FdGuard fd(socket(addr_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return absl::InternalError(std::strerror(errno));
    // A collector that stops reading must not stall the exporter forever.
    timeval tv = {.tv_sec = 2, .tv_usec = 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr_), len_) != 0) {
      return absl::UnavailableError(
          absl::StrCat(name_, ": connect: ", std::strerror(errno)));
    }
    fd_.Reset(fd.Release());
    ++connection_;
    return absl::OkStatus();
  }

  const sockaddr_storage addr_;
  const socklen_t len_;
  const std::string name_;
  FdGuard fd_;
  bool tried_ = false;
  absl::Time last_try_;
  uint64_t connection_ = 0;
};

}  // namespace

absl::StatusOr<CollectorAddress> ParseCollectorAddress(absl::string_view text) {
  CollectorAddress a;
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "tcp://")) {
    a.tcp = true;
  } else {
    absl::ConsumePrefix(&rest, "udp://");
  }
  absl::StatusOr<cli::Endpoint> e = cli::ParseEndpoint(rest);
  if (!e.ok()) {
    // The message names `rest`; name the whole input when a scheme was cut.
    return absl::InvalidArgumentError(absl::StrCat(
        rest.size() == text.size() ? "" : absl::StrCat("'", text, "': "),
        e.status().message(), " (e.g. 127.0.0.1:4739, tcp://[::1]:4739)"));
  }
  a.host = e->host;
  a.port = e->port;
  return a;
}

absl::StatusOr<std::unique_ptr<Transport>> OpenTransport(
    const CollectorAddress& address) {
  socklen_t len = 0;
  absl::StatusOr<sockaddr_storage> addr = Resolve(address, &len);
  if (!addr.ok()) return addr.status();
  if (address.tcp) {
    return std::unique_ptr<Transport>(
        std::make_unique<TcpTransport>(*addr, len, Name(address)));
  }
  FdGuard fd(socket(addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return absl::InternalError(std::strerror(errno));
  const int sndbuf = 4 << 20;
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), len) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        Name(address), ": ", std::strerror(errno)));
  }
  return std::unique_ptr<Transport>(
      std::make_unique<UdpTransport>(fd.Release(), Name(address),
                                     PeerOf(*addr, false)));
}

}  // namespace flowtop::exporters
