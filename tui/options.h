// Command-line options of the flowtop client, parsed into one struct.
//
// The letters and long names of the original netsniff-ng flowtop are kept
// (-4 -6 -T -U -D -I -S -n -G -s -b -u -t -v -h, additive like the
// original: naming any protocol shows only the named ones); remote mode,
// replay and the script-friendly modes add long options only.
#ifndef FLOWTOP_TUI_OPTIONS_H_
#define FLOWTOP_TUI_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client_options.h"
#include "tui/view_state.h"

namespace flowtop::tui {

enum class OutputMode { kInteractive, kBatch, kJson };

struct Options {
  enum class Action { kRun, kHelp, kVersion, kUpdateGeoIp, kCheck };
  Action action = Action::kRun;

  ViewState view;                      // initial toggles, sort, filter
  absl::Duration interval = absl::Seconds(1);
  std::vector<std::string> connect;    // HOST:PORT endpoints (remote mode)
  // TLS and token for every --connect (the client flag group's struct;
  // its endpoint is unused: each --connect names one).
  client::ClientOptions tls;
  std::string replay_file;             // replay mode
  OutputMode output = OutputMode::kInteractive;
  uint64_t count = 0;                  // snapshots to print (0: until the end)
  int width = 0;                       // --batch line width (0: unlimited)
  bool no_dns = false;                 // -n: no reverse DNS (local mode)
  bool no_geoip = false;               // -G: no GeoIP lookups
  // --enable-conntrack: while flowtop runs (local mode), an nftables table
  // makes the kernel track this namespace's flows (check/conntrack_enabler.h).
  bool enable_conntrack = false;
  bool no_bpf = false;                 // --no-bpf: process attribution by sock_diag only

  bool local() const { return connect.empty() && replay_file.empty(); }
};

// Returns the usage text printed by --help.
const char* Usage();

// Parses argv (argv[0] is the program name). Returns INVALID_ARGUMENT with a
// one-line message naming the bad flag or value ("unknown option '--foo'",
// "--count: 'x' is not a positive number", "--connect: 'host' needs
// HOST:PORT").
// With `file_argument` (the `flowtop replay FILE` form) one positional
// argument is accepted as the recording to replay.
absl::StatusOr<Options> ParseOptions(int argc, char** argv, bool file_argument = false);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_OPTIONS_H_
