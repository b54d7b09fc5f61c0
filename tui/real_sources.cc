#include "tui/real_sources.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace flowtop::tui {
namespace {

constexpr int kCapNetAdmin = 12;

constexpr char kNoPrivileges[] =
    "local mode reads the kernel's connection tracking and needs CAP_NET_ADMIN: "
    "run 'sudo flowtop', or give the binary the capability "
    "('sudo setcap cap_net_admin,cap_sys_ptrace,cap_dac_read_search+ep flowtop'), "
    "or watch a flowtopd with --connect HOST:PORT, or a recording with --replay FILE";

class RealSourceFactory final : public SourceFactory {
 public:
  absl::StatusOr<std::unique_ptr<collector::EventSource>> Local(const Options&) override {
    std::ifstream in("/proc/self/status");
    std::stringstream text;
    text << in.rdbuf();
    absl::Status st = CheckLocalPrivileges(text.str());
    if (!st.ok()) return st;
    return absl::UnimplementedError(
        "this build has no kernel collector yet (collector branch not merged); "
        "use --connect HOST:PORT or --replay FILE");
  }
  absl::StatusOr<std::unique_ptr<collector::EventSource>> Remote(
      const std::string&, const Options&, ConnectionCallback) override {
    return absl::UnimplementedError(
        "this build cannot connect to flowtopd yet (service branch not merged)");
  }
  absl::StatusOr<std::unique_ptr<collector::EventSource>> Replay(const std::string&,
                                                                 const Options&) override {
    return absl::UnimplementedError(
        "this build cannot play recordings yet (replay branch not merged)");
  }
};

}  // namespace

absl::Status CheckLocalPrivileges(absl::string_view proc_status) {
  for (absl::string_view line : absl::StrSplit(proc_status, '\n')) {
    if (!absl::ConsumePrefix(&line, "CapEff:")) continue;
    uint64_t caps = 0;
    if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(line), &caps)) break;
    if (caps & (uint64_t{1} << kCapNetAdmin)) return absl::OkStatus();
    return absl::PermissionDeniedError(kNoPrivileges);
  }
  return absl::PermissionDeniedError(kNoPrivileges);
}

std::unique_ptr<SourceFactory> NewRealSourceFactory() {
  return std::make_unique<RealSourceFactory>();
}

}  // namespace flowtop::tui
