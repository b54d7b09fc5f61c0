#include "tui/text.h"

#include <cstdint>

#include "core/utf8.h"

namespace flowtop::tui {
namespace {

int CellWidth(int32_t cp) {
  if (cp == 0) return 0;
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
      (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
      (cp >= 0xFE20 && cp <= 0xFE2F) || cp == 0x200B || cp == 0x200D ||
      (cp >= 0xFE00 && cp <= 0xFE0F)) {
    return 0;
  }
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
      (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
      (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

void AppendUtf8(int32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::string Sanitize(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t len;
    const int32_t cp = core::DecodeUtf8(s, i, len);
    if (cp < 0) {
      AppendUtf8(0xFFFD, out);
    } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
      out.push_back('?');
    } else {
      out.append(s.data() + i, len);
    }
    i += len;
  }
  return out;
}

int DisplayWidth(absl::string_view s) {
  int width = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len;
    const int32_t cp = core::DecodeUtf8(s, i, len);
    width += cp < 0 ? 1 : CellWidth(cp);
    i += len;
  }
  return width;
}

std::string Fit(absl::string_view s, int width, Align align) {
  if (width <= 0) return "";
  const int w = DisplayWidth(s);
  if (w <= width) {
    std::string pad(static_cast<size_t>(width - w), ' ');
    return align == Align::kLeft ? std::string(s) + pad : pad + std::string(s);
  }
  if (width == 1) return "~";
  std::string cut = Slice(s, 0, width - 1);
  cut.append(static_cast<size_t>(width - 1 - DisplayWidth(cut)), ' ');
  cut.push_back('~');
  return cut;
}

std::string Slice(absl::string_view s, int skip, int width) {
  std::string out;
  int col = 0;
  const int end = skip + width;
  for (size_t i = 0; i < s.size() && col < end;) {
    size_t len;
    const int32_t cp = core::DecodeUtf8(s, i, len);
    const int cw = cp < 0 ? 1 : CellWidth(cp);
    if (col >= skip && col + cw <= end) {
      out.append(s.data() + i, len);
    } else {
      // A wide character cut by an edge: keep the cell count right.
      for (int c = col; c < col + cw; ++c) {
        if (c >= skip && c < end) out.push_back(' ');
      }
    }
    col += cw;
    i += len;
  }
  return out;
}

}  // namespace flowtop::tui
