// export_probe: prints what a flowtopd's ListFlows and GetStatus say, in
// lines the export tests compare with what the collectors stored.
//   export_probe ADDR:PORT flows   one line per flow (ordered by conntrack id):
//     flow ID PROTO OSRC ODST OSPORT ODPORT RSRC RDST RSPORT RDPORT
//          OPKTS OBYTES RPKTS RBYTES NAT
//   export_probe ADDR:PORT status  flows=N records=R not_sent=M
#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "flowtop/v1/flowtop.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace {

std::string Ip(const std::string& b) {
  char out[INET6_ADDRSTRLEN] = "?";
  if (b.size() == 4) inet_ntop(AF_INET, b.data(), out, sizeof(out));
  if (b.size() == 16) inet_ntop(AF_INET6, b.data(), out, sizeof(out));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: export_probe ADDR:PORT flows|status\n", stderr);
    return 2;
  }
  auto stub = flowtop::v1::FlowTop::NewStub(
      grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  const std::string command = argv[2];
  if (command == "flows") {
    flowtop::v1::ListFlowsResponse r;
    grpc::Status s = stub->ListFlows(&context, {}, &r);
    if (!s.ok()) {
      std::fprintf(stderr, "ListFlows: %s\n", s.error_message().c_str());
      return 1;
    }
    std::vector<flowtop::v1::Flow> flows(r.flows().begin(), r.flows().end());
    std::sort(flows.begin(), flows.end(), [](const auto& a, const auto& b) {
      return a.conntrack_id() < b.conntrack_id();
    });
    for (const auto& f : flows) {
      const auto& o = f.original();
      const auto& p = f.reply();
      std::printf("flow %u %u %s %s %u %u %s %s %u %u %llu %llu %llu %llu %d\n",
                  f.conntrack_id(), f.protocol_number(), Ip(o.src_ip()).c_str(),
                  Ip(o.dst_ip()).c_str(), o.src_port(), o.dst_port(),
                  Ip(p.src_ip()).c_str(), Ip(p.dst_ip()).c_str(), p.src_port(),
                  p.dst_port(),
                  static_cast<unsigned long long>(f.original_counters().packets()),
                  static_cast<unsigned long long>(f.original_counters().bytes()),
                  static_cast<unsigned long long>(f.reply_counters().packets()),
                  static_cast<unsigned long long>(f.reply_counters().bytes()),
                  f.status().src_nat() || f.status().dst_nat() ? 1 : 0);
    }
    return 0;
  }
  if (command == "status") {
    flowtop::v1::GetStatusResponse r;
    grpc::Status s = stub->GetStatus(&context, {}, &r);
    if (!s.ok()) {
      std::fprintf(stderr, "GetStatus: %s\n", s.error_message().c_str());
      return 1;
    }
    uint64_t records = 0, not_sent = 0;
    for (const auto& e : r.status().exports()) {
      records += e.records();
      not_sent += e.not_sent_records();
    }
    std::printf("flows=%llu records=%llu not_sent=%llu\n",
                static_cast<unsigned long long>(r.status().flows()),
                static_cast<unsigned long long>(records),
                static_cast<unsigned long long>(not_sent));
    return 0;
  }
  std::fprintf(stderr, "export_probe: unknown command '%s'\n", command.c_str());
  return 2;
}
