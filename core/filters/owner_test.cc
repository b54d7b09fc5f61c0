#include "core/filters/owner.h"

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

v1::Enrichment Owned(const char* name, uint32_t pid, const char* unit,
                     const char* container, bool at_src = true) {
  v1::Enrichment e;
  v1::Process* p = (at_src ? e.mutable_src() : e.mutable_dst())->mutable_process();
  p->set_name(name);
  p->set_pid(pid);
  p->set_unit(unit);
  p->set_container_id(container);
  return e;
}

TEST(OwnerFilterTest, ProcessNamesAreExactAtEitherEnd) {
  EXPECT_TRUE(ProcessNamedIn(Owned("curl", 10, "", ""), {"wget", "curl"}));
  EXPECT_TRUE(ProcessNamedIn(Owned("curl", 10, "", "", false), {"curl"}));
  EXPECT_FALSE(ProcessNamedIn(Owned("curl", 10, "", ""), {"cur"}));
  EXPECT_FALSE(ProcessNamedIn(v1::Enrichment(), {""}));  // no process
}

TEST(OwnerFilterTest, UnitsWithOrWithoutService) {
  const v1::Enrichment e = Owned("nginx", 5, "nginx.service", "");
  EXPECT_TRUE(UnitIn(e, {"nginx.service"}));
  EXPECT_TRUE(UnitIn(e, {"nginx"}));
  EXPECT_FALSE(UnitIn(e, {"ngin"}));
  EXPECT_FALSE(UnitIn(e, {""}));
}

TEST(OwnerFilterTest, ContainersByIdPrefix) {
  const v1::Enrichment e = Owned("app", 5, "", "3f2a9c");
  EXPECT_TRUE(ContainerIn(e, {"3f2a"}));
  EXPECT_FALSE(ContainerIn(e, {"2a9c"}));
  EXPECT_FALSE(ContainerIn(e, {""}));
}

TEST(OwnerFilterTest, PidsOfEitherOwnerAndNeverZero) {
  EXPECT_TRUE(PidIn({7, 9}, 9, 0));
  EXPECT_TRUE(PidIn({7}, 9, 7));
  EXPECT_FALSE(PidIn({8}, 9, 7));
  EXPECT_FALSE(PidIn({0}, 0, 0));
  EXPECT_TRUE(EndpointHasProcess(Owned("", 3, "", "").src()));
  EXPECT_TRUE(EndpointHasProcess(Owned("x", 0, "", "").src()));
  EXPECT_FALSE(EndpointHasProcess(Owned("", 0, "", "").src()));
}

}  // namespace
}  // namespace flowtop::core
