// golden_dump FILE [--frames]: prints GoldenReport(FILE), or with --frames
// GoldenFrames(FILE); make_fixture.sh writes the golden files with it,
// golden_test compares against them.
#include <cstdio>
#include <string>

#include "tests/replay/golden_frames.h"
#include "tests/replay/golden_report.h"

int main(int argc, char** argv) {
  const bool frames = argc == 3 && std::string(argv[2]) == "--frames";
  if (argc != 2 && !frames) {
    std::fprintf(stderr, "usage: golden_dump FILE [--frames]\n");
    return 2;
  }
  absl::StatusOr<std::string> report = frames ? flowtop::replay::GoldenFrames(argv[1])
                                              : flowtop::replay::GoldenReport(argv[1]);
  if (!report.ok()) {
    std::fprintf(stderr, "golden_dump: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  std::fputs(report->c_str(), stdout);
  return 0;
}
