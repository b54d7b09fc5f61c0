#include "collector/enrich/conf_files.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/enrich/testing/fixtures.h"

namespace flowtop::collector::enrich {
namespace {

using ::testing::ElementsAre;

TEST(ConfFilesTest, SearchOrder) {
  setenv("XDG_CONFIG_HOME", "/cfg", 1);
  EXPECT_THAT(DefaultConfDirs(), ElementsAre("/cfg/flowtop", "/etc/flowtop", "conf"));
  unsetenv("XDG_CONFIG_HOME");
  setenv("HOME", "/home/u", 1);
  EXPECT_THAT(DefaultConfDirs(), ElementsAre("/home/u/.config/flowtop", "/etc/flowtop", "conf"));
}

TEST(ConfFilesTest, FirstReadableFileWins) {
  const std::string a = ::flowtop::testing::MakeTempDir("a"), b = ::flowtop::testing::MakeTempDir("b");
  ASSERT_TRUE(::flowtop::testing::WriteFile(b + "/tcp.conf", "22, ssh\n"));
  EXPECT_EQ(FindConfFile("tcp.conf", {a, b}), b + "/tcp.conf");
  ASSERT_TRUE(::flowtop::testing::WriteFile(a + "/tcp.conf", "22, ssh\n"));
  EXPECT_EQ(FindConfFile("tcp.conf", {a, b}), a + "/tcp.conf");
  EXPECT_EQ(FindConfFile("udp.conf", {a, b}), "");
}

}  // namespace
}  // namespace flowtop::collector::enrich
