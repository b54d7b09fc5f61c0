// Kernel side of flowtop's process attribution: records, at the moment a
// local socket is used, which process used it, so that a connection that
// lived 5 ms is still attributed after its socket is gone.
//
// Only attach points that need no kprobes and no ftrace trampolines (which
// some kernels, like this project's CI kernel, do not have): BTF raw
// tracepoints and cgroup socket-address hooks.
//
//   * TCP (tp_btf/inet_sock_set_state): the change to SYN_SENT happens in
//     connect(), in the connecting process, but before the source port is
//     chosen; the process is remembered by socket (`connecting`) and moved to
//     the tuple map at the socket's next state change (ESTABLISHED, or
//     CLOSE on failure), when its ports are known, whatever context that
//     change runs in.
//   * UDP and UDP-lite, unconnected sends (cgroup/sendmsg4, sendmsg6,
//     attached to the cgroup v2 root): sendto() in the sending process, after
//     the socket was bound; the destination is the message's.
//   * UDP and UDP-lite, connected sends (tp_btf/sock_send_length, kernel
//     6.6+; optional): send() on a connected socket, whose peer is the
//     socket's.
//
// Every record goes to one LRU hash map that user space reads (BpfOwners).
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
#define TCP_SYN_SENT 2

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, FLOWTOP_OWNER_MAP_ENTRIES);
  __type(key, struct flowtop_owner_key);
  __type(value, struct flowtop_owner);
} owners SEC(".maps");

// TCP sockets in SYN_SENT, by socket address, waiting for their ports.
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, FLOWTOP_CONNECTING_ENTRIES);
  __type(key, __u64);
  __type(value, struct flowtop_owner);
} connecting SEC(".maps");

static __always_inline __u16 swap16(__u16 v) { return (__u16)((v >> 8) | (v << 8)); }

static __always_inline int is_v4_mapped(const __u8* a) {
  for (int i = 0; i < 10; ++i) {
    if (a[i] != 0) return 0;
  }
  return a[10] == 0xff && a[11] == 0xff;
}

// The current process, as user space will show it.
static __always_inline void current_owner(struct flowtop_owner* value) {
  const __u64 pid_tgid = bpf_get_current_pid_tgid();
  value->pid = (__u32)pid_tgid;
  value->tgid = (__u32)(pid_tgid >> 32);
  value->uid = (__u32)bpf_get_current_uid_gid();
  value->cgroup_id = bpf_get_current_cgroup_id();
  value->ktime_ns = bpf_ktime_get_ns();
  // The process's name (its main thread's), not the sending thread's own
  // ("Chrome_IOThread"): what /proc/PID/comm says.
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  struct task_struct* leader = BPF_CORE_READ(task, group_leader);
  if (leader == 0 || BPF_CORE_READ_STR_INTO(&value->comm, leader, comm) < 0) {
    bpf_get_current_comm(value->comm, sizeof(value->comm));
  }
}

static __always_inline __u64 netns_cookie(struct sock* sk) {
  if (!bpf_core_field_exists(struct net, net_cookie)) return 0;
  struct net* net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
  return net == 0 ? 0 : BPF_CORE_READ(net, net_cookie);
}

// Fills the tuple from a connected socket. An IPv6 socket talking to an
// IPv4-mapped peer is recorded as IPv4 (that is what conntrack sees).
static __always_inline void tuple_of(struct sock* sk, struct flowtop_owner_key* key) {
  const unsigned short family = BPF_CORE_READ(sk, __sk_common.skc_family);
  key->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
  key->rport = swap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
  if (family == AF_INET6) {
    struct in6_addr daddr = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
    if (!is_v4_mapped(daddr.s6_addr)) {
      struct in6_addr saddr = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
      key->ip_len = 16;
      __builtin_memcpy(key->laddr, saddr.s6_addr, 16);
      __builtin_memcpy(key->raddr, daddr.s6_addr, 16);
      return;
    }
  }
  key->ip_len = 4;
  const __be32 saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
  const __be32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
  __builtin_memcpy(key->laddr, &saddr, 4);
  __builtin_memcpy(key->raddr, &daddr, 4);
}

