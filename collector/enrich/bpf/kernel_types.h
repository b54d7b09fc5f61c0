// The few kernel types owners.bpf.c reads, declared by hand for CO-RE.
//
// Only the fields used are listed; `preserve_access_index` makes every access
// a BTF relocation that libbpf resolves against the running kernel's own BTF
// (/sys/kernel/btf/vmlinux) when the program is loaded, so the layout here
// does not have to match any kernel. This keeps the build independent of the
// build machine's kernel (a CI container may have no BTF at all) instead of
// generating a 3 MB vmlinux.h from it.
#ifndef FLOWTOP_COLLECTOR_ENRICH_BPF_KERNEL_TYPES_H_
#define FLOWTOP_COLLECTOR_ENRICH_BPF_KERNEL_TYPES_H_

// UAPI types (__u32, struct bpf_sock_addr, map types) from the kernel's
// user-space headers.
#include <linux/types.h>
#include <linux/bpf.h>

// Fixed layouts (user-space ABI): plain types, no relocations.
struct in6_addr {
  __u8 s6_addr[16];
};

// Kernel-internal types: every access relocated against the kernel's BTF.
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct net {
  __u64 net_cookie;
};

typedef struct {
  struct net* net;
} possible_net_t;

struct sock_common {
  __be32 skc_daddr;
  __be32 skc_rcv_saddr;
  __be16 skc_dport;
  __u16 skc_num;
  unsigned short skc_family;
  possible_net_t skc_net;
  struct in6_addr skc_v6_daddr;
  struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
  struct sock_common __sk_common;
  __u16 sk_protocol;
};

struct task_struct {
  struct task_struct* group_leader;
  char comm[16];
};

#pragma clang attribute pop

#endif  // FLOWTOP_COLLECTOR_ENRICH_BPF_KERNEL_TYPES_H_
