// golden_dump FILE: prints GoldenReport(FILE); make_fixture.sh writes the
// golden file with it, golden_test compares against that file.
#include <cstdio>
#include <string>

#include "tests/replay/golden_report.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: golden_dump FILE\n");
    return 2;
  }
  absl::StatusOr<std::string> report = flowtop::replay::GoldenReport(argv[1]);
  if (!report.ok()) {
    std::fprintf(stderr, "golden_dump: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  std::fputs(report->c_str(), stdout);
  return 0;
}
