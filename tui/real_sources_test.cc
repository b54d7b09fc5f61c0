#include "tui/real_sources.h"

#include "gtest/gtest.h"

namespace flowtop::tui {
namespace {

TEST(CheckLocalPrivilegesTest, NeedsCapNetAdmin) {
  EXPECT_TRUE(CheckLocalPrivileges("Name:\tx\nCapEff:\t000001ffffffffff\n").ok());
  EXPECT_TRUE(CheckLocalPrivileges("CapEff:\t0000000000001000\n").ok());  // bit 12 only
  absl::Status st = CheckLocalPrivileges("CapInh:\t0\nCapEff:\t0000000000000000\n");
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("sudo"), absl::string_view::npos);
  EXPECT_NE(st.message().find("--connect"), absl::string_view::npos);
  EXPECT_NE(st.message().find("--replay"), absl::string_view::npos);
  EXPECT_NE(st.message().find("cap_net_admin"), absl::string_view::npos);
  EXPECT_EQ(CheckLocalPrivileges("garbage").code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace flowtop::tui
