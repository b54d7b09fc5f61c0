#include "collector/enrich/geoip_update.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/enrich/testing/fixtures.h"
#include "tests/enrich/testing/http_server.h"

namespace flowtop::collector::enrich {
namespace {

using ::flowtop::testing::HttpServer;
using ::flowtop::testing::MakeTempDir;
using ::flowtop::testing::ReadFile;
using ::flowtop::testing::WriteFile;
using ::flowtop::testing::WriteMmdb;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A port on 127.0.0.1 where nothing listens (bound, never listening).
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~ClosedPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class GeoIpUpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    served_ = MakeTempDir("served");
    data_ = MakeTempDir("data");
    auto server = HttpServer::Start(served_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    // The installed database: the DB-IP layout. The served one differs
    // (MaxMind layout), so a replacement is visible in the bytes.
    ASSERT_TRUE(WriteMmdb("dbip-city-v4", data_ + "/city.mmdb").ok());
    old_bytes_ = ReadFile(data_ + "/city.mmdb");
    ASSERT_TRUE(WriteMmdb("maxmind-city", served_ + "/good.mmdb").ok());
    good_bytes_ = ReadFile(served_ + "/good.mmdb");
  }

  // Writes geoip.conf with these URLs and runs the update.
  absl::StatusOr<GeoIpUpdateReport> Update(const std::vector<std::string>& urls,
                                           uint64_t max_bytes = 1 << 20) {
    std::string conf;
    for (const auto& url : urls) absl::StrAppend(&conf, url, "\n");
    const std::string conf_path = served_ + "/../geoip.conf";
    WriteFile(conf_path, conf);
    GeoIpUpdateOptions options;
    options.conf_path = conf_path;
    options.data_dir = data_;
    options.max_bytes = max_bytes;
    options.timeout = absl::Seconds(30);
    options.progress = [this](absl::string_view line) {
      progress_.push_back(std::string(line));
    };
    return UpdateGeoIpDatabases(options);
  }

  // Serves `bytes` as /<dir>/city.mmdb and returns its URL.
  std::string Serve(const std::string& dir, const std::string& bytes) {
    mkdir((served_ + "/" + dir).c_str(), 0755);
    WriteFile(served_ + "/" + dir + "/city.mmdb", bytes);
    return server_->Url(dir + "/city.mmdb");
  }

  std::string served_, data_, old_bytes_, good_bytes_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::string> progress_;
};

TEST_F(GeoIpUpdateTest, GoodFileReplacesTheOldOne) {
  const std::string url = Serve("good", good_bytes_);
  auto report = Update({url});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->installed, ElementsAre(data_ + "/city.mmdb"));
  EXPECT_THAT(report->failures, IsEmpty());
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), good_bytes_);
  EXPECT_THAT(progress_, ::testing::Contains(HasSubstr("city.mmdb from " + url + ": ")));
  EXPECT_THAT(progress_.back(), HasSubstr("verified and installed"));
  // No temporary file left behind.
  EXPECT_EQ(ReadFile(data_ + "/.city.mmdb.download"), "");
}

TEST_F(GeoIpUpdateTest, CorruptFileIsRejectedAndTheOldOneKept) {
  const std::string url = Serve("corrupt", std::string(3000, '\x42'));
  auto report = Update({url});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(report.status().message()),
              HasSubstr("city.mmdb from " + url + ": not a usable MaxMind DB"));
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), old_bytes_);
}

TEST_F(GeoIpUpdateTest, TruncatedFileIsRejectedAndTheOldOneKept) {
  const std::string url = Serve("truncated", good_bytes_.substr(0, good_bytes_.size() - 200));
  auto report = Update({url});
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("corrupt or truncated"));
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), old_bytes_);
}

TEST_F(GeoIpUpdateTest, FailedMirrorsAreNamedAndTheNextMirrorIsTried) {
  ClosedPort closed;
  const std::string dead = absl::StrCat("http://127.0.0.1:", closed.port(), "/city.mmdb");
  const std::string missing = server_->Url("nothere/city.mmdb");
  const std::string good = Serve("good", good_bytes_);
  auto report = Update({dead, missing, good});
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->failures.size(), 2u);
  EXPECT_THAT(report->failures[0], HasSubstr("city.mmdb from " + dead + ": "));
  EXPECT_THAT(report->failures[1], HasSubstr(missing + ": HTTP status 404"));
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), good_bytes_);
}

