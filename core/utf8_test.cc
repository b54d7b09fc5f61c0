#include "core/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

TEST(Utf8, DecodesEveryLength) {
  size_t len = 0;
  EXPECT_EQ(DecodeUtf8("a", 0, len), 'a');
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(DecodeUtf8("\xc3\xbc", 0, len), 0xFC);
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(DecodeUtf8("\xe2\x82\xac", 0, len), 0x20AC);
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(DecodeUtf8("\xf4\x8f\xbf\xbf", 0, len), 0x10FFFF);
  EXPECT_EQ(len, 4u);
}

TEST(Utf8, RefusesWhatRfc3629Refuses) {
  for (const std::string& bad : {std::string("\x80"), std::string("\xc0\xaf"),  // overlong '/'
                                std::string("\xe0\x80\xaf"), std::string("\xed\xa0\x80"),
                                std::string("\xf4\x90\x80\x80"), std::string("\xe2\x82"),
                                std::string("\xff"), std::string("\xc3\x28")}) {
    size_t len = 0;
    EXPECT_EQ(DecodeUtf8(bad, 0, len), -1) << bad;
    EXPECT_EQ(len, 1u);
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
    // Also after a long ASCII run (the 8-byte path).
    EXPECT_FALSE(IsValidUtf8("0123456789abcdef" + bad)) << bad;
    EXPECT_FALSE(IsValidUtf8(bad + "0123456789abcdef")) << bad;
  }
}

TEST(Utf8, AcceptsValidText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii, longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x8c\x8d and more ascii"));
  EXPECT_TRUE(IsValidUtf8(std::string("nul\0inside", 10)));
}

}  // namespace
}  // namespace flowtop::core
