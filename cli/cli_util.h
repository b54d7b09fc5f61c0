// The command-line vocabulary shared by flowtop, flowtop record/replay,
// flowtopd and flowtop-recording: value grammars (sizes "64M", durations
// "500ms" "2s" "1m" or plain seconds, speeds "4" "max", counts, times), the
// protocol-selection flags -4 -6 -T -U -D -I -S, and one way to say that a
// value is wrong. Each binary keeps its own getopt table; what a value means
// and how its error reads is decided here once.
#ifndef FLOWTOP_CLI_CLI_UTIL_H_
#define FLOWTOP_CLI_CLI_UTIL_H_

#include <getopt.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::cli {

// Returns INVALID_ARGUMENT "--flag: 'text' what": the one line every
// binary prints for a value it cannot use (what: "is not a positive number",
// "must be between 100ms and 1h").
absl::Status Bad(absl::string_view flag, absl::string_view text,
                 absl::string_view what);

// Returns bytes for "123", "64K", "10M", "2G" (powers of 1024).
// INVALID_ARGUMENT "--flag 'text' is not a size (...)" otherwise.
absl::StatusOr<uint64_t> ParseSize(absl::string_view flag, absl::string_view text);

// Returns the duration of "90" (seconds), "1.5", "90s", "1.5m", "2h",
// "500ms". Errors as ParseSize; negative durations are refused.
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag,
                                                 absl::string_view text);

// Returns true when `text` reads as a duration (ParseDurationFlag's grammar)
// and stores it in *out; false otherwise. For flags with their own message.
bool ReadDuration(absl::string_view text, absl::Duration* out);

// Returns the replay speed: a positive number ("1", "4", "0.5") or 0 for
// "max". Errors as ParseSize.
absl::StatusOr<double> ParseSpeed(absl::string_view text);

// Returns a non-negative integer. Errors as ParseSize.
absl::StatusOr<uint64_t> ParseCount(absl::string_view flag, absl::string_view text);

// Returns a time from RFC 3339 ("2026-11-26T20:30:00Z") or, with a leading
// '+', an offset from `base` ("+90s"). Errors as ParseSize.
absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view flag,
                                         absl::string_view text, absl::Time base);

// The protocol-selection flags every binary shares. Naming a family or a
// protocol selects only those named (additive); naming none selects the
// binary's default.
struct ProtocolSelection {
  bool ipv4 = false;
  bool ipv6 = false;
  bool tcp = false;
  bool udp = false;  // UDP and UDP-lite
  bool dccp = false;
  bool icmp = false;  // ICMP and ICMPv6
  bool sctp = false;

  bool any_family() const { return ipv4 || ipv6; }
  bool any_protocol() const { return tcp || udp || dccp || icmp || sctp; }
  // The families and protocols named, as proto enums (UDP adds UDP-lite,
  // ICMP adds ICMPv6); empty when none was named.
  std::vector<v1::AddressFamily> Families() const;
  std::vector<v1::L4Protocol> Protocols() const;
};

// Their short options, for getopt's option string.
inline constexpr char kProtocolShortOptions[] = "46TUDIS";

// Their long options (--ipv4 --ipv6 --tcp --udp --dccp --icmp --sctp), each
// returning its short letter, for a getopt_long table.
inline constexpr option kProtocolLongOptions[] = {
    {"ipv4", no_argument, nullptr, '4'}, {"ipv6", no_argument, nullptr, '6'},
    {"tcp", no_argument, nullptr, 'T'},  {"udp", no_argument, nullptr, 'U'},
    {"dccp", no_argument, nullptr, 'D'}, {"icmp", no_argument, nullptr, 'I'},
    {"sctp", no_argument, nullptr, 'S'},
};

// Returns the field of `selection` that option `opt` ('4', '6', 'T', 'U',
// 'D', 'I', 'S') sets, or nullptr for any other option (flowtopd's config
// keys set it to true or false through it).
bool* ProtocolFlag(int opt, ProtocolSelection* selection);

// Returns a getopt_long table: the entries of each group in order (a
// binary's own options, kProtocolLongOptions, the client group...), then
// the terminating zero entry. Groups are listed, never copied by index.
std::vector<option> LongOptionTable(
    std::initializer_list<std::vector<option>> groups);

// Returns the entries of a constant group (kProtocolLongOptions, ...).
template <size_t N>
std::vector<option> Group(const option (&entries)[N]) {
  return std::vector<option>(entries, entries + N);
}

// Records the protocol option `opt` ('4', '6', 'T', 'U', 'D', 'I', 'S') in
// *selection. Returns false, changing nothing, for any other option.
bool ApplyProtocolOption(int opt, ProtocolSelection* selection);

}  // namespace flowtop::cli

#endif  // FLOWTOP_CLI_CLI_UTIL_H_