TEST_F(GeoIpUpdateTest, SizeLimitRejectsLargeFiles) {
  const std::string url = Serve("big", good_bytes_);
  auto report = Update({url}, /*max_bytes=*/good_bytes_.size() / 2);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("larger than the limit"));
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), old_bytes_);
}

TEST_F(GeoIpUpdateTest, CommandPrintsProgressAndOutcome) {
  const std::string url = Serve("good", good_bytes_);
  const std::string conf = served_ + "/../cmd.conf";
  WriteFile(conf, url + "\n");
  const std::string out_path = served_ + "/../out.txt", err_path = served_ + "/../err.txt";
  std::FILE* out = std::fopen(out_path.c_str(), "w");
  std::FILE* err = std::fopen(err_path.c_str(), "w");
  EXPECT_EQ(RunGeoIpUpdateCommand(conf, data_, out, err), 0);
  std::fclose(out);
  std::fclose(err);
  EXPECT_THAT(ReadFile(out_path), HasSubstr("city.mmdb from " + url + ": "));
  EXPECT_THAT(ReadFile(out_path), HasSubstr("1 GeoIP database(s) installed in " + data_));
  EXPECT_EQ(ReadFile(err_path), "");
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), good_bytes_);

  // A corrupt file: exit status 1, the mirror and the reason on stderr.
  const std::string bad = Serve("bad", std::string(100, 'x'));
  WriteFile(conf, bad + "\n");
  err = std::fopen(err_path.c_str(), "w");
  out = std::fopen(out_path.c_str(), "w");
  EXPECT_EQ(RunGeoIpUpdateCommand(conf, data_, out, err), 1);
  std::fclose(out);
  std::fclose(err);
  EXPECT_THAT(ReadFile(err_path), HasSubstr(bad + ": not a usable MaxMind DB"));
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), good_bytes_);
  EXPECT_EQ(RunGeoIpUpdateCommand("/nonexistent/geoip.conf", data_, stdout, stderr), 2);
}

TEST_F(GeoIpUpdateTest, HttpsMirrorIsVerifiedAndUsed) {
  const std::string certs = MakeTempDir("certs");
  auto tls = HttpServer::StartTls(served_, certs);
  ASSERT_TRUE(tls.ok()) << tls.status();
  Serve("tls", good_bytes_);
  const std::string url = (*tls)->Url("tls/city.mmdb");
  ASSERT_EQ(url.rfind("https://", 0), 0u);
  const std::string conf = served_ + "/../tls.conf";
  WriteFile(conf, url + "\n");
  GeoIpUpdateOptions options;
  options.conf_path = conf;
  options.data_dir = data_;
  options.timeout = absl::Seconds(30);
  // Without trusting the self-signed certificate: refused, old file kept.
  auto refused = UpdateGeoIpDatabases(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("city.mmdb from " + url + ": "));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("certificate"));
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), old_bytes_);
  // Trusting it: installed.
  options.ca_file = certs + "/cert.pem";
  auto report = UpdateGeoIpDatabases(options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), good_bytes_);
}

TEST_F(GeoIpUpdateTest, ConfProblemsAreReportedWithLineNumbers) {
  std::vector<std::string> problems;
  const std::string conf = served_ + "/../bad.conf";
  WriteFile(conf,
            "# mirrors\n"
            "ftp://example.org/city.mmdb\n"
            "https://example.org/city.tar.gz\n"
            "https://a.example/x/dbip-city-ipv4.mmdb\n"
            "https://b.example/dbip-city-ipv4.mmdb  # second mirror\n"
            "https://a.example/asn.mmdb\n");
  auto files = ParseGeoIpConf(conf, &problems);
  ASSERT_TRUE(files.ok());
  EXPECT_THAT(problems, ElementsAre(HasSubstr(conf + ":2: "), HasSubstr(conf + ":3: ")));
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].name, "dbip-city-ipv4.mmdb");
  EXPECT_THAT((*files)[0].urls, ElementsAre("https://a.example/x/dbip-city-ipv4.mmdb",
                                            "https://b.example/dbip-city-ipv4.mmdb"));
  EXPECT_EQ((*files)[1].name, "asn.mmdb");
  EXPECT_EQ(ParseGeoIpConf("/nonexistent/geoip.conf", &problems).status().code(),
            absl::StatusCode::kNotFound);
  WriteFile(conf, "# nothing\n");
  EXPECT_EQ(ParseGeoIpConf(conf, &problems).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace flowtop::collector::enrich
