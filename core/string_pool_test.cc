#include "core/string_pool.h"

#include <vector>

#include "gtest/gtest.h"

namespace flowtop::core {
namespace {

TEST(StringPool, InternSharesOneEntryPerString) {
  StringPool pool;
  const StringPool::Id a = pool.Intern("nginx");
  const StringPool::Id b = pool.Intern(std::string("ngi") + "nx");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, pool.Intern("curl"));
  EXPECT_EQ(pool.Get(a), "nginx");
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.Intern(""), 0u);
  EXPECT_EQ(pool.Get(0), "");
}

TEST(StringPool, LastReleaseFreesAndTheIdIsReused) {
  StringPool pool;
  const StringPool::Id a = pool.Intern("a.example");
  pool.Ref(a);
  pool.Release(a);
  EXPECT_EQ(pool.size(), 1u);  // one reference left
  pool.Release(a);
  EXPECT_EQ(pool.size(), 0u);
  const StringPool::Id b = pool.Intern("b.example");
  EXPECT_EQ(b, a);
  EXPECT_EQ(pool.Get(b), "b.example");
}

TEST(StringPool, PinnedEntriesOutliveTheirLastRelease) {
  StringPool pool;
  const StringPool::Id a = pool.Intern("Berlin");
  pool.Pin();
  pool.Release(a);
  // A reader's records still name `a`: neither freed nor reused.
  EXPECT_NE(pool.Intern("Paris"), a);
  EXPECT_EQ(pool.Get(a), "Berlin");
  // Interned again while pinned: the deferred free must not take it.
  EXPECT_EQ(pool.Intern("Berlin"), a);
  pool.Unpin();
  EXPECT_EQ(pool.Get(a), "Berlin");
  pool.Release(a);
  EXPECT_EQ(pool.size(), 1u);  // Paris
}

TEST(StringPool, RefAllAndReleaseAllCountLikeOneAtATime) {
  StringPool pool;
  const StringPool::Id a = pool.Intern("sshd");
  const StringPool::Id b = pool.Intern("curl");
  const std::vector<StringPool::Id> ids = {a, 0, b, a};
  pool.RefAll(ids);  // a: 3, b: 2
  pool.ReleaseAll(ids);
  EXPECT_EQ(pool.size(), 2u);
  pool.Release(b);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.Get(a), "sshd");
  pool.Release(a);
  EXPECT_EQ(pool.size(), 0u);
}

}  // namespace
}  // namespace flowtop::core
