#include "core/record_order.h"

#include <cstring>
#include <limits>

namespace flowtop::core {
namespace {

constexpr uint64_t kSign = uint64_t{1} << 63;

// Doubles in an order-preserving unsigned form (NaN aside).
uint64_t OrderedBits(double x) {
  if (x == 0) x = 0;  // -0 and +0 compare equal: one value for both
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  return (bits & kSign) != 0 ? ~bits : bits | kSign;
}

int Digits(uint32_t v) {
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

constexpr uint64_t kPow10[] = {1,         10,         100,       1000,
                               10000,     100000,     1000000,   10000000,
                               100000000, 1000000000, 10000000000};

}  // namespace

bool HasSortValue(v1::SortKey key) {
  for (v1::SortKey k : kValueKeys) {
    if (k == key) return true;
  }
  return false;
}

uint64_t SortValue(const FlowRecord& r, v1::SortKey key) {
  switch (key) {
    case v1::SORT_BYTES:
      return r.total_bytes();
    case v1::SORT_PACKETS:
      return r.total_packets();
    case v1::SORT_RATE:
      return OrderedBits(r.total_bytes_per_second());
    case v1::SORT_AGE:  // older (seen earlier) = larger age
      return ~(static_cast<uint64_t>(r.first_seen_unix_nanos) ^ kSign);
    default:
      return 0;
  }
}

absl::uint128 IdRank(const FlowRecord& r) {
  // After the common "<node>/", the id is the conntrack id's decimal digits
  // and, for a keyed flow, "." and 8 lowercase hex digits of the key's high
  // half. As strings: the digits compare like the number padded with zeros
  // to 10 digits; when those are equal the shorter digits ("12" before
  // "120": '.' and the end sort before '0') come first; then no key before
  // a key; then the hex digits, which compare like the number.
  const int digits = Digits(r.conntrack_id);
  const uint64_t padded = r.conntrack_id * kPow10[10 - digits];  // < 2^34
  const uint32_t high = static_cast<uint32_t>(r.key >> 32);
  const bool keyed = r.key != 0;
  return (absl::uint128(padded) << 37) | (absl::uint128(digits) << 33) |
         (absl::uint128(keyed) << 32) | high;
}

int RecordBounds::Slot(v1::SortKey key) {
  switch (key) {
    case v1::SORT_BYTES:
      return 0;
    case v1::SORT_RATE:
      return 1;
    case v1::SORT_PACKETS:
      return 2;
    default:
      return 3;
  }
}

void RecordBounds::Reset() {
  for (int i = 0; i < 4; ++i) {
    min_[i] = std::numeric_limits<uint64_t>::max();
    max_[i] = 0;
  }
  min_id_rank_ = absl::Uint128Max();
  node_ = 0;
  uniform_ = true;
  empty_ = true;
}

void RecordBounds::Include(const FlowRecord& r) {
  for (v1::SortKey key : kValueKeys) {
    const uint64_t v = SortValue(r, key);
    const int i = Slot(key);
    if (v < min_[i]) min_[i] = v;
    if (v > max_[i]) max_[i] = v;
  }
  if (empty_) node_ = r.node;
  empty_ = false;
  if (!r.has(FlowRecord::kIdDerived) || r.node != node_) uniform_ = false;
  const absl::uint128 rank = IdRank(r);
  if (rank < min_id_rank_) min_id_rank_ = rank;
}

}  // namespace flowtop::core
