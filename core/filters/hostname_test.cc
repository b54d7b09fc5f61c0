#include "core/filters/hostname.h"

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

TEST(HostnameFilterTest, APartOfEitherEndsNameInAnyCase) {
  v1::Enrichment e;
  e.mutable_dst()->set_hostname("Mirror.Example.ORG");
  EXPECT_TRUE(HostnameIn(e, {"example.org"}));
  EXPECT_TRUE(HostnameIn(e, {"nope", "mirror"}));
  EXPECT_FALSE(HostnameIn(e, {"example.com"}));
  e.mutable_dst()->clear_hostname();
  EXPECT_FALSE(HostnameIn(e, {""}));  // no name at all
}

}  // namespace
}  // namespace flowtop::core
