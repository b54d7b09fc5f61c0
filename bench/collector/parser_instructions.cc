// Deterministic workload for instruction counting: parses every captured
// fixture message (the same set as parser_bench) a fixed number of rounds
// into one reused FlowEvent and prints how many events it parsed. Wall-clock
// figures are noisy on a shared machine; callgrind's instruction counts of
// this fixed work are repeatable:
//   bazel build -c opt //bench/collector:parser_instructions
//   cd bazel-bin/bench/collector/parser_instructions.runfiles/flowtop
//   valgrind --tool=callgrind
//     --toggle-collect='flowtop::collector::ParseConntrackMessage*'
//     ./bench/collector/parser_instructions [--new_only] [--rounds=N]
// (one command line). Instructions per event = callgrind's total Ir / the
// `calls` printed (every ParseConntrackMessage call, including the ones that
// pick the NEW events out).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "collector/conntrack_parser.h"
#include "collector/netlink_capture.h"

namespace flowtop::collector {
namespace {

int Main(int argc, char** argv) {
  bool new_only = false;
  long rounds = 1000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--new_only") == 0) {
      new_only = true;
    } else if (std::strncmp(argv[i], "--rounds=", 9) == 0) {
      rounds = std::strtol(argv[i] + 9, nullptr, 10);
    } else {
      std::fprintf(stderr,
                   "parser_instructions: unknown flag %s; use --new_only "
                   "and/or --rounds=N\n",
                   argv[i]);
      return 2;
    }
  }
  std::vector<std::string> msgs;
  v1::FlowEvent event;
  long selection_calls = 0;
  for (const char* name :
       {"tcp4", "tcp6", "udp", "udplite", "icmp", "sctp", "nat", "dump"}) {
    auto file = ReadCaptureFile(std::string("tests/fixtures/netlink/") + name +
                                ".nlcap");
    if (!file.ok()) {
      std::fprintf(stderr,
                   "parser_instructions: %s; run it from the workspace "
                   "(bazel run, or the runfiles directory)\n",
                   file.status().ToString().c_str());
      return 1;
    }
    for (std::string& m : *file) {
      if (new_only) ++selection_calls;
      if (new_only && !(ParseConntrackMessage(m.data(), m.size(), event).ok() &&
                        event.type() == v1::NEW)) {
        continue;
      }
      msgs.push_back(std::move(m));
    }
  }
  long parsed = 0, errors = 0;
  for (long r = 0; r < rounds; ++r) {
    for (const std::string& m : msgs) {
      if (!ParseConntrackMessage(m.data(), m.size(), event).ok()) ++errors;
      ++parsed;
    }
  }
  std::printf("messages=%zu rounds=%ld events=%ld errors=%ld calls=%ld\n",
              msgs.size(), rounds, parsed, errors, parsed + selection_calls);
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace flowtop::collector

int main(int argc, char** argv) {
  return flowtop::collector::Main(argc, argv);
}
