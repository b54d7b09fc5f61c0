// udp_flood: creates new UDP conntrack flows as fast as it can, for the live
// collector benchmark. Every datagram goes to a distinct (address, port) in
// 127.<net>.0.0/16, so every one is a new flow. Prints the datagrams sent.
//   udp_flood SECONDS NET
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: udp_flood SECONDS NET(1-254)\n");
    return 2;
  }
  const double seconds = std::atof(argv[1]);
  const int net = std::atoi(argv[2]);
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    std::perror("udp_flood: socket");
    return 1;
  }
  // sendmmsg in batches: the kernel's work per flow, not syscalls, should
  // be the limit.
  constexpr int kBatch = 64;
  sockaddr_in dst[kBatch] = {};
  iovec iov[kBatch];
  mmsghdr msgs[kBatch] = {};
  char payload[1] = {'x'};
  for (int j = 0; j < kBatch; ++j) {
    dst[j].sin_family = AF_INET;
    iov[j] = {payload, sizeof(payload)};
    msgs[j].msg_hdr.msg_name = &dst[j];
    msgs[j].msg_hdr.msg_namelen = sizeof(dst[j]);
    msgs[j].msg_hdr.msg_iov = &iov[j];
    msgs[j].msg_hdr.msg_iovlen = 1;
  }
  const double end = Now() + seconds;
  unsigned long sent = 0;
  for (unsigned long i = 0; Now() < end;) {
    for (int j = 0; j < kBatch; ++j, ++i) {
      const unsigned host = static_cast<unsigned>(i / 60000) + 1;  // 127.net.x.y
      dst[j].sin_addr.s_addr =
          htonl((127u << 24) | (static_cast<unsigned>(net) << 16) |
                (host & 0xffff));
      dst[j].sin_port = htons(static_cast<uint16_t>(1024 + i % 60000));
    }
    const int n = sendmmsg(fd, msgs, kBatch, 0);
    if (n > 0) sent += n;
  }
  std::printf("%lu\n", sent);
  return 0;
}
