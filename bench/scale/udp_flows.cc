// udp_flows: makes N idle UDP conntrack flows, fast, for the scale benchmark.
// Every datagram goes to a distinct (address, port) in 127.NET.0.0/16, from
// several sockets on several threads (sendmmsg, 256 datagrams per call), so
// the kernel's work per new conntrack entry, not syscalls, is the limit.
// Run it inside a network namespace whose UDP timeout is raised, or the
// flows start to expire before the benchmark has looked at them.
//   udp_flows N NET(1-254) [THREADS]
// Prints the datagrams sent and the seconds taken.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr uint32_t kPortsPerAddress = 60000;  // ports 1024..61023
constexpr int kBatch = 256;

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Flow i's destination: 127.NET.(i / 60000 + 1 as two bytes):(1024 + i % 60000).
sockaddr_in Destination(uint32_t net, uint64_t i) {
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  const uint32_t host = static_cast<uint32_t>(i / kPortsPerAddress) + 1;
  a.sin_addr.s_addr = htonl((127u << 24) | (net << 16) | (host & 0xffff));
  a.sin_port = htons(static_cast<uint16_t>(1024 + i % kPortsPerAddress));
  return a;
}

// Sends one datagram to every flow in [begin, end); returns how many went.
uint64_t SendRange(uint32_t net, uint64_t begin, uint64_t end) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    std::perror("udp_flows: socket");
    return 0;
  }
  std::vector<sockaddr_in> dst(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  iovec iov;
  char payload[1] = {'x'};
  iov = {payload, sizeof(payload)};
  uint64_t sent = 0;
  for (uint64_t i = begin; i < end;) {
    const int n = static_cast<int>(std::min<uint64_t>(kBatch, end - i));
    for (int j = 0; j < n; ++j) {
      dst[j] = Destination(net, i + j);
      msgs[j] = {};
      msgs[j].msg_hdr.msg_name = &dst[j];
      msgs[j].msg_hdr.msg_namelen = sizeof(dst[j]);
      msgs[j].msg_hdr.msg_iov = &iov;
      msgs[j].msg_hdr.msg_iovlen = 1;
    }
    const int r = sendmmsg(fd, msgs.data(), n, 0);
    if (r <= 0) {
      std::perror("udp_flows: sendmmsg");
      break;
    }
    sent += r;
    i += r;
  }
  close(fd);
  return sent;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: udp_flows N NET(1-254) [THREADS]\n");
    return 2;
  }
  const long long flows = std::atoll(argv[1]);
  const int net = std::atoi(argv[2]);
  const int threads = argc == 4 ? std::atoi(argv[3]) : 2;
  if (flows <= 0 || flows > 60000LL * 65000 || net < 1 || net > 254 ||
      threads < 1 || threads > 64) {
    std::fprintf(stderr,
                 "udp_flows: N must be 1..3900000000, NET 1..254, THREADS "
                 "1..64\n");
    return 2;
  }
  const double start = Now();
  std::vector<uint64_t> sent(threads);
  std::vector<std::thread> workers;
  const uint64_t share = (flows + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    const uint64_t begin = t * share;
    const uint64_t end = std::min<uint64_t>(flows, begin + share);
    workers.emplace_back([&sent, t, net, begin, end] {
      if (begin < end) sent[t] = SendRange(net, begin, end);
    });
  }
  uint64_t total = 0;
  for (int t = 0; t < threads; ++t) {
    workers[t].join();
    total += sent[t];
  }
  std::printf("%llu %.2f\n", static_cast<unsigned long long>(total),
              Now() - start);
  return total == static_cast<uint64_t>(flows) ? 0 : 1;
}
