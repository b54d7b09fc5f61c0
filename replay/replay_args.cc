#include "replay/replay_args.h"

#include <getopt.h>

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace flowtop::replay {

absl::Status GetoptProblem(char** argv) {
  return absl::InvalidArgumentError(
      absl::StrCat("unknown or incomplete option '", argv[optind - 1], "'"));
}

absl::StatusOr<std::string> RecordingArgument(int argc, char** argv, absl::string_view usage) {
  if (optind >= argc) {
    return absl::InvalidArgumentError(absl::StrCat("no recording named: ", usage));
  }
  if (argc - optind > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", argv[optind + 1], "'"));
  }
  return std::string(argv[optind]);
}

int ReplayUsageError(absl::string_view message) {
  std::fprintf(stderr, "flowtop replay: %.*s; run 'flowtop replay --help'\n",
               static_cast<int>(message.size()), message.data());
  return 2;
}

int ReplayFailure(const absl::Status& status) {
  std::fprintf(stderr, "flowtop replay: %.*s\n", static_cast<int>(status.message().size()),
               status.message().data());
  return 1;
}

}  // namespace flowtop::replay
