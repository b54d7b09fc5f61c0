// Formatting of flow fields for the screen and batch output: sizes and
// rates with SI prefixes in bytes or bits, ages, addresses, protocol and
// state names.
//
// Pure functions of their arguments (no locale, no clock), so tests pin the
// exact text and the view stays deterministic.
#ifndef FLOWTOP_TUI_FORMAT_H_
#define FLOWTOP_TUI_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::tui {

// Returns a byte count with an SI prefix (powers of 1000): "512B", "1.5kB",
// "12MB", "3.4GB". With bits=true the value is multiplied by 8 and shown as
// "4.1kbit", "12Mbit". At most 3 significant digits before the unit.
std::string FormatSize(uint64_t bytes, bool bits);

// Returns a rate in bytes per second as FormatSize does, followed by "/s";
// non-positive and non-finite rates are "0B/s" ("0bit/s").
std::string FormatRate(double bytes_per_second, bool bits);

// Returns a compact age: "42s", "5m03s", "3h07m", "2d04h". Negative ages
// (clock skew between nodes) are shown as "0s".
std::string FormatAge(absl::Duration age);

// Returns the text form of a 4- or 16-byte address ("192.0.2.1",
// "2001:db8::1"); other lengths give "?" (empty gives "").
std::string FormatIp(absl::string_view bytes);

// Returns the protocol's short name: "tcp", "udp", "udplite", "icmp",
// "icmp6", "sctp", "dccp", "gre", or the IANA number as text.
std::string ProtocolName(const v1::Flow& flow);

// As ProtocolName and StateName, from the numbers kept in FlowHot.
std::string ProtocolNameOf(uint32_t protocol);
std::string StateNameOf(int state_case, int state);

// Returns the state name without its enum prefix ("ESTABLISHED",
// "TIME_WAIT", "COOKIE_WAIT", "OPEN") or "" for stateless protocols.
std::string StateName(const v1::Flow& flow);

// Returns the port text for the destination of the original direction:
// "443", or for ICMP "type/code" (e.g. "8/0").
std::string DestinationPort(const v1::Flow& flow);
std::string SourcePort(const v1::Flow& flow);

// Returns true when the reply tuple is not the mirror of the original one,
// i.e. the kernel translated an address or port (NAT), or the status says so.
bool IsNat(const v1::Flow& flow);

// Returns "4" or "6" for the flow's address family ("?" when unset).
std::string FamilyName(const v1::Flow& flow);

// What a process runs in, short: "docker:3f2a9c1e5b7d" (runtime and the
// first 12 characters of the container id), else its systemd unit
// ("nginx.service"), else "".
std::string OwnerUnit(const v1::Process& process);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_FORMAT_H_
