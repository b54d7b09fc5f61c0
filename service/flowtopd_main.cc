// flowtopd: serves conntrack flow events over gRPC.
#include <getopt.h>

#include <cstdio>
#include <cstdlib>

#include "collector/version.h"

namespace {

constexpr char kUsage[] =
    "Usage: flowtopd [options]\n"
    "Serves the kernel's conntrack flow events over gRPC.\n"
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
        std::printf("flowtopd %s\n%s\n", flowtop::kVersion,
                    flowtop::kGeoAttribution);
        return EXIT_SUCCESS;
      case 'h':
        std::fputs(kUsage, stdout);
        return EXIT_SUCCESS;
      default:
        std::fputs("flowtopd: run 'flowtopd --help' for the options\n", stderr);
        return 2;
    }
  }
  std::fputs("flowtopd: the service is not built yet; see --help\n", stderr);
  return EXIT_FAILURE;
}
