#include "exporters/flow_counts.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace flowtop::exporters {
namespace {

constexpr const char* kProtocolNames[] = {"tcp",  "udp", "icmp",    "icmpv6", "sctp",
                                          "dccp", "gre", "udplite", "other"};

int ProtocolIndex(uint32_t number) {
  switch (number) {
    case 6: return 0;
    case 17: return 1;
    case 1: return 2;
    case 58: return 3;
    case 132: return 4;
    case 33: return 5;
    case 47: return 6;
    case 136: return 7;
    default: return 8;
  }
}

int StateOf(const v1::Flow& f) {
  int s = 0;
  switch (f.state_case()) {
    case v1::Flow::kTcpState: s = f.tcp_state(); break;
    case v1::Flow::kSctpState: s = f.sctp_state(); break;
    case v1::Flow::kDccpState: s = f.dccp_state(); break;
    default: s = 0;
  }
  return s >= 0 && s < 16 ? s : 0;
}

std::string StateName(int protocol, int state) {
  if (state == 0) return "none";
  std::string name;
  if (protocol == 0) name = v1::TcpState_Name(static_cast<v1::TcpState>(state));
  if (protocol == 4) name = v1::SctpState_Name(static_cast<v1::SctpState>(state));
  if (protocol == 5) name = v1::DccpState_Name(static_cast<v1::DccpState>(state));
  absl::string_view v = name;
  for (const char* prefix : {"TCP_", "SCTP_", "DCCP_"}) absl::ConsumePrefix(&v, prefix);
  return v.empty() ? "none" : std::string(v);
}

}  // namespace

void FlowCounts::Publish(absl::Span<v1::FlowEvent> events) {
  absl::MutexLock lock(&mu_);
  for (const v1::FlowEvent& e : events) {
    if (!e.has_flow()) continue;
    const v1::Flow& f = e.flow();
    switch (e.type()) {
      case v1::NEW:
      case v1::SNAPSHOT:
      case v1::UPDATE: {
        const uint32_t number = f.protocol_number() != 0
                                    ? f.protocol_number()
                                    : static_cast<uint32_t>(f.protocol());
        const int p = ProtocolIndex(number);
        auto [it, inserted] = flows_.try_emplace(f.conntrack_id(), 0);
        int state = StateOf(f);
        if (!inserted) {
          if (f.state_case() == v1::Flow::STATE_NOT_SET) state = it->second % kStates;
          --counts_[it->second];
        }
        it->second = static_cast<uint8_t>(p * kStates + state);
        ++counts_[it->second];
        break;
      }
      case v1::DESTROY: {
        auto it = flows_.find(f.conntrack_id());
        if (it == flows_.end()) break;
        --counts_[it->second];
        flows_.erase(it);
        break;
      }
      default:
        break;
    }
  }
}

std::vector<FlowCount> FlowCounts::Counts() const {
  std::vector<FlowCount> out;
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < kProtocols * kStates; ++i) {
    if (counts_[i] == 0) continue;
    out.push_back({kProtocolNames[i / kStates], StateName(i / kStates, i % kStates),
                   counts_[i]});
  }
  return out;
}

uint64_t FlowCounts::total() const {
  absl::MutexLock lock(&mu_);
  return flows_.size();
}

}  // namespace flowtop::exporters
