#include "collector/enrich/npm_package.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/enrich/testing/fixtures.h"

namespace flowtop::collector::enrich {
namespace {

using ::flowtop::testing::MakeTempDir;
using ::flowtop::testing::ReadFile;
using ::flowtop::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// Packs `dir`/package into `dir`/p.tgz with the system's tar, as npm does.
std::string Pack(const std::string& dir) {
  const std::string tgz = dir + "/p.tgz";
  const std::string command = absl::StrCat("tar -czf ", tgz, " -C ", dir, " package");
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return tgz;
}

TEST(NpmPackageTest, VersionDocumentNamesTarballAndIntegrity) {
  auto dist = ParseNpmVersionDocument(R"({"name":"@ip-location-db/asn","version":"2.3.1",
      "dist":{"integrity":"sha512-AAAA","shasum":"ab","tarball":"https://r.example/a.tgz"},
      "keywords":["ip"],"n":1.5})");
  ASSERT_TRUE(dist.ok()) << dist.status();
  EXPECT_EQ(dist->version, "2.3.1");
  EXPECT_EQ(dist->tarball, "https://r.example/a.tgz");
  EXPECT_EQ(dist->integrity, "sha512-AAAA");
}

TEST(NpmPackageTest, UnusableVersionDocumentsAreNamed) {
  EXPECT_THAT(std::string(ParseNpmVersionDocument("<html>").status().message()),
              HasSubstr("not a JSON object"));
  EXPECT_THAT(std::string(ParseNpmVersionDocument(R"({"version":"1"})").status().message()),
              HasSubstr("no \"dist\""));
  EXPECT_THAT(std::string(ParseNpmVersionDocument(
                              R"({"dist":{"tarball":"file:///etc/passwd","integrity":"sha512-A"}})")
                              .status()
                              .message()),
              HasSubstr("http(s) dist.tarball"));
  EXPECT_THAT(std::string(ParseNpmVersionDocument(
                              R"({"dist":{"tarball":"https://r/a.tgz","shasum":"ab"}})")
                              .status()
                              .message()),
              HasSubstr("sha512 dist.integrity"));
}

TEST(NpmPackageTest, IntegrityIsTheSha512OfTheFile) {
  const std::string dir = MakeTempDir("integrity");
  WriteFile(dir + "/f", "abc");
  // sha512("abc") in base64 (FIPS 180-2's example digest).
  const std::string abc =
      "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==";
  EXPECT_TRUE(CheckNpmIntegrity(dir + "/f", abc).ok());
  WriteFile(dir + "/f", "abd");
  absl::Status bad = CheckNpmIntegrity(dir + "/f", abc);
  EXPECT_EQ(bad.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(bad.message()), HasSubstr("the registry says " + abc));
}

TEST(NpmPackageTest, ExtractsTheWantedFilesOfPackage) {
  const std::string dir = MakeTempDir("extract");
  ASSERT_EQ(std::system(("mkdir -p " + dir + "/package/sub").c_str()), 0);
  WriteFile(dir + "/package/a.mmdb", std::string(70000, 'a'));  // several blocks
  WriteFile(dir + "/package/b.csv", "1,2\n");
  WriteFile(dir + "/package/README.md", "readme");
  WriteFile(dir + "/package/sub/c.mmdb", "nested");
  const std::string tgz = Pack(dir);
  const std::string out = MakeTempDir("extract-out");
  auto names = ExtractNpmTarball(
      tgz, out, [](absl::string_view n) { return n != "README.md"; }, 1 << 20);
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, UnorderedElementsAre("a.mmdb", "b.csv"));
  EXPECT_EQ(ReadFile(out + "/a.mmdb"), std::string(70000, 'a'));
  EXPECT_EQ(ReadFile(out + "/b.csv"), "1,2\n");
  EXPECT_EQ(ReadFile(out + "/README.md"), "");
  EXPECT_EQ(ReadFile(out + "/c.mmdb"), "");
}

TEST(NpmPackageTest, UnpackedSizeIsBounded) {
  const std::string dir = MakeTempDir("bomb");
  ASSERT_EQ(std::system(("mkdir -p " + dir + "/package").c_str()), 0);
  // 4 MiB of zeros: a few KiB compressed.
  WriteFile(dir + "/package/zeros.mmdb", std::string(4 << 20, '\0'));
  const std::string tgz = Pack(dir);
  auto names = ExtractNpmTarball(
      tgz, MakeTempDir("bomb-out"), [](absl::string_view) { return true; }, 1 << 20);
  EXPECT_EQ(names.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(NpmPackageTest, DamagedArchivesAreErrors) {
  const std::string dir = MakeTempDir("damaged");
  ASSERT_EQ(std::system(("mkdir -p " + dir + "/package").c_str()), 0);
  WriteFile(dir + "/package/a.mmdb", std::string(70000, 'a'));
  const std::string tgz = Pack(dir);
  const std::string bytes = ReadFile(tgz);
  WriteFile(tgz, bytes.substr(0, bytes.size() / 2));
  auto truncated = ExtractNpmTarball(
      tgz, MakeTempDir("damaged-out"), [](absl::string_view) { return true; }, 1 << 20);
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kDataLoss);
  WriteFile(tgz, "not gzip at all, and not a tar either");
  auto garbage = ExtractNpmTarball(
      tgz, MakeTempDir("garbage-out"), [](absl::string_view) { return true; }, 1 << 20);
  EXPECT_FALSE(garbage.ok());
}

}  // namespace
}  // namespace flowtop::collector::enrich
