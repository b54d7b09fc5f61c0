// The map shared by owners.bpf.c (the kernel side, which writes it) and
// BpfOwners (user space, which reads it): local socket tuple -> the process
// that connected or sent from it. Plain fixed-size C types on both sides.
#ifndef FLOWTOP_COLLECTOR_ENRICH_BPF_OWNER_MAP_H_
#define FLOWTOP_COLLECTOR_ENRICH_BPF_OWNER_MAP_H_

// Entries in the LRU map: the newest sockets stay. At 10,000 new local
// connections per second that is over 6 s of history, while a flow's
// enrichment looks it up within about 0.2 s of its NEW event.
#define FLOWTOP_OWNER_MAP_ENTRIES 65536
// TCP sockets between connect() and their next state change (SYN_SENT).
#define FLOWTOP_CONNECTING_ENTRIES 16384

// One local socket end. Addresses in network order, 4 bytes used for IPv4;
// ports in host order. `laddr` is all zero when the socket is bound to the
// wildcard address and unconnected (a UDP client's sendto): user space then
// asks again with a zero local address.
struct flowtop_owner_key {
  __u8 laddr[16];
  __u8 raddr[16];
  __u16 lport;
  __u16 rport;
  __u8 protocol;  // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE
  __u8 ip_len;    // 4 or 16
  __u16 pad;      // zero
};

struct flowtop_owner {
  __u64 cgroup_id;     // cgroup v2 id (the cgroup directory's inode)
  __u64 netns_cookie;  // the socket's network namespace (0: kernel too old)
  __u64 ktime_ns;      // bpf_ktime_get_ns() when recorded
  __u32 pid;           // thread id
  __u32 tgid;          // process id (what /proc and users call the pid)
  __u32 uid;
  __u32 pad;
  char comm[16];        // the process's name (its main thread's comm)
};

#endif  // FLOWTOP_COLLECTOR_ENRICH_BPF_OWNER_MAP_H_
