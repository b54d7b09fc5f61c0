#include "tui/format.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "proto/flow_text.h"

namespace flowtop::tui {
namespace {

std::string Scaled(double value, absl::string_view unit) {
  static constexpr const char* kPrefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  int p = 0;
  while (value >= 999.5 && p < 6) {
    value /= 1000.0;
    ++p;
  }
  if (p == 0) return absl::StrCat(static_cast<uint64_t>(std::llround(value)), unit);
  if (value < 9.95) return absl::StrFormat("%.1f%s%s", value, kPrefixes[p], unit);
  return absl::StrFormat("%.0f%s%s", value, kPrefixes[p], unit);
}

}  // namespace

std::string FormatSize(uint64_t bytes, bool bits) {
  if (bits) return Scaled(static_cast<double>(bytes) * 8.0, "bit");
  return Scaled(static_cast<double>(bytes), "B");
}

std::string FormatRate(double bytes_per_second, bool bits) {
  if (!(bytes_per_second > 0) || !std::isfinite(bytes_per_second)) {
    return bits ? "0bit/s" : "0B/s";
  }
  return absl::StrCat(
      Scaled(bits ? bytes_per_second * 8.0 : bytes_per_second, bits ? "bit" : "B"),
      "/s");
}

std::string FormatAge(absl::Duration age) {
  int64_t s = absl::ToInt64Seconds(age);
  if (s < 0) s = 0;
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  return absl::StrFormat("%dd%02dh", s / 86400, (s % 86400) / 3600);
}

std::string FormatIp(absl::string_view bytes) {
  if (bytes.empty()) return "";
  const std::string text = AddressText(bytes);  // proto/flow_text.h: the one formatter
  return text.empty() ? "?" : text;
}

std::string ProtocolNameOf(uint32_t protocol) {
  switch (protocol) {
    case v1::TCP: return "tcp";
    case v1::UDP: return "udp";
    case v1::UDPLITE: return "udplite";
    case v1::ICMP: return "icmp";
    case v1::ICMPV6: return "icmp6";
    case v1::SCTP: return "sctp";
    case v1::DCCP: return "dccp";
    case v1::GRE: return "gre";
    default: return absl::StrCat(protocol);
  }
}

std::string ProtocolName(const v1::Flow& flow) {
  return ProtocolNameOf(flow.protocol_number() != 0 ? flow.protocol_number()
                                                    : static_cast<uint32_t>(flow.protocol()));
}

std::string StateNameOf(int state_case, int state) {
  std::string name;
  size_t prefix = 0;
  switch (state_case) {
    case v1::Flow::kTcpState:
      name = v1::TcpState_Name(static_cast<v1::TcpState>(state));
      prefix = 4;  // "TCP_"
      break;
    case v1::Flow::kSctpState:
      name = v1::SctpState_Name(static_cast<v1::SctpState>(state));
      prefix = 5;  // "SCTP_"
      break;
    case v1::Flow::kDccpState:
      name = v1::DccpState_Name(static_cast<v1::DccpState>(state));
      prefix = 5;  // "DCCP_"
      break;
    default:
      return "";
  }
  if (name.empty()) return "?";
  if (name.find("STATE_UNSPECIFIED") != std::string::npos) return "";
  return name.substr(prefix);
}

std::string StateName(const v1::Flow& flow) {
  switch (flow.state_case()) {
    case v1::Flow::kTcpState: return StateNameOf(flow.state_case(), flow.tcp_state());
    case v1::Flow::kSctpState: return StateNameOf(flow.state_case(), flow.sctp_state());
    case v1::Flow::kDccpState: return StateNameOf(flow.state_case(), flow.dccp_state());
    default: return "";
  }
}

namespace {
bool IsIcmp(const v1::Flow& flow) {
  return flow.protocol() == v1::ICMP || flow.protocol() == v1::ICMPV6;
}
}  // namespace

std::string DestinationPort(const v1::Flow& flow) {
  if (IsIcmp(flow)) {
    return absl::StrCat(flow.original().icmp_type(), "/",
                        flow.original().icmp_code());
  }
  return absl::StrCat(flow.original().dst_port());
}

std::string SourcePort(const v1::Flow& flow) {
  if (IsIcmp(flow)) return absl::StrCat("id ", flow.original().icmp_id());
  return absl::StrCat(flow.original().src_port());
}

bool IsNat(const v1::Flow& flow) {
  if (flow.status().src_nat() || flow.status().dst_nat()) return true;
  if (!flow.has_reply()) return false;
  const v1::Tuple& o = flow.original();
  const v1::Tuple& r = flow.reply();
  if (r.src_ip().empty() && r.dst_ip().empty()) return false;
  if (o.src_ip() != r.dst_ip() || o.dst_ip() != r.src_ip()) return true;
  if (IsIcmp(flow)) return false;
  return o.src_port() != r.dst_port() || o.dst_port() != r.src_port();
}

std::string FamilyName(const v1::Flow& flow) {
  switch (flow.family()) {
    case v1::IPV4: return "4";
    case v1::IPV6: return "6";
    default: return "?";
  }
}

std::string OwnerUnit(const v1::Process& process) {
  if (!process.container_id().empty()) {
    return absl::StrCat(process.container_runtime().empty() ? "container"
                                                            : process.container_runtime(),
                        ":", process.container_id().substr(0, 12));
  }
  return process.unit();
}

}  // namespace flowtop::tui
