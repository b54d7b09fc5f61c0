#include "core/filters/node.h"

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

TEST(NodeFilterTest, ExactNames) {
  EXPECT_TRUE(NodeIn({"edge7", "edge8"}, "edge8"));
  EXPECT_FALSE(NodeIn({"edge7"}, "edge"));
  EXPECT_FALSE(NodeIn({"edge7"}, ""));
}

}  // namespace
}  // namespace flowtop::core
