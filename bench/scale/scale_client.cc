// scale_client: the scale benchmark's gRPC client for flowtopd (plaintext,
// loopback, run inside the benchmark's namespace).
//   scale_client status ADDR
//     One line of GetStatus: flows, conntrack_count, loading, resyncs, lost,
//     the rate period.
//   scale_client wait ADDR FLOWS TIMEOUT_S
//     Polls GetStatus every 10 ms until the daemon has loaded and shows at
//     least FLOWS flows (the benchmark's; our own gRPC connections are flows
//     too), then for up to 2 s until its flows equal the kernel's count;
//     prints "flows=F conntrack_count=C"; exit 1 on timeout.
//   scale_client listflows ADDR REPEAT NET
//     REPEAT times ListFlows{limit 10, sort bytes, descending}; meanwhile a
//     thread sends one UDP datagram to a new port in 127.NET.0.0/16 every
//     millisecond and a GetFlows follow stream notes when each NEW event
//     arrives. Prints the median and longest ListFlows time and the longest
//     gap between NEW events while a ListFlows was running (the event path's
//     longest stall as a client sees it; 1 ms when nothing stalls).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "flowtop/v1/flowtop.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace {

using Clock = std::chrono::steady_clock;
using flowtop::v1::FlowTop;

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::unique_ptr<FlowTop::Stub> Connect(const std::string& addr) {
  return FlowTop::NewStub(
      grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
}

// Polls GetStatus until `done` holds for it or `deadline`; false on timeout.
template <typename Done>
bool PollStatus(FlowTop::Stub& stub, Clock::time_point deadline, Done done,
                flowtop::v1::NodeStatus& last) {
  while (Clock::now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    flowtop::v1::GetStatusResponse response;
    if (stub.GetStatus(&context, {}, &response).ok()) {
      last = response.status();
      if (done(last)) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int Wait(const std::string& addr, uint64_t flows, double timeout_s) {
  auto stub = Connect(addr);
  flowtop::v1::NodeStatus last;
  const bool loaded = PollStatus(
      *stub,
      Clock::now() + std::chrono::milliseconds(static_cast<long>(timeout_s * 1000)),
      [&](const flowtop::v1::NodeStatus& st) {
        return !st.loading() && st.flows() >= flows;
      },
      last);
  if (loaded) {
    PollStatus(*stub, Clock::now() + std::chrono::seconds(2),
               [](const flowtop::v1::NodeStatus& st) {
                 return st.flows() == st.conntrack_count();
               },
               last);
  }
  std::printf("flows=%llu conntrack_count=%llu%s\n",
              static_cast<unsigned long long>(last.flows()),
              static_cast<unsigned long long>(last.conntrack_count()),
              loaded ? "" : " (timeout)");
  return loaded ? 0 : 1;
}

int Status(const std::string& addr) {
  auto stub = Connect(addr);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  flowtop::v1::GetStatusResponse response;
  grpc::Status s = stub->GetStatus(&context, {}, &response);
  if (!s.ok()) {
    std::printf("GetStatus failed: %s\n", s.error_message().c_str());
    return 1;
  }
  const flowtop::v1::NodeStatus& st = response.status();
  std::printf("flows=%llu conntrack_count=%llu loading=%d resyncs=%llu "
              "lost_kernel=%llu rate_period_ms=%llu%s\n",
              static_cast<unsigned long long>(st.flows()),
              static_cast<unsigned long long>(st.conntrack_count()),
              st.loading() ? 1 : 0,
              static_cast<unsigned long long>(st.resyncs()),
              static_cast<unsigned long long>(st.lost().kernel()),
              static_cast<unsigned long long>(st.rate_period_millis()),
              st.rate_stretched() ? " (stretched by the CPU budget)" : "");
  return 0;
}

// NEW-event arrival times of a follow stream.
class Arrivals {
 public:
  void Add(Clock::time_point t) {
    std::lock_guard<std::mutex> lock(mu_);
    times_.push_back(t);
  }
  // The longest gap between arrivals that overlaps [begin, end].
  double LongestGapMs(Clock::time_point begin, Clock::time_point end) {
    std::lock_guard<std::mutex> lock(mu_);
    double longest = 0;
    for (size_t i = 1; i < times_.size(); ++i) {
      if (times_[i] < begin || times_[i - 1] > end) continue;
      longest = std::max(longest, Ms(times_[i] - times_[i - 1]));
    }
    return longest;
  }

 private:
  std::mutex mu_;
  std::vector<Clock::time_point> times_;
};

void Probe(int net, std::atomic<bool>& stop) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl((127u << 24) | (net << 16) | 1);
  for (int i = 0; !stop.load(); ++i) {
    a.sin_port = htons(static_cast<uint16_t>(1024 + i % 60000));
    sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  close(fd);
}

int ListFlows(const std::string& addr, int repeat, int net) {
  auto stub = Connect(addr);
  Arrivals arrivals;
  grpc::ClientContext follow_context;
  flowtop::v1::GetFlowsRequest follow;
  follow.set_follow(true);
  follow.set_binary_addresses_only(true);
  follow.set_since_unix_nanos(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  auto reader = stub->GetFlows(&follow_context, follow);
  std::thread follower([&] {
    flowtop::v1::GetFlowsResponse response;
    while (reader->Read(&response)) {
      const auto now = Clock::now();
      for (const auto& e : response.events()) {
        if (e.type() == flowtop::v1::NEW) arrivals.Add(now);
      }
    }
  });
  std::atomic<bool> stop{false};
  std::thread prober([&] { Probe(net, stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::vector<double> times;
  std::vector<double> starts;  // seconds after the first call began
  Clock::time_point first_begin;
  double stall = 0;
  for (int i = 0; i < repeat; ++i) {
    grpc::ClientContext context;
    flowtop::v1::ListFlowsRequest request;
    request.set_sort(flowtop::v1::SORT_BYTES);
    request.set_descending(true);
    request.set_limit(10);
    request.set_binary_addresses_only(true);
    flowtop::v1::ListFlowsResponse response;
    const auto begin = Clock::now();
    if (i == 0) first_begin = begin;
    grpc::Status s = stub->ListFlows(&context, request, &response);
    const auto end = Clock::now();
    if (!s.ok() || response.flows_size() != 10) {
      std::printf("ListFlows failed: %s (%d flows)\n",
                  s.error_message().c_str(), response.flows_size());
      stop = true;
      prober.join();
      follow_context.TryCancel();
      follower.join();
      return 1;
    }
    times.push_back(Ms(end - begin));
    starts.push_back(Ms(begin - first_begin) / 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stall = std::max(stall, arrivals.LongestGapMs(begin, end));
  }
  stop = true;
  prober.join();
  follow_context.TryCancel();
  follower.join();
  // Each call as START_S:MS in call order: the first call on a connection,
  // or one that met a rate dump, shows where it falls.
  std::string each;
  for (size_t i = 0; i < times.size(); ++i) {
    char one[48];
    std::snprintf(one, sizeof(one), "%s%.1f:%.1f", each.empty() ? "" : ",", starts[i], times[i]);
    each += one;
  }
  std::sort(times.begin(), times.end());
  std::printf("median_ms=%.1f max_ms=%.1f stall_ms=%.1f calls=%s\n",
              times[times.size() / 2], times.back(), stall, each.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "status" && argc == 3) return Status(argv[2]);
  if (command == "wait" && argc == 5) {
    return Wait(argv[2], std::strtoull(argv[3], nullptr, 10),
                std::atof(argv[4]));
  }
  if (command == "listflows" && argc == 5) {
    const int repeat = std::atoi(argv[3]);
    const int net = std::atoi(argv[4]);
    if (repeat < 1 || repeat > 1000 || net < 1 || net > 254) {
      std::fprintf(stderr, "scale_client: REPEAT 1..1000, NET 1..254\n");
      return 2;
    }
    return ListFlows(argv[2], repeat, net);
  }
  std::fprintf(stderr,
               "usage: scale_client status ADDR\n"
               "       scale_client wait ADDR FLOWS TIMEOUT_S\n"
               "       scale_client listflows ADDR REPEAT NET\n");
  return 2;
}
