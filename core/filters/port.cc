#include "core/filters/port.h"

#include <algorithm>

#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

bool HasPorts(int protocol) {
  switch (protocol) {
    case v1::TCP:
    case v1::UDP:
    case v1::UDPLITE:
    case v1::SCTP:
    case v1::DCCP:
      return true;
    default:  // ICMP ids, GRE keys: not ports
      return false;
  }
}

bool PortIn(const std::vector<uint32_t>& ports, End end, bool has_ports,
            uint32_t src, uint32_t dst) {
  if (!has_ports) return false;
  auto in = [&ports](uint32_t port) {
    return std::find(ports.begin(), ports.end(), port) != ports.end();
  };
  switch (end) {
    case End::kSrc: return in(src);
    case End::kDst: return in(dst);
    case End::kEither: return in(src) || in(dst);
  }
  return false;
}

}  // namespace flowtop::core
