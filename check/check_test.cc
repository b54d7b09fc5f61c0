#include "check/check.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "check/conntrack_probe.h"
#include "gtest/gtest.h"

namespace flowtop::check {
namespace {

class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/check_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    mkdir(dir_.c_str(), 0755);
    mkdir((dir_ + "/geo").c_str(), 0755);
    options_.proc_sys_netfilter = dir_;
    options_.proc_self_status = dir_ + "/status";
    options_.geoip_dirs = {dir_ + "/geo"};
    options_.dns = false;
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
  CheckOptions options_;
};

TEST_F(CheckTest, ProbeSeesEntriesAndMissingModule) {
  EXPECT_EQ(ProbeTracking(dir_).state, Tracking::kNoModule);
  Write("nf_conntrack_count", "5\n");
  TrackingResult r = ProbeTracking(dir_);
  EXPECT_EQ(r.state, Tracking::kActive);
  EXPECT_EQ(r.detail, "tracking (5 entries)");
}

TEST_F(CheckTest, ConntrackFailureNamesTheCommand) {
  CheckLine line = CheckConntrack(options_);  // no module here
  EXPECT_EQ(line.level, Level::kFail);
  EXPECT_NE(line.hint.find("modprobe nf_conntrack"), std::string::npos);
}

TEST_F(CheckTest, SysctlsEventsOffFails) {
  Write("nf_conntrack_acct", "0\n");
  Write("nf_conntrack_timestamp", "0\n");
  Write("nf_conntrack_events", "0\n");
  CheckLine line = CheckSysctls(options_);
  EXPECT_EQ(line.level, Level::kFail);
  EXPECT_EQ(line.detail, "acct 0, timestamp 0, events 0");
  EXPECT_NE(line.hint.find("sysctl -w net.netfilter.nf_conntrack_events=1"), std::string::npos);
  Write("nf_conntrack_events", "1\n");
  line = CheckSysctls(options_);
  EXPECT_EQ(line.level, Level::kOk);
  EXPECT_NE(line.hint.find("turns acct and timestamp on while it runs"), std::string::npos);
}

TEST_F(CheckTest, TableNearlyFullWarns) {
  Write("nf_conntrack_count", "950\n");
  Write("nf_conntrack_max", "1000\n");
  CheckLine line = CheckTableFill(options_);
  EXPECT_EQ(line.level, Level::kWarn);
  EXPECT_EQ(line.detail, "950 of 1000 entries (95%)");
  EXPECT_NE(line.hint.find("nf_conntrack_max=2000"), std::string::npos);
}

TEST_F(CheckTest, CapabilitiesFromStatus) {
  Write("status", "Name:\tflowtop\nCapEff:\t0000000000000000\n");
  CheckLine line = CheckCapabilities(options_);
  EXPECT_EQ(line.level, Level::kFail);
  EXPECT_NE(line.hint.find("CAP_NET_ADMIN"), std::string::npos);
  Write("status", "CapEff:\t0000000000001000\n");  // bit 12 only
  line = CheckCapabilities(options_);
  EXPECT_EQ(line.level, Level::kWarn);
  EXPECT_EQ(line.detail, "CAP_NET_ADMIN (missing: CAP_SYS_PTRACE CAP_DAC_READ_SEARCH)");
  Write("status", "CapEff:\t000001ffffffffff\n");
  EXPECT_EQ(CheckCapabilities(options_).level, Level::kOk);
}

TEST_F(CheckTest, NoDatabasesWarnWithTheFetchCommand) {
  Write("geo/broken.mmdb", "not a database");
  std::vector<CheckLine> lines = CheckGeoIp(options_);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].detail.find("broken.mmdb: not a readable .mmdb"), std::string::npos);
  EXPECT_EQ(lines[1].what, "GeoIP database");
  EXPECT_NE(lines[1].hint.find("tools/fetch-geoip.sh"), std::string::npos);
  EXPECT_EQ(lines[2].what, "ASN database");
  for (const CheckLine& l : lines) EXPECT_EQ(l.level, Level::kWarn);
}

TEST_F(CheckTest, ReportSaysWhetherFlowtopCanWork) {
  CheckReport report;
  report.lines.push_back({Level::kOk, "conntrack", "tracking (3 entries)", ""});
  report.lines.push_back({Level::kWarn, "DNS", "x", "do y"});
  EXPECT_TRUE(report.CanWork());
  std::string text = FormatReport(report, options_);
  EXPECT_NE(text.find("flowtop can work (0 failed, 1 warnings)"), std::string::npos) << text;
  EXPECT_NE(text.find("-> do y"), std::string::npos) << text;
  report.lines.push_back({Level::kFail, "capabilities", "none", "run as root"});
  EXPECT_FALSE(report.CanWork());
  EXPECT_NE(FormatReport(report, options_).find("cannot show flows"), std::string::npos);
}

}  // namespace
}  // namespace flowtop::check
