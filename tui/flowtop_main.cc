// flowtop: a top-like view of the kernel's connection tracking.
#include <getopt.h>

#include <cstdio>
#include <cstdlib>

#include "collector/version.h"

namespace {

constexpr char kUsage[] =
    "Usage: flowtop [options]\n"
    "A top-like view of the flows the kernel's connection tracking knows.\n"
    "\n"
    "Options:\n"
    "  -v, --version   print the version and exit\n"
    "  -h, --help      print this help and exit\n";

}  // namespace

int main(int argc, char** argv) {
  static const option kOptions[] = {
      {"version", no_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  int opt;
  while ((opt = getopt_long(argc, argv, "vh", kOptions, nullptr)) != -1) {
    switch (opt) {
      case 'v':
        std::printf("flowtop %s\n%s\n", flowtop::kVersion,
                    flowtop::kGeoAttribution);
        return EXIT_SUCCESS;
      case 'h':
        std::fputs(kUsage, stdout);
        return EXIT_SUCCESS;
      default:
        std::fputs("flowtop: run 'flowtop --help' for the options\n", stderr);
        return 2;
    }
  }
  std::fputs("flowtop: the flow view is not built yet; see --help\n", stderr);
  return EXIT_FAILURE;
}
