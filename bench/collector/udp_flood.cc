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
  sockaddr_in dst = {};
  dst.sin_family = AF_INET;
  const double end = Now() + seconds;
  unsigned long sent = 0;
  const char payload[1] = {'x'};
  for (unsigned long i = 0;; ++i) {
    if ((i & 1023) == 0 && Now() >= end) break;
    const unsigned host = static_cast<unsigned>(i / 60000) + 1;  // 127.net.x.y
    dst.sin_addr.s_addr = htonl(
        (127u << 24) | (static_cast<unsigned>(net) << 16) | (host & 0xffff));
    dst.sin_port = htons(static_cast<uint16_t>(1024 + i % 60000));
    if (sendto(fd, payload, sizeof(payload), 0,
               reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) == 1) {
      ++sent;
    }
  }
  std::printf("%lu\n", sent);
  return 0;
}
