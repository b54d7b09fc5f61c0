#include "check/conntrack_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace flowtop::check {
namespace {

// Reads a number from a sysctl file; false when it cannot.
bool ReadNumber(const std::string& path, unsigned long long* out) {
  std::ifstream in(path);
  return static_cast<bool>(in >> *out);
}

// A descriptor closed when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// Sends one UDP datagram from one loopback socket to another and receives
// it (so it has passed every hook). Returns "" or what failed.
std::string SendLoopbackDatagram() {
  Fd rx{socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  Fd tx{socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (rx.fd < 0 || tx.fd < 0) return absl::StrCat("socket: ", std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(rx.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(rx.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::StrCat("bind 127.0.0.1: ", std::strerror(errno));
  }
  timeval tv{1, 0};
  setsockopt(rx.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const char byte = 0;
  if (sendto(tx.fd, &byte, 1, 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 1) {
    return absl::StrCat("send over loopback: ", std::strerror(errno),
                        errno == ENETUNREACH ? " (is lo up? ip link set lo up)" : "");
  }
  char got;
  if (recv(rx.fd, &got, 1, 0) != 1) return "the loopback datagram did not arrive";
  return "";
}

}  // namespace

TrackingResult ProbeTracking(const std::string& proc_sys_netfilter) {
  const std::string count_file = proc_sys_netfilter + "/nf_conntrack_count";
  unsigned long long count = 0;
  if (!ReadNumber(count_file, &count)) {
    return {Tracking::kNoModule,
            absl::StrCat("no ", count_file, ": the nf_conntrack module is not loaded")};
  }
  if (count > 0) {
    return {Tracking::kActive, absl::StrCat("tracking (", count, " entries)")};
  }
  if (std::string error = SendLoopbackDatagram(); !error.empty()) {
    return {Tracking::kUnknown, absl::StrCat("the table is empty and the probe failed: ", error)};
  }
  if (ReadNumber(count_file, &count) && count > 0) {
    return {Tracking::kActive, "tracking (a probe datagram over loopback was tracked)"};
  }
  return {Tracking::kInactive,
          "not tracking: no netfilter rule in this network namespace asks for conntrack, "
          "so the kernel records no flow here"};
}

std::string ConntrackRuleset(const std::string& name) {
  return absl::StrCat("table inet ", name,
                      " {\n"
                      "  flags owner\n"
                      "  chain track {\n"
                      "    type filter hook prerouting priority -150; policy accept;\n"
                      "    ct state new counter\n"
                      "  }\n"
                      "}\n");
}

std::string KeepTrackingCommand() {
  return "nft add table inet conntrack_on && "
         "nft add chain inet conntrack_on track "
         "'{ type filter hook prerouting priority -150; policy accept; }' && "
         "nft add rule inet conntrack_on track ct state new counter";
}

std::string TrackingHint(const std::string& program) {
  return absl::StrCat("conntrack tracks nothing in this namespace (no firewall rules): restart with '",
                      program, " --enable-conntrack', or see '", program, " --check'");
}

}  // namespace flowtop::check
