// Kernel side of flowtop's process attribution: records, at the moment a
// local socket is used, which process used it, so that a connection that
// lived 5 ms is still attributed after its socket is gone.
//
//   * TCP: fentry on tcp_connect, which runs in the connecting process after
//     the source port and address are chosen (unlike the inet_sock_set_state
//     change to SYN_SENT, which comes before the port is assigned). IPv4 and
//     IPv6 both pass through it.
//   * UDP and UDP-lite: fentry on udp_sendmsg and udpv6_sendmsg, in the
//     sending process, after the socket was bound (inet_send_prepare binds
//     it before the protocol's sendmsg). The destination comes from the
//     message's address (sendto) or the connected peer.
//
// BTF-based attach points only (no kprobes). Every record goes to one LRU
// hash map that user space reads (BpfOwners); nothing else.
#include "collector/enrich/bpf/kernel_types.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "collector/enrich/bpf/owner_map.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_UDPLITE 136

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, FLOWTOP_OWNER_MAP_ENTRIES);
  __type(key, struct flowtop_owner_key);
  __type(value, struct flowtop_owner);
} owners SEC(".maps");

static __always_inline __u16 swap16(__u16 v) { return (__u16)((v >> 8) | (v << 8)); }

static __always_inline int is_v4_mapped(const __u8* a) {
  for (int i = 0; i < 10; ++i) {
    if (a[i] != 0) return 0;
  }
  return a[10] == 0xff && a[11] == 0xff;
}

// Stores the current process as the owner of `key`, unless the same
// process is recorded already (a UDP socket sending many datagrams writes
// its entry once).
static __always_inline void record(struct sock* sk, struct flowtop_owner_key* key) {
  if (key->lport == 0 || key->rport == 0) return;
  const __u64 pid_tgid = bpf_get_current_pid_tgid();
  const __u32 tgid = (__u32)(pid_tgid >> 32);
  struct flowtop_owner* old = bpf_map_lookup_elem(&owners, key);
  if (old != 0 && old->tgid == tgid) return;
  struct flowtop_owner value = {};
  value.pid = (__u32)pid_tgid;
  value.tgid = tgid;
  value.uid = (__u32)bpf_get_current_uid_gid();
  value.cgroup_id = bpf_get_current_cgroup_id();
  value.ktime_ns = bpf_ktime_get_ns();
  if (bpf_core_field_exists(struct net, net_cookie)) {
    struct net* net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
    if (net != 0) value.netns_cookie = BPF_CORE_READ(net, net_cookie);
  }
  bpf_get_current_comm(value.comm, sizeof(value.comm));
  bpf_map_update_elem(&owners, key, &value, BPF_ANY);
}

// Fills the local end and, when `connected`, the peer from the socket. An
// IPv6 socket talking to an IPv4-mapped peer is recorded as IPv4 (that is
// what conntrack sees).
static __always_inline void fill_from_sock(struct sock* sk, struct flowtop_owner_key* key,
                                           int connected) {
  const unsigned short family = BPF_CORE_READ(sk, __sk_common.skc_family);
  key->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
  if (connected) key->rport = swap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
  if (family == AF_INET6) {
    struct in6_addr daddr = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
    if (!connected || !is_v4_mapped(daddr.s6_addr)) {
      struct in6_addr saddr = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
      key->ip_len = 16;
      __builtin_memcpy(key->laddr, saddr.s6_addr, 16);
      if (connected) __builtin_memcpy(key->raddr, daddr.s6_addr, 16);
      return;
    }
  }
  key->ip_len = 4;
  const __be32 saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
  __builtin_memcpy(key->laddr, &saddr, 4);
  if (connected) {
    const __be32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(key->raddr, &daddr, 4);
  }
}

SEC("fentry/tcp_connect")
int BPF_PROG(flowtop_tcp_connect, struct sock* sk) {
  struct flowtop_owner_key key = {};
  key.protocol = IPPROTO_TCP;
  fill_from_sock(sk, &key, 1);
  record(sk, &key);
  return 0;
}

// A UDP datagram: the destination is the message's address when there is
// one (sendto), else the connected peer.
static __always_inline void on_udp_send(struct sock* sk, struct msghdr* msg, int v6) {
  struct flowtop_owner_key key = {};
  key.protocol = BPF_CORE_READ(sk, sk_protocol) == IPPROTO_UDPLITE ? IPPROTO_UDPLITE
                                                                   : IPPROTO_UDP;
  void* name = BPF_CORE_READ(msg, msg_name);
  if (name == 0) {
    fill_from_sock(sk, &key, 1);
    record(sk, &key);
    return;
  }
  unsigned short family = 0;
  bpf_probe_read_kernel(&family, sizeof(family), name);
  if (family == AF_INET) {
    struct sockaddr_in sin = {};
    bpf_probe_read_kernel(&sin, sizeof(sin), name);
    fill_from_sock(sk, &key, 0);
    if (key.ip_len == 16) {
      // A dual-stack socket: its IPv4 local address is the mapped one's tail.
      __builtin_memcpy(key.laddr, key.laddr + 12, 4);
      __builtin_memset(key.laddr + 4, 0, 12);
      key.ip_len = 4;
    }
    __builtin_memcpy(key.raddr, &sin.sin_addr, 4);
    key.rport = swap16(sin.sin_port);
  } else if (family == AF_INET6 && v6) {
    struct sockaddr_in6 sin6 = {};
    bpf_probe_read_kernel(&sin6, sizeof(sin6), name);
    // udpv6_sendmsg hands IPv4-mapped destinations to udp_sendmsg, which
    // records them as IPv4.
    if (is_v4_mapped(sin6.sin6_addr.s6_addr)) return;
    fill_from_sock(sk, &key, 0);
    key.ip_len = 16;
    __builtin_memcpy(key.raddr, sin6.sin6_addr.s6_addr, 16);
    key.rport = swap16(sin6.sin6_port);
  } else {
    return;
  }
  record(sk, &key);
}

SEC("fentry/udp_sendmsg")
int BPF_PROG(flowtop_udp_sendmsg, struct sock* sk, struct msghdr* msg, size_t len) {
  on_udp_send(sk, msg, 0);
  return 0;
}

SEC("fentry/udpv6_sendmsg")
int BPF_PROG(flowtop_udpv6_sendmsg, struct sock* sk, struct msghdr* msg, size_t len) {
  on_udp_send(sk, msg, 1);
  return 0;
}
