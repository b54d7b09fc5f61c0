// Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing beyond
// U+10FFFF), shared by the recording decoder (proto3 strings must be valid
// UTF-8) and the TUI (which replaces what is not).
#ifndef FLOWTOP_COLLECTOR_UTF8_H_
#define FLOWTOP_COLLECTOR_UTF8_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace flowtop::core {

// Decodes the sequence at s[i] (i < s.size()). Returns the code point and
// sets `len` to its length; returns -1 with `len` = 1 for an invalid or
// truncated sequence.
int32_t DecodeUtf8(absl::string_view s, size_t i, size_t& len);

// True when all of `s` is valid UTF-8 (ASCII runs are checked 8 bytes at a
// time).
bool IsValidUtf8(absl::string_view s);

}  // namespace flowtop::core

#endif  // FLOWTOP_COLLECTOR_UTF8_H_
