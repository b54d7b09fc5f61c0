// tcp_churn: new TCP connections at a steady rate, for the scale benchmark's
// churn figures. Listens on 127.0.0.1 (a free port), and connects to itself
// RATE times per second until SECONDS have passed or it is killed; each
// connection is accepted, then reset by the client (SO_LINGER 0), so the
// kernel's table holds the recent ones (state CLOSE, 10 s) and stays near
// RATE * 10 flows. Run it inside a network namespace.
//   tcp_churn RATE SECONDS
// Prints "ELAPSED MADE FAILED" (seconds since it began, connections made and
// failed so far) once a second and when it ends, so that a benchmark reads
// the rate it really achieved over its own window: on a busy machine one
// thread of connect() falls behind RATE.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

void SleepUntil(double t) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(t);
  ts.tv_nsec = static_cast<long>((t - ts.tv_sec) * 1e9);
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

// A listening socket on 127.0.0.1:0; fills *addr with its address.
int Listen(sockaddr_in* addr) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  *addr = {};
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(*addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(addr), sizeof(*addr)) != 0 ||
      listen(fd, 4096) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(addr), &len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Connects once and resets the connection; false if the connect failed.
bool ConnectAndReset(const sockaddr_in& addr) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const bool ok =
      connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  const linger reset = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: tcp_churn RATE SECONDS\n");
    return 2;
  }
  const int rate = std::atoi(argv[1]);
  const double seconds = std::atof(argv[2]);
  if (rate < 1 || rate > 100000 || !(seconds > 0)) {
    std::fprintf(stderr, "tcp_churn: RATE must be 1..100000, SECONDS > 0\n");
    return 2;
  }
  sockaddr_in addr;
  const int listener = Listen(&addr);
  if (listener < 0) {
    std::perror("tcp_churn: listen");
    return 1;
  }
  std::thread acceptor([listener] {
    for (;;) {
      const int c = accept(listener, nullptr, nullptr);
      if (c < 0) return;
      close(c);
    }
  });
  acceptor.detach();
  // One millisecond's share of connections per tick, on an absolute schedule.
  const double start = Now();
  const double tick = 0.001;
  long made = 0, failed = 0;
  double next_report = start + 1;
  for (long n = 0;; ++n) {
    const double t = start + n * tick;
    if (t - start >= seconds) break;
    SleepUntil(t);
    if (const double now = Now(); now >= next_report) {
      std::printf("%.3f %ld %ld\n", now - start, made, failed);
      std::fflush(stdout);
      next_report += 1;
    }
    const long due = static_cast<long>((n + 1) * tick * rate) -
                     static_cast<long>(n * tick * rate);
    for (long i = 0; i < due; ++i) (ConnectAndReset(addr) ? made : failed)++;
  }
  std::printf("%.3f %ld %ld\n", Now() - start, made, failed);
  return 0;
}
