#include "replay/event_decoder.h"

#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "replay/sample_events.h"

namespace flowtop::replay {
namespace {

// What the decoder must give: protobuf's own parse into a fresh message.
// Serialized forms compare presence too (a present empty sub-message is
// written as its tag and length 0) and unknown fields.
void ExpectSame(bool got_ok, const v1::FlowEvent& got, const std::string& bytes) {
  v1::FlowEvent want;
  const bool want_ok = want.ParseFromString(bytes);
  ASSERT_EQ(got_ok, want_ok) << "bytes of size " << bytes.size();
  if (!want_ok) return;
  EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString());
  EXPECT_EQ(got.has_flow(), want.has_flow());
  EXPECT_EQ(got.has_lost(), want.has_lost());
  EXPECT_EQ(got.DebugString(), want.DebugString());
}

std::vector<std::string> Corpus() {
  std::vector<std::string> out;
  for (const v1::FlowEvent& e : EveryKindOfEvent()) out.push_back(e.SerializeAsString());
  for (const v1::FlowEvent& e : SyntheticStream(300, 7)) out.push_back(e.SerializeAsString());
  out.push_back(EventWithEveryField().SerializeAsString());
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
  // A field written twice merges (protobuf's rule).
  v1::FlowEvent a, b;
  a.mutable_flow()->mutable_original()->set_src_port(1);
  a.mutable_flow()->set_tcp_state(v1::TCP_ESTABLISHED);
  a.mutable_flow()->mutable_enrichment()->set_service("dns");
  a.mutable_flow()->mutable_enrichment()->mutable_src()->mutable_geo()->set_city("x");
  b.mutable_flow()->mutable_original()->set_dst_port(2);
  b.mutable_flow()->set_sctp_state(v1::SCTP_CLOSED);
  b.mutable_flow()->mutable_enrichment()->mutable_dst()->set_hostname("x");
  b.mutable_flow()->mutable_enrichment()->mutable_src()->mutable_process()->set_pid(3);
  out.push_back(a.SerializeAsString() + b.SerializeAsString());
  return out;
}

TEST(EventDecoder, EveryFieldTakesTheFastPath) {
  const auto events = EventsWithEachField();
  EXPECT_GT(events.size(), 60u);
  for (const auto& [name, e] : events) {
    SCOPED_TRACE(name);
    const std::string bytes = e.SerializeAsString();
    EventDecoder decoder;
    v1::FlowEvent got;
    ExpectSame(decoder.Decode(bytes, &got), got, bytes);
    // A field added to flowtop.proto fails here until the decoder reads it.
    EXPECT_EQ(decoder.stats().fallback, 0u) << "fell back to protobuf's parser";
  }
}

TEST(EventDecoder, ReusedMessagesEqualFreshParsesInEveryOrder) {
  const std::vector<std::string> corpus = Corpus();
  EventDecoder decoder;
  std::vector<v1::FlowEvent> slots(7);
  uint64_t with_status = 0;
  // Each slot sees records of every kind after every other kind: full flows
  // after bare ones, empty sub-messages after full ones, and back.
  for (size_t stride : {1, 3, 5, 11}) {
    for (size_t i = 0; i < corpus.size(); ++i) {
      const std::string& bytes = corpus[(i * stride) % corpus.size()];
      v1::FlowEvent& slot = slots[i % slots.size()];
      ExpectSame(decoder.Decode(bytes, &slot), slot, bytes);
      with_status += slot.has_status();
    }
  }
  // Only STATUS events go to protobuf's parser.
  EXPECT_GT(with_status, 0u);
  EXPECT_EQ(decoder.stats().fallback, with_status);
  EXPECT_EQ(decoder.stats().fast, 4 * corpus.size() - with_status);
}

TEST(EventDecoder, MovedFromMessagesGrowAgain) {
  const std::vector<std::string> corpus = Corpus();
  EventDecoder decoder;
  v1::FlowEvent slot;
  std::vector<v1::FlowEvent> taken;
  for (const std::string& bytes : corpus) {
    ExpectSame(decoder.Decode(bytes, &slot), slot, bytes);
    taken.push_back(std::move(slot));  // a sink that keeps the event
    ExpectSame(true, taken.back(), bytes);
  }
}

TEST(EventDecoder, UnknownFieldsOfANewerFormatAreKept) {
  v1::FlowEvent e = EveryKindOfEvent()[0];
  const std::string known = e.SerializeAsString();
  // Field 26 of Flow (varint 9) and field 99 of FlowEvent (a string), as a
  // later minor version might write them.
  v1::FlowEvent extended = e;
  extended.mutable_flow()->GetReflection()->MutableUnknownFields(extended.mutable_flow())
      ->AddVarint(26, 9);
  extended.GetReflection()->MutableUnknownFields(&extended)->AddLengthDelimited(99, "later");
  const std::string bytes = extended.SerializeAsString();
  ASSERT_NE(bytes, known);
  EventDecoder decoder;
  v1::FlowEvent got;
  ExpectSame(decoder.Decode(bytes, &got), got, bytes);
  EXPECT_EQ(got.SerializeAsString(), bytes);  // re-recording keeps them
  EXPECT_EQ(decoder.stats().fallback, 1u);
  // The next record, without them, is fast again and holds none of them.
  ExpectSame(decoder.Decode(known, &got), got, known);
  EXPECT_EQ(got.SerializeAsString(), known);
  EXPECT_EQ(decoder.stats().fast, 1u);
}

TEST(EventDecoder, StringsMustBeUtf8LikeProtobufSays) {
  // Valid: ASCII, 2/3/4-byte forms, U+10FFFF. Invalid: a lone continuation
  // byte, an overlong '/', a surrogate, beyond U+10FFFF, a cut sequence.
  const std::vector<std::string> names = {
      "plain.example", "M\xc3\xbcnchen", "\xe2\x82\xac", "\xf4\x8f\xbf\xbf",
      "a\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe2\x82",
      "12345678\xff", std::string("nul\0inside", 10)};
  EventDecoder decoder;
  v1::FlowEvent got;
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    // FlowEvent { flow { id: name } } written by hand: protobuf's serializer
    // would only log about bad UTF-8, the parser refuses it.
    const std::string flow = std::string("\x0a", 1) + static_cast<char>(name.size()) + name;
    const std::string bytes = std::string("\x2a", 1) + static_cast<char>(flow.size()) + flow;
    ExpectSame(decoder.Decode(bytes, &got), got, bytes);
    // In a bytes field (Tuple.src_ip) anything goes, on the fast path.
    v1::FlowEvent e;
    e.mutable_flow()->mutable_original()->set_src_ip(name);
    const std::string as_bytes = e.SerializeAsString();
    const uint64_t fast = decoder.stats().fast;
    ExpectSame(decoder.Decode(as_bytes, &got), got, as_bytes);
    EXPECT_EQ(decoder.stats().fast, fast + 1);
  }
}

