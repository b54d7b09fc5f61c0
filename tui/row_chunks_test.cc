#include "tui/row_chunks.h"

#include <vector>

#include "gtest/gtest.h"

namespace flowtop::tui {
namespace {

std::vector<int> All(const FrozenRows<int>& rows) { return {rows.begin(), rows.end()}; }

TEST(RowChunksTest, FrozenViewsKeepTheirEntriesWhileTheOwnerWrites) {
  RowChunks<int> rows;
  std::vector<int> expect;
  for (int i = 0; i < 3000; ++i) {
    rows.PushBack(i);
    expect.push_back(i);
  }
  FrozenRows<int> before = rows.Freeze();
  rows.Set(5, -5);
  rows.Set(2500, -1);
  rows.PopBack();
  EXPECT_EQ(All(before), expect);
  EXPECT_EQ(rows.size(), 2999u);
  EXPECT_EQ(rows[5], -5);
  FrozenRows<int> after = rows.Freeze();
  EXPECT_EQ(after.size(), 2999u);
  EXPECT_EQ(after[5], -5);
  EXPECT_EQ(after[2500], -1);
  EXPECT_EQ(after[2998], 2998);
}

TEST(RowChunksTest, OnlyChunksWrittenWhileSharedAreCloned) {
  RowChunks<int> rows;
  for (int i = 0; i < 3 * static_cast<int>(kRowChunk); ++i) rows.PushBack(i);
  const size_t clones = rows.clones();
  {
    FrozenRows<int> view = rows.Freeze();
    rows.Set(1, 7);   // chunk 0: cloned
    rows.Set(2, 8);   // chunk 0 again: already ours
    EXPECT_EQ(rows.clones(), clones + 1);
    EXPECT_EQ(view.chunks()[1], rows.Freeze().chunks()[1]);  // untouched: shared
  }
  rows.Set(kRowChunk + 1, 9);  // no view holds chunk 1 any more
  EXPECT_EQ(rows.clones(), clones + 1);
}

TEST(RowChunksTest, ShrinkingToAChunkBoundaryAndGrowingAgain) {
  RowChunks<int> rows;
  for (int i = 0; i < static_cast<int>(kRowChunk) + 1; ++i) rows.PushBack(i);
  FrozenRows<int> view = rows.Freeze();
  rows.PopBack();
  EXPECT_EQ(rows.Freeze().chunks().size(), 1u);
  rows.PushBack(42);
  EXPECT_EQ(rows[kRowChunk], 42);
  EXPECT_EQ(view[kRowChunk], static_cast<int>(kRowChunk));
}

}  // namespace
}  // namespace flowtop::tui
