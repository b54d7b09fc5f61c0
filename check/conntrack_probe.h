// Whether the kernel tracks connections in this network namespace.
//
// Since Linux 4.x conntrack hooks into a namespace only when something
// there asks for it (a NAT rule, an iptables state match, an nftables `ct`
// expression). On a laptop or a fresh VM with no firewall rules the module
// is loaded, its sysctls exist, and yet nothing is tracked: flowtop would
// show an empty table forever. The probe tells the cases apart without
// privileges: a table with entries is tracking; an empty one is given one
// UDP datagram over loopback, and tracking shows as an entry in
// nf_conntrack_count.
#ifndef FLOWTOP_CHECK_CONNTRACK_PROBE_H_
#define FLOWTOP_CHECK_CONNTRACK_PROBE_H_

#include <string>

namespace flowtop::check {

enum class Tracking {
  kActive,    // entries exist, or the probe's datagram was tracked
  kInactive,  // the module is loaded but tracks nothing here
  kNoModule,  // no nf_conntrack sysctls: the module is not loaded
  kUnknown,   // the probe could not run (no loopback, no socket)
};

struct TrackingResult {
  Tracking state = Tracking::kUnknown;
  std::string detail;  // one line: what was seen
};

// Probes this thread's network namespace. `proc_sys_netfilter` is
// /proc/sys/net/netfilter (tests point it elsewhere).
TrackingResult ProbeTracking(const std::string& proc_sys_netfilter = "/proc/sys/net/netfilter");

// The nftables ruleset --enable-conntrack installs (table `name`): one
// chain whose rule uses conntrack, which makes the kernel track every flow
// of the namespace, and changes nothing else (it accepts everything).
std::string ConntrackRuleset(const std::string& name);

// The exact shell command that keeps tracking on without flowtop.
std::string KeepTrackingCommand();

// One line for the TUI's empty table and the check's hint.
std::string TrackingHint(const std::string& program);

}  // namespace flowtop::check

#endif  // FLOWTOP_CHECK_CONNTRACK_PROBE_H_