TEST(EventDecoder, DamagedBytesGiveWhatProtobufGives) {
  const std::vector<std::string> corpus = Corpus();
  EventDecoder decoder;
  v1::FlowEvent got;
  std::mt19937 rng(5);
  size_t cases = 0;
  for (size_t r = 0; r < corpus.size(); r += 7) {
    const std::string& good = corpus[r];
    for (size_t i = 0; i < good.size(); ++i) {
      // Every byte replaced by a few values, and every truncation.
      for (uint8_t value : {uint8_t{0x00}, uint8_t{0x80}, uint8_t{0xff},
                            static_cast<uint8_t>(good[i] ^ 1),
                            static_cast<uint8_t>(rng())}) {
        std::string bad = good;
        bad[i] = static_cast<char>(value);
        SCOPED_TRACE(testing::Message() << "record " << r << " byte " << i);
        ExpectSame(decoder.Decode(bad, &got), got, bad);
        ++cases;
      }
      const std::string cut = good.substr(0, i);
      ExpectSame(decoder.Decode(cut, &got), got, cut);
    }
  }
  EXPECT_GT(cases, 10'000u);
  EXPECT_GT(decoder.stats().fallback, 1'000u);
  EXPECT_GT(decoder.stats().fast, 1'000u);
  // And it is exact again on good records afterwards.
  for (const std::string& bytes : corpus) ExpectSame(decoder.Decode(bytes, &got), got, bytes);
}

TEST(EventDecoder, LongVarintsAndNonMinimalForms) {
  // seq as a 10-byte varint, type as a padded 2-byte varint, a padded tag.
  const std::vector<std::string> records = {
      std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11),
      std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11),
      std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x80\x01", 12),
      std::string("\x18\x81\x00", 3),
      std::string("\x98\x00\x05", 3),
      std::string("\x2a\x80\x00", 3),
      std::string("\x2a\x02\x18\xff", 4),
      std::string("\x2a\x06\x18\xff\xff\xff\xff\x1f", 8),
  };
  EventDecoder decoder;
  v1::FlowEvent got;
  for (const std::string& bytes : records) {
    SCOPED_TRACE(testing::Message() << "record of " << bytes.size() << " bytes");
    ExpectSame(decoder.Decode(bytes, &got), got, bytes);
  }
}

}  // namespace
}  // namespace flowtop::replay
