#include "tui/text.h"

#include "gtest/gtest.h"

namespace flowtop::tui {
namespace {

TEST(TextTest, SanitizeReplacesControlsAndInvalidUtf8) {
  EXPECT_EQ(Sanitize("ok.example"), "ok.example");
  EXPECT_EQ(Sanitize("evil\x1b[2Jname"), "evil?[2Jname");
  EXPECT_EQ(Sanitize("tab\there"), "tab?here");
  EXPECT_EQ(Sanitize("bad\xff"), "bad\xEF\xBF\xBD");
  EXPECT_EQ(Sanitize("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(Sanitize("m\xC3\xBCnchen"), "m\xC3\xBCnchen");
}

TEST(TextTest, DisplayWidthCountsCells) {
  EXPECT_EQ(DisplayWidth("abc"), 3);
  EXPECT_EQ(DisplayWidth("M\xC3\xBCnchen"), 7);           // München
  EXPECT_EQ(DisplayWidth("\xE6\x9D\xB1\xE4\xBA\xAC"), 4);  // 東京: wide
  EXPECT_EQ(DisplayWidth("e\xCC\x81"), 1);                // e + combining acute
}

TEST(TextTest, FitPadsAndCuts) {
  EXPECT_EQ(Fit("abc", 5), "abc  ");
  EXPECT_EQ(Fit("abc", 5, Align::kRight), "  abc");
  EXPECT_EQ(Fit("abcdef", 4), "abc~");
  EXPECT_EQ(Fit("abcdef", 1), "~");
  EXPECT_EQ(Fit("abc", 0), "");
  // 東京都 is 6 cells; cut to 4 keeps one wide char + pad + '~'.
  EXPECT_EQ(Fit("\xE6\x9D\xB1\xE4\xBA\xAC\xE9\x83\xBD", 4), "\xE6\x9D\xB1 ~");
  EXPECT_EQ(DisplayWidth(Fit("\xE6\x9D\xB1\xE4\xBA\xAC\xE9\x83\xBD", 4)), 4);
}

TEST(TextTest, SliceKeepsCellCount) {
  EXPECT_EQ(Slice("abcdef", 2, 3), "cde");
  EXPECT_EQ(Slice("abc", 5, 3), "");
  // Wide char at cells 0-1, skip 1: its right half becomes a space.
  EXPECT_EQ(Slice("\xE6\x9D\xB1x", 1, 2), " x");
}

}  // namespace
}  // namespace flowtop::tui
