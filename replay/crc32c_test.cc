#include "replay/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace flowtop::replay {
namespace {

// Check values from RFC 3720 (iSCSI), appendix B.4, and the common
// "123456789" check value of CRC-32C.
TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32cTest, PortableMatchesDispatchedForAllLengthsAndAlignments) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len = 0; start + len <= data.size(); len += 7) {
      EXPECT_EQ(Crc32cExtendPortable(0, data.data() + start, len),
                Crc32cExtend(0, data.data() + start, len))
          << "start " << start << " len " << len;
    }
  }
}

TEST(Crc32cTest, ExtendEqualsOneShot) {
  const std::string data = "flowtop records conntrack events in blocks";
  for (size_t split = 0; split <= data.size(); ++split) {
    const uint32_t first = Crc32cExtend(0, data.data(), split);
    EXPECT_EQ(Crc32cExtend(first, data.data() + split, data.size() - split),
              Crc32c(data));
  }
}

TEST(Crc32cTest, DetectsEverySingleBitFlip) {
  std::string data = "a block payload of some length, 0123456789";
  const uint32_t good = Crc32c(data);
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      data[i] ^= static_cast<char>(1 << bit);
      EXPECT_NE(Crc32c(data), good);
      data[i] ^= static_cast<char>(1 << bit);
    }
  }
}

}  // namespace
}  // namespace flowtop::replay
