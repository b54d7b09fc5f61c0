#include "collector/conntrack_stats.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <vector>

#include "collector/netlink_socket.h"

namespace flowtop::collector {
namespace {

struct ParseState {
  ConntrackKernelStats* stats;
  bool bad = false;
};

int OnAttr(const nlattr* attr, void* data) {
  auto* state = static_cast<ParseState*>(data);
  const int type = mnl_attr_get_type(attr);
  if (type > CTA_STATS_MAX) return MNL_CB_OK;  // newer than our headers
  if (type == CTA_STATS_UNSPEC) return MNL_CB_OK;
  if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0) {
    state->bad = true;
    return MNL_CB_ERROR;
  }
  const uint64_t v = ntohl(mnl_attr_get_u32(attr));
  ConntrackKernelStats& s = *state->stats;
  switch (type) {
    case CTA_STATS_FOUND: s.found += v; break;
    case CTA_STATS_INVALID: s.invalid += v; break;
    case CTA_STATS_INSERT: s.insert += v; break;
    case CTA_STATS_INSERT_FAILED: s.insert_failed += v; break;
    case CTA_STATS_DROP: s.drop += v; break;
    case CTA_STATS_EARLY_DROP: s.early_drop += v; break;
    case CTA_STATS_ERROR: s.error += v; break;
    case CTA_STATS_SEARCH_RESTART: s.search_restart += v; break;
    case CTA_STATS_CLASH_RESOLVE: s.clash_resolve += v; break;
    case CTA_STATS_CHAIN_TOOLONG: s.chaintoolong += v; break;
    default: break;
  }
  return MNL_CB_OK;
}

}  // namespace

absl::Status AddStatsCpuMessage(const char* data, size_t len,
                                ConntrackKernelStats* stats) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(data);
  if (len < sizeof(nlmsghdr) || !mnl_nlmsg_ok(nlh, static_cast<int>(len)) ||
      nlh->nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg))) {
    return absl::DataLossError("conntrack statistics: truncated message");
  }
  if ((nlh->nlmsg_type & 0xff) != IPCTNL_MSG_CT_GET_STATS_CPU) {
    return absl::OkStatus();  // not a statistics message
  }
  ConntrackKernelStats one;
  ParseState state{&one};
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), OnAttr, &state) < 0 || state.bad) {
    return absl::DataLossError("conntrack statistics: malformed attribute");
  }
  stats->cpus += 1;
  stats->found += one.found;
  stats->invalid += one.invalid;
  stats->insert += one.insert;
  stats->insert_failed += one.insert_failed;
  stats->drop += one.drop;
  stats->early_drop += one.early_drop;
  stats->error += one.error;
  stats->search_restart += one.search_restart;
  stats->clash_resolve += one.clash_resolve;
  stats->chaintoolong += one.chaintoolong;
  return absl::OkStatus();
}

absl::StatusOr<ConntrackKernelStats> ReadConntrackStats() {
  absl::StatusOr<std::unique_ptr<NetlinkSocket>> sock = NetlinkSocket::Open(0);
  if (!sock.ok()) return sock.status();
  absl::StatusOr<uint32_t> seq =
      (*sock)->RequestDumpOf(IPCTNL_MSG_CT_GET_STATS_CPU);
  if (!seq.ok()) return seq.status();
  std::vector<char> buf(64 << 10);
  ConntrackKernelStats stats;
  absl::Status bad;
  absl::Status s = ReceiveDump(**sock, *seq, buf.data(), buf.size(), nullptr,
                               [&](const char* data, size_t len) {
                                 absl::Status one = AddStatsCpuMessage(data, len, &stats);
                                 if (!one.ok()) bad = one;
                               });
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  return stats;
}

}  // namespace flowtop::collector
