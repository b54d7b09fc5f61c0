// libFuzzer target: every configuration file flowtop reads. The first byte
// picks the reader, the rest is the file:
//   0  flowtopd.conf through flowtopd's command line (--config FILE: the
//      bounded file read, ApplyConfigText, then the options' checks)
//   1  flowtopd.conf text through ApplyConfigText alone
//   2  tcp.conf / udp.conf ("<port>, <name>") through ServiceNames::AddConf
//   3  an /etc/services file through ServiceNames::AddEtcServices
//   4  geoip.conf (mirror URLs) through ParseGeoIpConf
// Each must accept the file or name what is wrong (a non-empty message or
// problem line), without a crash, a hang or an unbounded allocation.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "collector/enrich/geoip_update.h"
#include "collector/enrich/services.h"
#include "service/daemon_config.h"

namespace {

using flowtop::collector::enrich::ServiceNames;

void RequireMessage(const absl::Status& status) {
  if (!status.ok() && status.message().empty()) std::abort();
}

void RequireProblems(const std::vector<std::string>& problems) {
  for (const std::string& p : problems) {
    if (p.empty()) std::abort();
  }
}

void CommandLine(const std::string& path) {
  std::string argv0 = "flowtopd", flag = "--config", file = path;
  char* argv[] = {argv0.data(), flag.data(), file.data(), nullptr};
  RequireMessage(flowtop::service::ParseCommandLine(3, argv).status());
}

void Parse(uint8_t kind, const std::string& text, const std::string& path) {
  std::vector<std::string> problems;
  switch (kind % 5) {
    case 0:
      CommandLine(path);
      break;
    case 1: {
      flowtop::service::DaemonConfig config;
      RequireMessage(flowtop::service::ApplyConfigText("fuzz.conf", text, &config));
      break;
    }
    case 2: {
      ServiceNames names;
      RequireMessage(names.AddConf(path, flowtop::v1::TCP, &problems));
      (void)names.Guess(flowtop::v1::TCP, 443, 50000);
      break;
    }
    case 3: {
      ServiceNames names;
      RequireMessage(names.AddEtcServices(path, &problems));
      (void)names.Name(flowtop::v1::UDP, 53);
      break;
    }
    case 4:
      RequireMessage(flowtop::collector::enrich::ParseGeoIpConf(path, &problems).status());
      break;
  }
  RequireProblems(problems);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const int fd = memfd_create("conf", MFD_CLOEXEC);
  if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    std::abort();
  }
  Parse(data[0], text, "/proc/self/fd/" + std::to_string(fd));
  close(fd);
  return 0;
}
