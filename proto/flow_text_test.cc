#include "proto/flow_text.h"

#include <arpa/inet.h>

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace flowtop {
namespace {

std::string V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                     static_cast<char>(d)};
}

std::string V6Doc1() {  // 2001:db8::1
  std::string s(16, '\0');
  s[0] = 0x20; s[1] = 0x01; s[2] = 0x0d; s[3] = static_cast<char>(0xb8); s[15] = 1;
  return s;
}

v1::Flow SampleFlow() {
  v1::Flow f;
  f.set_conntrack_id(7);
  f.mutable_original()->set_src_ip(V4(192, 0, 2, 1));
  f.mutable_original()->set_dst_ip(V4(198, 51, 100, 7));
  f.mutable_reply()->set_src_ip(V4(198, 51, 100, 7));
  f.mutable_reply()->set_dst_ip(V4(203, 0, 113, 9));
  return f;
}

TEST(AddressText, FourAndSixteenBytes) {
  EXPECT_EQ(AddressText(V4(192, 0, 2, 1)), "192.0.2.1");
  EXPECT_EQ(AddressText(V6Doc1()), "2001:db8::1");
  EXPECT_EQ(AddressText(""), "");
  EXPECT_EQ(AddressText("abc"), "");
}

TEST(FillAddressText, BothTuples) {
  v1::Flow f = SampleFlow();
  FillAddressText(&f);
  EXPECT_EQ(f.original().src_addr(), "192.0.2.1");
  EXPECT_EQ(f.original().dst_addr(), "198.51.100.7");
  EXPECT_EQ(f.reply().dst_addr(), "203.0.113.9");
  EXPECT_EQ(f.original().src_ip(), V4(192, 0, 2, 1));  // bytes kept
}

// The suffix as protobuf itself serialises it: the message the hand-written
// encoder stands for (inet_ntop for the text).
std::string ReferenceSuffix(const v1::FlowEvent& event) {
  if (!event.has_flow()) return "";
  const v1::Flow& f = event.flow();
  if (!f.has_original() && !f.has_reply()) return "";
  auto text = [](const std::string& bytes) -> std::string {
    char buf[INET6_ADDRSTRLEN];
    const int family = bytes.size() == 4 ? AF_INET : bytes.size() == 16 ? AF_INET6 : 0;
    if (family == 0 || inet_ntop(family, bytes.data(), buf, sizeof(buf)) == nullptr) return "";
    return buf;
  };
  v1::FlowEvent suffix;
  auto add = [&](const v1::Tuple& from, v1::Tuple* to) {
    if (!from.src_ip().empty()) to->set_src_addr(text(from.src_ip()));
    if (!from.dst_ip().empty()) to->set_dst_addr(text(from.dst_ip()));
  };
  if (f.has_original()) add(f.original(), suffix.mutable_flow()->mutable_original());
  if (f.has_reply()) add(f.reply(), suffix.mutable_flow()->mutable_reply());
  return suffix.SerializeAsString();
}

// An address of every shape the encoder meets: IPv4 (one to three digits
// per byte), IPv6 with and without zero runs, v4-mapped (the longest
// text), none, and malformed lengths.
std::string RandomIp(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0: return "";
    case 1: return std::string(1 + rng() % 15, 'x');  // malformed
    case 2: {
      std::string s(16, '\0');
      s[10] = s[11] = static_cast<char>(0xff);
      for (int i = 12; i < 16; ++i) s[i] = static_cast<char>(rng());
      return s;  // ::ffff:a.b.c.d
    }
    case 3: case 4: {
      std::string s(16, '\0');
      for (char& c : s) c = rng() % 3 == 0 ? 0 : static_cast<char>(rng());
      return s;
    }
    default: {
      std::string s(4, '\0');
      for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 10 : rng() % 256);
      return s;
    }
  }
}

TEST(AddressTextSuffix, EqualsProtobufsOwnSerialisationOverRandomFlows) {
  std::mt19937_64 rng(20261203);
  for (int i = 0; i < 50000; ++i) {
    v1::FlowEvent e;
    e.set_seq(i);
    if (rng() % 10 != 0) {
      v1::Flow* f = e.mutable_flow();
      f->set_conntrack_id(static_cast<uint32_t>(rng()));
      for (v1::Tuple* t : {f->mutable_original(), f->mutable_reply()}) {
        t->set_src_ip(RandomIp(rng));
        t->set_dst_ip(RandomIp(rng));
        t->set_src_port(static_cast<uint32_t>(rng() % 65536));
      }
      if (rng() % 5 == 0) f->clear_original();
      if (rng() % 5 == 0) f->clear_reply();
    }
    const std::string expected = ReferenceSuffix(e);
    ASSERT_EQ(AddressTextSuffix(e), expected) << e.DebugString();
    std::string appended = "prefix";
    ASSERT_EQ(AppendAddressTextSuffix(e, &appended), expected.size());
    ASSERT_EQ(appended, "prefix" + expected);
  }
}

