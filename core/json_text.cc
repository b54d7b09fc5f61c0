#include "core/json_text.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/utf8.h"

namespace flowtop::core {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Bytes that pass into a JSON string unchanged: printable ASCII but `"`,
// `\`, `<` and `>`. Every other byte needs a look (an escape, or the start
// of a multi-byte sequence).
struct PlainBytes {
  bool plain[256] = {};
  constexpr PlainBytes() {
    for (int c = 0x20; c < 0x7f; ++c) plain[c] = c != '"' && c != '\\' && c != '<' && c != '>';
  }
};
constexpr PlainBytes kPlain;

// Appends \uXXXX for a code unit.
void AppendU(uint32_t unit, std::string& out) {
  const char text[6] = {'\\', 'u', kHex[(unit >> 12) & 15], kHex[(unit >> 8) & 15],
                        kHex[(unit >> 4) & 15], kHex[unit & 15]};
  out.append(text, 6);
}

// The escape of an ASCII byte that is not plain.
void AppendAsciiEscape(unsigned char c, std::string& out) {
  switch (c) {
    case '"': out.append("\\\""); return;
    case '\\': out.append("\\\\"); return;
    case '\b': out.append("\\b"); return;
    case '\t': out.append("\\t"); return;
    case '\n': out.append("\\n"); return;
    case '\f': out.append("\\f"); return;
    case '\r': out.append("\\r"); return;
    default: AppendU(c, out); return;  // other controls, <, >, DEL
  }
}

// Code points of the Basic Multilingual Plane written as \uXXXX: the C1
// controls and those JavaScript engines mishandle.
bool EscapedInPlane(uint32_t cp) {
  switch (cp) {
    case 0x00ad: case 0x06dd: case 0x070f: case 0x17b4: case 0x17b5:
    case 0xfeff: case 0xfff9: case 0xfffa: case 0xfffb:
      return true;
    default:
      return cp < 0xa0 || (cp >= 0x0600 && cp <= 0x0603) ||
             (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
             (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f);
  }
}

// Code points beyond the plane written as a \uXXXX\uXXXX surrogate pair.
bool EscapedAsPair(uint32_t cp) {
  return cp == 0xe0001 || (cp >= 0xe0020 && cp <= 0xe007f) ||
         (cp >= 0x1d173 && cp <= 0x1d17a);
}

// Appends the sequence of `len` bytes at s[i] that starts with a byte of
// 0x80 or more: escaped, passed through, or U+FFFD when invalid. Returns
// the bytes consumed.
size_t AppendNonAscii(absl::string_view s, size_t i, std::string& out) {
  size_t len;
  const int32_t cp = DecodeUtf8(s, i, len);
  if (cp < 0) {
    out.append(kReplacement, 3);
  } else if (EscapedInPlane(static_cast<uint32_t>(cp))) {
    AppendU(static_cast<uint32_t>(cp), out);
  } else if (EscapedAsPair(static_cast<uint32_t>(cp))) {
    const uint32_t v = static_cast<uint32_t>(cp) - 0x10000;
    AppendU(0xd800 + (v >> 10), out);
    AppendU(0xdc00 + (v & 0x3ff), out);
  } else {
    out.append(s.data() + i, len);
  }
  return len;
}

}  // namespace

void AppendJsonString(absl::string_view s, std::string& out) {
  out.push_back('"');
  size_t run = 0;  // start of the plain bytes not yet appended
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (kPlain.plain[c]) {
      ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    if (c < 0x80) {
      AppendAsciiEscape(c, out);
      ++i;
    } else {
      i += AppendNonAscii(s, i, out);
    }
    run = i;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void AppendJsonDouble(double value, std::string& out) {
  if (std::isnan(value)) {
    out.append("\"NaN\"");
    return;
  }
  if (std::isinf(value)) {
    out.append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char buf[32];
  // Whole numbers below 10^15 print as their digits under %.15g: the
  // common case (rates of whole packets and bytes per second), without
  // the general formatting and its read-back.
  if (std::fabs(value) < 1e15 && value == std::trunc(value)) {
    if (value == 0 && std::signbit(value)) {
      out.append("-0");
      return;
    }
    const auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(value));
    out.append(buf, r.ptr);
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general, 15);
  double back = 0;
  std::from_chars(buf, r.ptr, back);
  if (back != value) {
    r = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general, 17);
  }
  out.append(buf, r.ptr);
}

void AppendDecimal(uint64_t value, std::string& out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, r.ptr);
}

void AppendQuotedDecimal(uint64_t value, std::string& out) {
  out.push_back('"');
  AppendDecimal(value, out);
  out.push_back('"');
}

void AppendQuotedDecimal(int64_t value, std::string& out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), value);
  out.push_back('"');
  out.append(buf, r.ptr);
  out.push_back('"');
}

std::string RepairUtf8(absl::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    size_t len;
    if (DecodeUtf8(s, i, len) < 0) {
      out.append(kReplacement, 3);
    } else {
      out.append(s.data() + i, len);
    }
    i += len;
  }
  return out;
}

}  // namespace flowtop::core
