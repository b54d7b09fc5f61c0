#include "replay/event_recycler.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "replay/sample_events.h"

namespace flowtop::replay {
namespace {

// A fresh parse: what the recycler must give.
v1::FlowEvent Fresh(const std::string& bytes) {
  v1::FlowEvent e;
  EXPECT_TRUE(e.ParseFromString(bytes));
  return e;
}

// Serialized forms compare presence too: a present empty sub-message is
// written as its tag and length 0, an absent one not at all.
void ExpectSame(const v1::FlowEvent& got, const std::string& bytes) {
  const v1::FlowEvent want = Fresh(bytes);
  EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString());
  EXPECT_EQ(got.has_flow(), want.has_flow());
  EXPECT_EQ(got.DebugString(), want.DebugString());
}

std::vector<std::string> Corpus() {
  std::vector<std::string> out;
  for (const v1::FlowEvent& e : EveryKindOfEvent()) out.push_back(e.SerializeAsString());
  for (const v1::FlowEvent& e : SyntheticStream(300, 7)) out.push_back(e.SerializeAsString());
  // Present but empty sub-messages at every level.
  v1::FlowEvent empty_parts;
  empty_parts.set_type(v1::UPDATE);
  empty_parts.mutable_flow()->mutable_status();
  empty_parts.mutable_flow()->mutable_enrichment()->mutable_src();
  empty_parts.mutable_flow()->mutable_original_rate();
  out.push_back(empty_parts.SerializeAsString());
  v1::FlowEvent empty_flow;
  empty_flow.set_type(v1::DESTROY);
  empty_flow.mutable_flow();
  out.push_back(empty_flow.SerializeAsString());
  // A field written twice merges (protobuf's rule): not reused, still right.
  v1::FlowEvent a, b;
  a.mutable_flow()->mutable_original()->set_src_port(1);
  a.mutable_flow()->mutable_enrichment()->set_service("dns");
  b.mutable_flow()->mutable_original()->set_dst_port(2);
  b.mutable_flow()->mutable_enrichment()->mutable_dst()->set_hostname("x");
  out.push_back(a.SerializeAsString() + b.SerializeAsString());
  return out;
}

TEST(EventRecycler, ReusedMessagesEqualFreshParsesInEveryOrder) {
  const std::vector<std::string> corpus = Corpus();
  EventRecycler recycler;
  std::vector<v1::FlowEvent> slots(7);
  // Each slot sees records of every kind after every other kind: full flows
  // after bare ones, empty sub-messages after full ones, and back.
  for (size_t stride : {1, 3, 5, 11}) {
    for (size_t i = 0; i < corpus.size(); ++i) {
      const std::string& bytes = corpus[(i * stride) % corpus.size()];
      v1::FlowEvent& slot = slots[i % slots.size()];
      ASSERT_TRUE(recycler.Parse(bytes, &slot));
      ExpectSame(slot, bytes);
    }
  }
}

TEST(EventRecycler, MovedFromMessagesGrowAgain) {
  const std::vector<std::string> corpus = Corpus();
  EventRecycler recycler;
  v1::FlowEvent slot;
  std::vector<v1::FlowEvent> taken;
  for (const std::string& bytes : corpus) {
    ASSERT_TRUE(recycler.Parse(bytes, &slot));
    ExpectSame(slot, bytes);
    taken.push_back(std::move(slot));  // a sink that keeps the event
    ExpectSame(taken.back(), bytes);
  }
}

TEST(EventRecycler, MalformedBytesFailLikeParseFromArray) {
  EventRecycler recycler;
  v1::FlowEvent slot;
  ASSERT_TRUE(recycler.Parse(Corpus()[3], &slot));
  for (const std::string& bad :
       {std::string("\x2a\x05\x01", 3), std::string(8, '\xff'),
        std::string("\x2a\x02\x3a\x05", 4)}) {
    v1::FlowEvent fresh;
    EXPECT_EQ(recycler.Parse(bad, &slot), fresh.ParseFromString(bad)) << bad.size();
    EXPECT_FALSE(recycler.Parse(bad, &slot));
  }
  // And it recovers on the next good record.
  ASSERT_TRUE(recycler.Parse(Corpus()[2], &slot));
  ExpectSame(slot, Corpus()[2]);
}

}  // namespace
}  // namespace flowtop::replay
