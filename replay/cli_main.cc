// flowtop-recording: `record` and `replay --json/--summary/--info` as a
// standalone program, for tests and for hosts without the TUI. The flowtop
// binary dispatches the same subcommands to the same functions.
#include <cstdio>
#include <cstring>

#include "replay/record_main.h"
#include "replay/replay_main.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "record") == 0) {
    return flowtop::replay::RecordMain(argc - 1, argv + 1);
  }
  if (argc >= 2 && std::strcmp(argv[1], "replay") == 0) {
    return flowtop::replay::ReplayMain(argc - 1, argv + 1);
  }
  std::fputs(
      "Usage: flowtop-recording record -o FILE [options]\n"
      "       flowtop-recording replay FILE --json|--summary|--info\n",
      argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)
          ? stdout
          : stderr);
  return argc >= 2 && (std::strcmp(argv[1], "--help") == 0) ? 0 : 2;
}