TEST(AddressText, EqualsInetNtopForEveryIpv4ByteValue) {
  for (int v = 0; v < 256; ++v) {
    const std::string ip = V4(static_cast<uint8_t>(v), static_cast<uint8_t>(255 - v),
                              static_cast<uint8_t>(v / 2), static_cast<uint8_t>(v % 10));
    char buf[INET_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET, ip.data(), buf, sizeof(buf)), nullptr);
    EXPECT_EQ(AddressText(ip), buf);
  }
}

// Every zero-run shape (each of the 256 patterns of zero and non-zero
// groups, non-zero groups random), the v4-compatible and v4-mapped forms,
// and random addresses: the text is inet_ntop's.
TEST(AddressText, EqualsInetNtopForIpv6) {
  std::mt19937_64 rng(6);
  auto check = [](const std::string& ip) {
    char buf[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, ip.data(), buf, sizeof(buf)), nullptr);
    ASSERT_EQ(AddressText(ip), buf);
  };
  for (int round = 0; round < 200; ++round) {
    for (int pattern = 0; pattern < 256; ++pattern) {
      std::string ip(16, '\0');
      for (int g = 0; g < 8; ++g) {
        if (pattern & (1 << g)) {
          const uint16_t w = static_cast<uint16_t>(1 + rng() % 0xffff) >> (rng() % 16);
          ip[2 * g] = static_cast<char>(w >> 8);
          ip[2 * g + 1] = static_cast<char>(w == 0 ? 1 : w & 0xff);
        }
      }
      check(ip);
      std::string mapped = ip;
      mapped[10] = mapped[11] = static_cast<char>(0xff);
      check(mapped);
    }
  }
  for (int i = 0; i < 100000; ++i) {
    std::string ip(16, '\0');
    for (char& c : ip) c = static_cast<char>(rng() % 3 == 0 ? 0 : rng());
    check(ip);
  }
}

TEST(AddressTextSuffix, AppendedBytesParseAsTextFields) {
  v1::FlowEvent e;
  e.set_type(v1::NEW);
  *e.mutable_flow() = SampleFlow();
  e.mutable_flow()->mutable_original()->set_src_ip(V6Doc1());
  std::string wire = e.SerializeAsString() + AddressTextSuffix(e);
  v1::FlowEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.flow().original().src_addr(), "2001:db8::1");
  EXPECT_EQ(parsed.flow().reply().src_addr(), "198.51.100.7");
  EXPECT_EQ(parsed.flow().original().src_ip(), V6Doc1());
  EXPECT_EQ(parsed.flow().conntrack_id(), 7u);
  EXPECT_EQ(parsed.type(), v1::NEW);
}

TEST(AddressTextSuffix, NothingForEventsWithoutAddresses) {
  v1::FlowEvent e;
  e.set_type(v1::ENRICH);
  e.mutable_flow()->set_conntrack_id(3);
  EXPECT_EQ(AddressTextSuffix(e), "");
  e.Clear();
  e.set_type(v1::LOST);
  EXPECT_EQ(AddressTextSuffix(e), "");
}

TEST(MakeReadable, TextOnlyAndNoEmptyObjects) {
  v1::Flow f = SampleFlow();
  v1::Enrichment* e = f.mutable_enrichment();
  e->mutable_src()->mutable_process();            // empty
  e->mutable_dst()->mutable_process()->set_pid(42);
  e->mutable_dst()->mutable_geo();                // empty
  f.mutable_original_counters();                  // zero counters mean zero
  MakeReadable(&f);
  EXPECT_TRUE(f.original().src_ip().empty());
  EXPECT_EQ(f.original().src_addr(), "192.0.2.1");
  EXPECT_FALSE(f.enrichment().has_src());
  EXPECT_TRUE(f.enrichment().dst().has_process());
  EXPECT_FALSE(f.enrichment().dst().has_geo());
  EXPECT_TRUE(f.has_original_counters());
}

TEST(MakeReadable, EmptyEnrichmentGoes) {
  v1::Flow f = SampleFlow();
  f.mutable_enrichment()->mutable_src()->mutable_process();
  f.mutable_enrichment()->mutable_dst();
  MakeReadable(&f);
  EXPECT_FALSE(f.has_enrichment());
}

}  // namespace
}  // namespace flowtop
