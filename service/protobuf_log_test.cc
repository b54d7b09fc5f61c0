#include "service/protobuf_log.h"

#include <string>

#include "gtest/gtest.h"

namespace flowtop::service {
namespace {

TEST(LogBudget, WritesTheFirstLinesThenOnlyCountsAtPowersOfTen) {
  LogBudget budget;
  std::string written;
  int summaries = 0;
  for (int i = 1; i <= 100000; ++i) {
    const std::string text = budget.Admit("line " + std::to_string(i));
    if (i <= 10) {
      EXPECT_EQ(text, "line " + std::to_string(i) + "\n");
    } else if (i == 100 || i == 1000 || i == 10000 || i == 100000) {
      ++summaries;
      EXPECT_EQ(text, "flowtopd: " + std::to_string(i - 10) +
                          " more protobuf log lines not shown (" +
                          std::to_string(i) +
                          " in all; only the first 10 are written, then a "
                          "count)\n");
    } else {
      EXPECT_EQ(text, "") << i;
    }
  }
  EXPECT_EQ(summaries, 4);
}

}  // namespace
}  // namespace flowtop::service
