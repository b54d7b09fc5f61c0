#include "collector/dense_flow_map.h"

#include <cstdint>
#include <map>
#include <random>

#include "gtest/gtest.h"

namespace flowtop::collector {
namespace {

struct Counters {
  uint64_t bytes = 0;
  uint32_t generation = 0;
};

// Every key of `reference` is found with its value, and nothing else is.
void ExpectSame(const DenseFlowMap<Counters>& map,
                const std::map<uint64_t, Counters>& reference) {
  ASSERT_EQ(map.size(), reference.size());
  for (const auto& [key, value] : reference) {
    const Counters* found = map.Find(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(found->bytes, value.bytes) << key;
    EXPECT_EQ(found->generation, value.generation) << key;
  }
  size_t visited = 0;
  map.ForEach([&](uint64_t key, const Counters& value) {
    ++visited;
    auto it = reference.find(key);
    ASSERT_NE(it, reference.end()) << key;
    EXPECT_EQ(value.bytes, it->second.bytes);
  });
  EXPECT_EQ(visited, reference.size());
}

TEST(DenseFlowMap, InsertFindErase) {
  DenseFlowMap<Counters> map;
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.Find(7), nullptr);
  auto [value, inserted] = map.TryEmplace(7);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(value->bytes, 0u);  // value-initialized
  value->bytes = 70;
  auto [again, inserted_again] = map.TryEmplace(7);
  EXPECT_FALSE(inserted_again);
  EXPECT_EQ(again->bytes, 70u);
  EXPECT_TRUE(map.Contains(7));
  EXPECT_FALSE(map.Erase(8));
  EXPECT_TRUE(map.Erase(7));
  EXPECT_FALSE(map.Contains(7));
  EXPECT_TRUE(map.empty());
}

// Random inserts, updates, erases and EraseIf against std::map: erasing
// moves the last entry into the hole, and its index entry must follow.
TEST(DenseFlowMap, AgreesWithAReferenceMap) {
  std::mt19937_64 rng(12);
  DenseFlowMap<Counters> map;
  std::map<uint64_t, Counters> reference;
  // Few distinct keys, so that inserts meet erased and present ones.
  std::uniform_int_distribution<uint64_t> key_of(1, 3000);
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 5000; ++i) {
      const uint64_t key = key_of(rng) * 0x100000001ull;  // like FlowKeys
      switch (rng() % 3) {
        case 0:
        case 1: {
          Counters* v = map.TryEmplace(key).first;
          v->bytes = rng();
          v->generation = round;
          reference[key] = *v;
          break;
        }
        default:
          EXPECT_EQ(map.Erase(key), reference.erase(key) == 1);
      }
    }
    ExpectSame(map, reference);
    // Forget what this round did not touch, as RateTracker::EndSample does.
    const size_t erased = map.EraseIf(
        [&](uint64_t, const Counters& v) { return v.generation != static_cast<uint32_t>(round); });
    size_t expected = 0;
    for (auto it = reference.begin(); it != reference.end();) {
      if (it->second.generation != static_cast<uint32_t>(round)) {
        it = reference.erase(it);
        ++expected;
      } else {
        ++it;
      }
    }
    EXPECT_EQ(erased, expected);
    ExpectSame(map, reference);
  }
  map.Clear();
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.Find(0x100000001ull), nullptr);
}

// What the map is for: a million flows cost the entry plus a few bytes, not
// a key and a value per slot at half load (a flat_hash_map's 2^21 slots).
TEST(DenseFlowMap, AMillionEntriesCostLittleMoreThanTheirSize) {
  DenseFlowMap<uint64_t> map;
  constexpr size_t kFlows = 1000000;
  for (uint64_t i = 0; i < kFlows; ++i) *map.TryEmplace(i * 0x9E3779B97F4A7C15ull).first = i;
  ASSERT_EQ(map.size(), kFlows);
  const double per_flow = static_cast<double>(map.MemoryBytes()) / kFlows;
  // 16-byte entries with up to an eighth spare, plus 2^21 index slots of 5
  // bytes (10.5 a flow); a flat_hash_map<uint64_t, uint64_t> needs 35.7.
  EXPECT_LT(per_flow, 16 * 1.125 + 10.5 + 0.5);
  EXPECT_EQ(*map.Find(999999 * 0x9E3779B97F4A7C15ull), 999999u);
}

}  // namespace
}  // namespace flowtop::collector
