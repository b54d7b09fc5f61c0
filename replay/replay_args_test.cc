#include "replay/replay_args.h"

#include <getopt.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace flowtop::replay {
namespace {

// Runs getopt_long over `args` (no options known) as the replay commands
// do, then returns RecordingArgument's answer, or getopt's complaint.
absl::StatusOr<std::string> Recording(std::vector<std::string> args) {
  args.insert(args.begin(), "flowtop replay");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  static const option kNone[] = {{"json", no_argument, nullptr, 1000}, {nullptr, 0, nullptr, 0}};
  optind = 0;
  opterr = 0;
  int opt;
  const int argc = static_cast<int>(args.size());
  while ((opt = getopt_long(argc, argv.data(), ":", kNone, nullptr)) != -1) {
    if (opt == '?' || opt == ':') return GetoptProblem(argv.data());
  }
  return RecordingArgument(argc, argv.data(), "flowtop replay FILE --json");
}

TEST(ReplayArgs, OneRecordingAfterTheOptions) {
  EXPECT_EQ(*Recording({"--json", "f.ftr"}), "f.ftr");
  EXPECT_EQ(*Recording({"f.ftr", "--json"}), "f.ftr");  // getopt moves it last
  EXPECT_EQ(Recording({"--json"}).status().message(),
            "no recording named: flowtop replay FILE --json");
  EXPECT_EQ(Recording({"a", "b"}).status().message(), "unexpected argument 'b'");
  EXPECT_EQ(Recording({"--frob", "a"}).status().message(),
            "unknown or incomplete option '--frob'");
}

}  // namespace
}  // namespace flowtop::replay
