// CRC32C (Castagnoli), the checksum of every block in a recording file.
//
// CRC32C detects the damage a recording meets in practice (torn writes, flipped
// bits, truncation) and x86-64 computes it in hardware (SSE4.2 crc32), so
// checking every block costs far less than decoding it. This is our own
// implementation: a slicing-by-8 table path for any CPU and an SSE4.2 path
// chosen at run time.
#ifndef FLOWTOP_REPLAY_CRC32C_H_
#define FLOWTOP_REPLAY_CRC32C_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace flowtop::replay {

// Returns the CRC32C of `size` bytes at `data`, continuing from `crc` (the
// result of a previous call, or 0 to start). Never fails.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

// Returns the CRC32C of `data`.
inline uint32_t Crc32c(absl::string_view data) {
  return Crc32cExtend(0, data.data(), data.size());
}

// The portable table path, exposed so tests compare it with the hardware one.
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t size);

// Returns true when Crc32cExtend uses the CPU's crc32 instruction.
bool Crc32cIsHardwareAccelerated();

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_CRC32C_H_