// Stores `value` for `key` unless the same process is recorded already (a
// socket sending many datagrams writes its entry once).
static __always_inline void store(struct flowtop_owner_key* key, struct flowtop_owner* value) {
  if (key->lport == 0 || key->rport == 0) return;
  struct flowtop_owner* old = bpf_map_lookup_elem(&owners, key);
  if (old != 0 && old->tgid == value->tgid) return;
  bpf_map_update_elem(&owners, key, value, BPF_ANY);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(flowtop_tcp_state, struct sock* sk, int oldstate, int newstate) {
  if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP) return 0;
  const __u64 id = (__u64)sk;
  if (newstate == TCP_SYN_SENT) {
    struct flowtop_owner value = {};
    current_owner(&value);
    value.netns_cookie = netns_cookie(sk);
    bpf_map_update_elem(&connecting, &id, &value, BPF_ANY);
    return 0;
  }
  if (oldstate != TCP_SYN_SENT) return 0;
  struct flowtop_owner* value = bpf_map_lookup_elem(&connecting, &id);
  if (value == 0) return 0;
  struct flowtop_owner_key key = {};
  key.protocol = IPPROTO_TCP;
  tuple_of(sk, &key);
  store(&key, value);
  bpf_map_delete_elem(&connecting, &id);
  return 0;
}

// A datagram sent with sendto() on an unconnected socket: the local port is
// the socket's (bound by now), the local address the socket's bound one
// (often the wildcard: user space then matches any local address).
static __always_inline int on_sendmsg(struct bpf_sock_addr* ctx, int v6) {
  struct bpf_sock* sk = ctx->sk;
  if (sk == 0) return 1;
  const __u32 protocol = sk->protocol;
  if (protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE) return 1;
  struct flowtop_owner_key key = {};
  key.protocol = (__u8)protocol;
  key.lport = (__u16)sk->src_port;
  key.rport = swap16((__u16)ctx->user_port);
  if (v6) {
    __u32 daddr[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
    __u32 saddr[4] = {sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3]};
    // IPv4-mapped destinations go on to udp_sendmsg and its sendmsg4 hook.
    if (is_v4_mapped((const __u8*)daddr)) return 1;
    key.ip_len = 16;
    __builtin_memcpy(key.laddr, saddr, 16);
    __builtin_memcpy(key.raddr, daddr, 16);
  } else {
    const __u32 daddr = ctx->user_ip4;
    __u32 saddr = ctx->msg_src_ip4;  // IP_PKTINFO, else the bound address
    if (saddr == 0 && sk->family == AF_INET) saddr = sk->src_ip4;
    key.ip_len = 4;
    __builtin_memcpy(key.laddr, &saddr, 4);
    __builtin_memcpy(key.raddr, &daddr, 4);
  }
  if (key.lport == 0 || key.rport == 0) return 1;
  // A socket sending many datagrams to one peer: recorded once.
  struct flowtop_owner* old = bpf_map_lookup_elem(&owners, &key);
  if (old != 0 && old->tgid == (__u32)(bpf_get_current_pid_tgid() >> 32)) return 1;
  struct flowtop_owner value = {};
  current_owner(&value);
  value.netns_cookie = bpf_get_netns_cookie(ctx);
  bpf_map_update_elem(&owners, &key, &value, BPF_ANY);
  return 1;  // never refuses the datagram
}

SEC("cgroup/sendmsg4")
int flowtop_udp_sendmsg4(struct bpf_sock_addr* ctx) { return on_sendmsg(ctx, 0); }

SEC("cgroup/sendmsg6")
int flowtop_udp_sendmsg6(struct bpf_sock_addr* ctx) { return on_sendmsg(ctx, 1); }

// send() on a connected UDP socket (sendto() comes through the hooks above
// too, where the peer is unset here and nothing is recorded).
SEC("tp_btf/sock_send_length")
int BPF_PROG(flowtop_sock_send, struct sock* sk, int ret, int flags) {
  if (ret < 0) return 0;
  const __u16 protocol = BPF_CORE_READ(sk, sk_protocol);
  if (protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE) return 0;
  if (BPF_CORE_READ(sk, __sk_common.skc_dport) == 0) return 0;
  struct flowtop_owner_key key = {};
  key.protocol = (__u8)protocol;
  tuple_of(sk, &key);
  struct flowtop_owner* old = bpf_map_lookup_elem(&owners, &key);
  if (old != 0 && old->tgid == (__u32)(bpf_get_current_pid_tgid() >> 32)) return 0;
  struct flowtop_owner value = {};
  current_owner(&value);
  value.netns_cookie = netns_cookie(sk);
  store(&key, &value);
  return 0;
}
