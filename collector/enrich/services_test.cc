#include "collector/enrich/services.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowtop::collector::enrich {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ServiceNamesTest, ReadsGoodConfLines) {
  const std::string tcp = WriteFile("tcp_good.conf",
                                    "# port, name\n"
                                    "22, ssh\n"
                                    "  443 ,  https   # TLS\n"
                                    "\n"
                                    "8080, http-alt\n");
  ServiceNames names;
  std::vector<std::string> problems;
  ASSERT_TRUE(names.AddConf(tcp, v1::TCP, &problems).ok());
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_EQ(names.Name(v1::TCP, 22), "ssh");
  EXPECT_EQ(names.Name(v1::TCP, 443), "https");
  EXPECT_EQ(names.Name(v1::TCP, 8080), "http-alt");
  EXPECT_EQ(names.Name(v1::UDP, 443), "");
  EXPECT_EQ(names.size(), 3u);
}

TEST(ServiceNamesTest, ReportsBadLinesWithFileAndLineAndSkipsThem) {
  const std::string udp = WriteFile("udp_bad.conf",
                                    "53, domain\n"      // 1 good
                                    "abc, nonsense\n"   // 2 port not a number
                                    "70000, big\n"      // 3 out of range
                                    "0, zero\n"         // 4 out of range
                                    "123\n"             // 5 no name
                                    "161, snmp agent\n" // 6 blank in name
                                    "53, dns\n"         // 7 duplicate
                                    "1,2,3\n"           // 8 too many fields
                                    "-5, neg\n"         // 9 negative
                                    "123, ntp\n");      // 10 good
  ServiceNames names;
  std::vector<std::string> problems;
  ASSERT_TRUE(names.AddConf(udp, v1::UDP, &problems).ok());
  ASSERT_EQ(problems.size(), 8u);
  EXPECT_THAT(problems[0], HasSubstr(udp + ":2: port \"abc\""));
  EXPECT_THAT(problems[1], HasSubstr(udp + ":3: "));
  EXPECT_THAT(problems[2], HasSubstr(udp + ":4: "));
  EXPECT_THAT(problems[3], HasSubstr(udp + ":5: expected"));
  EXPECT_THAT(problems[4], HasSubstr(udp + ":6: service name"));
  EXPECT_THAT(problems[5], HasSubstr(udp + ":7: port 53 was already named on line 1"));
  EXPECT_THAT(problems[6], HasSubstr(udp + ":8: "));
  EXPECT_THAT(problems[7], HasSubstr(udp + ":9: "));
  EXPECT_EQ(names.Name(v1::UDP, 53), "domain");
  EXPECT_EQ(names.Name(v1::UDP, 123), "ntp");
  EXPECT_EQ(names.Name(v1::UDPLITE, 123), "ntp");
  EXPECT_EQ(names.Name(v1::UDP, 161), "");
  EXPECT_EQ(names.size(), 2u);
}

TEST(ServiceNamesTest, MissingConfIsNotFoundAndNamesThePath) {
  ServiceNames names;
  std::vector<std::string> problems;
  absl::Status status = names.AddConf("/nonexistent/tcp.conf", v1::TCP, &problems);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("/nonexistent/tcp.conf"));
}

TEST(ServiceNamesTest, EtcServicesFillsOnlyWhatConfLeftUnnamed) {
  const std::string tcp = WriteFile("tcp_pref.conf", "80, web\n");
  const std::string services = WriteFile("services",
                                         "http\t80/tcp\twww # WorldWideWeb\n"
                                         "domain\t53/tcp\n"
                                         "domain\t53/udp\n"
                                         "sctpthing\t9999/sctp\n"
                                         "broken line\n"
                                         "rtmp\t1/ddp\n");
  std::vector<std::string> problems;
  ServiceNames names = ServiceNames::Load({tcp, "", services}, &problems);
  EXPECT_THAT(problems, ElementsAre(HasSubstr(services + ":5: ")));
  EXPECT_EQ(names.Name(v1::TCP, 80), "web");
  EXPECT_EQ(names.Name(v1::TCP, 53), "domain");
  EXPECT_EQ(names.Name(v1::UDP, 53), "domain");
  EXPECT_EQ(names.Name(v1::SCTP, 9999), "sctpthing");
  EXPECT_EQ(names.Name(v1::ICMP, 53), "");
}

TEST(ServiceNamesTest, LoadReportsUnreadableFilesAndKeepsGoing) {
  std::vector<std::string> problems;
  const std::string udp = WriteFile("udp_only.conf", "53, domain\n");
  ServiceNames names =
      ServiceNames::Load({"/nonexistent/tcp.conf", udp, "/nonexistent/services"},
                         &problems);
  EXPECT_THAT(problems, ElementsAre(HasSubstr("/nonexistent/tcp.conf"),
                                    HasSubstr("/nonexistent/services")));
  EXPECT_EQ(names.Name(v1::UDP, 53), "domain");
}

TEST(ServiceNamesTest, GuessPicksTheWellKnownSide) {
  const std::string tcp = WriteFile("tcp_guess.conf",
                                    "22, ssh\n443, https\n3306, mysql\n"
                                    "8080, http-alt\n49152, dyn-registered\n");
  ServiceNames names;
  std::vector<std::string> problems;
  ASSERT_TRUE(names.AddConf(tcp, v1::TCP, &problems).ok());
  // Client 51000 -> server 443: only one side has a name.
  EXPECT_EQ(names.Guess(v1::TCP, 51000, 443), "https");
  // Reply-direction view (server port first) gives the same answer.
  EXPECT_EQ(names.Guess(v1::TCP, 443, 51000), "https");
  // Both named, one below 1024: the privileged one.
  EXPECT_EQ(names.Guess(v1::TCP, 3306, 22), "ssh");
  EXPECT_EQ(names.Guess(v1::TCP, 49152, 8080), "http-alt");
  // Both named, both above 1023: the lower port.
  EXPECT_EQ(names.Guess(v1::TCP, 8080, 3306), "mysql");
  // Neither named, or a protocol without ports.
  EXPECT_EQ(names.Guess(v1::TCP, 40000, 40001), "");
  EXPECT_EQ(names.Guess(v1::ICMP, 0, 0), "");
}

}  // namespace
}  // namespace flowtop::collector::enrich
