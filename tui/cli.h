// The flowtop program as a function: options, sources, and the chosen loop
// (interactive, --batch, --json), with one-line errors and exit codes.
//
// The binary calls RunFlowtop with the real SourceFactory; tests call it
// with a factory that plays fixtures, so the program itself (not a copy of
// it) runs under test, in a real terminal (tmux) or without one.
#ifndef FLOWTOP_TUI_CLI_H_
#define FLOWTOP_TUI_CLI_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "tui/sources.h"

namespace flowtop::tui {

// Sub-commands dispatched on argv[1] ("record", "replay"): they receive
// argc/argv with argv[0] = "flowtop record" and return the exit code.
using Subcommand = std::function<int(int argc, char** argv)>;

struct Program {
  SourceFactory* factory = nullptr;
  std::map<std::string, Subcommand> subcommands;
  // -u/--update: updates the GeoIP databases; returns the exit code.
  std::function<int()> update_geoip;
  // --check: prints what works on this host; returns the exit code (0 when
  // flowtop can work, 1 otherwise).
  std::function<int(const Options&)> check;
  // Accept one positional argument as --replay FILE (`flowtop replay FILE`).
  bool file_argument = false;
};

// Runs flowtop. Returns the process exit code: 0 success, 1 run-time error
// (no privileges, unreadable recording, ...), 2 bad command line.
int RunFlowtop(int argc, char** argv, Program& program);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_CLI_H_
