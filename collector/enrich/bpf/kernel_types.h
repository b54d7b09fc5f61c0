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

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef __u64 size_t;

enum bpf_map_type {
  BPF_MAP_TYPE_LRU_HASH = 9,
};

enum {
  BPF_ANY = 0,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct in6_addr {
  __u8 s6_addr[16];
};

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

struct msghdr {
  void* msg_name;
  int msg_namelen;
};

struct sockaddr_in {
  unsigned short sin_family;
  __be16 sin_port;
  __be32 sin_addr;
};

struct sockaddr_in6 {
  unsigned short sin6_family;
  __be16 sin6_port;
  __be32 sin6_flowinfo;
  struct in6_addr sin6_addr;
};

#pragma clang attribute pop

#endif  // FLOWTOP_COLLECTOR_ENRICH_BPF_KERNEL_TYPES_H_
