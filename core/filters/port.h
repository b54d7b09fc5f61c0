// Filter field kind: ports (FlowFilter src_port, dst_port, any_port; the
// `/` language's sport, dport, port), and the ICMP-port question, decided
// here once.
#ifndef FLOWTOP_CORE_FILTERS_PORT_H_
#define FLOWTOP_CORE_FILTERS_PORT_H_

#include <cstdint>
#include <vector>

namespace flowtop::core {

// Returns whether `port` is a valid port number (0..65535).
inline bool IsPort(uint64_t port) { return port <= 65535; }

// Returns whether flows of `protocol` have ports: TCP, UDP, UDP-lite, SCTP,
// DCCP. ICMP ids and GRE keys are not ports, so a port filter (sport, dport,
// port, FlowFilter's src_port/dst_port/port) never matches an ICMP, ICMPv6,
// GRE or other portless flow, not even "port 0".
bool HasPorts(int protocol);

// Which end a port or address condition reads.
enum class End { kSrc, kDst, kEither };

// Returns whether a flow with ports `src` and `dst` (`has_ports`: its
// protocol has ports) has, at `end`, one of `ports`.
bool PortIn(const std::vector<uint32_t>& ports, End end, bool has_ports,
            uint32_t src, uint32_t dst);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FILTERS_PORT_H_
