#include "collector/conntrack_stats.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <vector>

#include "gtest/gtest.h"

namespace flowtop::collector {
namespace {

// One IPCTNL_MSG_CT_STATS_CPU message as the kernel sends it: values are
// big-endian u32 attributes after the nfgenmsg (res_id: the CPU).
std::vector<char> CpuMessage(uint16_t cpu, std::vector<std::pair<int, uint32_t>> attrs) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS_CPU;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = AF_UNSPEC;
  nfg->res_id = htons(cpu);
  for (auto [type, value] : attrs) mnl_attr_put_u32(nlh, type, htonl(value));
  buf.resize(nlh->nlmsg_len);
  return buf;
}

TEST(ConntrackStatsTest, SumsCpus) {
  ConntrackKernelStats s;
  auto a = CpuMessage(0, {{CTA_STATS_FOUND, 10}, {CTA_STATS_INSERT_FAILED, 2},
                          {CTA_STATS_DROP, 1}, {CTA_STATS_SEARCH_RESTART, 7}});
  auto b = CpuMessage(1, {{CTA_STATS_FOUND, 5}, {CTA_STATS_EARLY_DROP, 3},
                          {CTA_STATS_CHAIN_TOOLONG, 4}, {CTA_STATS_INVALID, 9}});
  ASSERT_TRUE(AddStatsCpuMessage(a.data(), a.size(), &s).ok());
  ASSERT_TRUE(AddStatsCpuMessage(b.data(), b.size(), &s).ok());
  EXPECT_EQ(s.cpus, 2u);
  EXPECT_EQ(s.found, 15u);
  EXPECT_EQ(s.insert_failed, 2u);
  EXPECT_EQ(s.drop, 1u);
  EXPECT_EQ(s.early_drop, 3u);
  EXPECT_EQ(s.search_restart, 7u);
  EXPECT_EQ(s.chaintoolong, 4u);
  EXPECT_EQ(s.invalid, 9u);
}

TEST(ConntrackStatsTest, UnknownAttributesAreSkipped) {
  ConntrackKernelStats s;
  auto m = CpuMessage(0, {{CTA_STATS_FOUND, 1}, {CTA_STATS_MAX + 3, 99}});
  ASSERT_TRUE(AddStatsCpuMessage(m.data(), m.size(), &s).ok());
  EXPECT_EQ(s.found, 1u);
}

TEST(ConntrackStatsTest, MalformedMessagesAreDataLoss) {
  ConntrackKernelStats s;
  auto m = CpuMessage(0, {{CTA_STATS_FOUND, 1}});
  // Cut inside the attribute: the header's length no longer fits.
  EXPECT_EQ(AddStatsCpuMessage(m.data(), m.size() - 2, &s).code(),
            absl::StatusCode::kDataLoss);
  // An attribute of the wrong size (u16 where u32 belongs).
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS_CPU;
  mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg));
  mnl_attr_put_u16(nlh, CTA_STATS_DROP, 1);
  EXPECT_EQ(AddStatsCpuMessage(buf.data(), nlh->nlmsg_len, &s).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.cpus, 0u);
  EXPECT_EQ(AddStatsCpuMessage(buf.data(), 3, &s).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace flowtop::collector
