// flowtop: a top-like view of the kernel's connection tracking, locally, on
// several flowtopd endpoints, or from a recording.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "check/check.h"
#include "collector/enrich/geoip_update.h"
#include "replay/record_main.h"
#include "replay/replay_main.h"
#include "tui/cli.h"
#include "tui/real_sources.h"

int main(int argc, char** argv) {
  std::unique_ptr<flowtop::tui::SourceFactory> factory =
      flowtop::tui::NewRealSourceFactory();
  flowtop::tui::Program program;
  program.factory = factory.get();
  program.update_geoip = []() {
    return flowtop::collector::enrich::RunGeoIpUpdateCommand("", "", stdout, stderr);
  };
  program.check = [](const flowtop::tui::Options& options) {
    flowtop::check::CheckOptions co;
    co.program = "flowtop";
    co.dns = !options.no_dns;
    co.enable_conntrack = options.enable_conntrack;
    const flowtop::check::CheckReport report = flowtop::check::RunChecks(co);
    std::fputs(flowtop::check::FormatReport(report, co).c_str(), stdout);
    return report.CanWork() ? 0 : 1;
  };
  program.subcommands["record"] = [](int sub_argc, char** sub_argv) {
    return flowtop::replay::RecordMain(sub_argc, sub_argv);
  };
  // `flowtop replay FILE`: the offline modes (--json, --summary, --info)
  // belong to the replay tools; otherwise the interactive view plays FILE.
  program.subcommands["replay"] = [&factory](int sub_argc, char** sub_argv) {
    if (flowtop::replay::IsReplayBatchMode(sub_argc, sub_argv)) {
      return flowtop::replay::ReplayMain(sub_argc, sub_argv);
    }
    flowtop::tui::Program view;
    view.factory = factory.get();
    view.file_argument = true;
    return flowtop::tui::RunFlowtop(sub_argc, sub_argv, view);
  };
  return flowtop::tui::RunFlowtop(argc, argv, program);
}
