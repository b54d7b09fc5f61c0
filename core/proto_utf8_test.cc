#include "core/proto_utf8.h"

#include "flowtop/v1/flowtop.pb.h"
#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

TEST(RepairUtf8Strings, EveryInvalidByteOfEveryStringBecomesAReplacement) {
  v1::Flow flow;
  v1::Process* p = flow.mutable_enrichment()->mutable_src()->mutable_process();
  p->set_name(std::string("a\xff" "b", 3));
  p->set_exe("/usr/bin/ok");
  flow.mutable_enrichment()->mutable_dst()->set_hostname(
      std::string("\xc3\x28x", 3));  // a lead byte without its continuation
  v1::Flow copy = flow;
  std::string bytes;
  // What made this necessary: such a message does not parse back.
  ASSERT_TRUE(copy.SerializeToString(&bytes));
  EXPECT_FALSE(v1::Flow().ParseFromString(bytes));

  EXPECT_TRUE(RepairUtf8Strings(flow));
  EXPECT_EQ(p->name(), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(p->exe(), "/usr/bin/ok");
  EXPECT_EQ(flow.enrichment().dst().hostname(), "\xef\xbf\xbd(x");
  ASSERT_TRUE(flow.SerializeToString(&bytes));
  v1::Flow back;
  EXPECT_TRUE(back.ParseFromString(bytes));
  EXPECT_EQ(back.enrichment().src().process().name(), p->name());
  EXPECT_FALSE(RepairUtf8Strings(flow));  // nothing left to repair
}

TEST(RepairUtf8Strings, RepeatedStringsToo) {
  v1::FlowFilter filter;
  filter.add_any_ip("ok");
  filter.add_any_ip(std::string("\xfe", 1));
  EXPECT_TRUE(RepairUtf8Strings(filter));
  EXPECT_EQ(filter.any_ip(0), "ok");
  EXPECT_EQ(filter.any_ip(1), "\xef\xbf\xbd");
}

}  // namespace
}  // namespace flowtop::core
