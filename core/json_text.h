// JSON text of single values, written as protobuf's JSON printer
// (google::protobuf::util::MessageToJsonString, protobuf 3.21) writes them,
// for writers that go from a record straight to text (core/flow_json.h).
//
// Strings: valid UTF-8 is escaped exactly as the printer escapes it: `"`
// and `\` with a backslash; control characters U+0000..U+001F as \b \t \n
// \f \r or \u00XX; `<`, `>` and U+007F..U+009F as \u00XX; the invisible and
// direction-changing code points JavaScript mishandles (U+00AD, U+0600..0603,
// U+06DD, U+070F, U+17B4, U+17B5, U+200B..200F, U+2028..202E, U+2060..2064,
// U+206A..206F, U+FEFF, U+FFF9..FFFB) as \uXXXX, and the language tags and
// musical formatting marks (U+E0001, U+E0020..E007F, U+1D173..1D17A) as
// surrogate pairs; lower-case hex throughout. Everything else passes as is.
// Invalid UTF-8 (core/utf8.h's strict rule) becomes U+FFFD, one per byte
// that does not start a valid sequence, as the TUI shows it: the output is
// always valid JSON and no byte is dropped silently. (protobuf's printer
// drops such bytes, and sometimes the byte after them.)
//
// Doubles: as the printer's SimpleDtoa: "%.15g", or "%.17g" when that does
// not read back as the same double; NaN and infinities as the strings
// "NaN", "Infinity", "-Infinity".
#ifndef FLOWTOP_CORE_JSON_TEXT_H_
#define FLOWTOP_CORE_JSON_TEXT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace flowtop::core {

// Appends `s` as a quoted JSON string.
void AppendJsonString(absl::string_view s, std::string& out);

// Appends `value` as a JSON number (or a quoted string for NaN and the
// infinities).
void AppendJsonDouble(double value, std::string& out);

// Appends `value` in decimal.
void AppendDecimal(uint64_t value, std::string& out);

// Appends `value` in decimal between quotes, as the printer writes 64-bit
// integers.
void AppendQuotedDecimal(uint64_t value, std::string& out);
void AppendQuotedDecimal(int64_t value, std::string& out);

// Returns `s` with each invalid UTF-8 byte replaced by U+FFFD (`s` itself
// when it is valid): the string AppendJsonString writes for `s`, before
// escaping.
std::string RepairUtf8(absl::string_view s);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_JSON_TEXT_H_
