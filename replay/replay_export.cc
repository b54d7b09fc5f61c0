#include "replay/replay_export.h"

#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/pipeline.h"
#include "exporters/ipfix_exporter.h"
#include "cli/cli_util.h"
#include "replay/replay_args.h"
#include "replay/replay_source.h"

namespace flowtop::replay {
namespace {

constexpr char kUsage[] =
    "Usage: flowtop replay FILE --ipfix HOST:PORT [options]\n"
    "Sends a recording's flows to IPFIX collectors (back-fill), as flowtopd\n"
    "--ipfix would have: the same records every run.\n"
    "  --ipfix HOST:PORT          a collector; UDP, or tcp://HOST:PORT "
    "(repeatable)\n"
    "  --speed S                  1 = as recorded, 4, max (default max)\n"
    "  --node-name NAME           observation domain from NAME (default: the\n"
    "                             recording's node)\n"
    "  --ipfix-active-timeout D   records for long flows this often (default "
    "60s)\n"
    "  --ipfix-template-refresh D UDP: templates again this often (default "
    "60s)\n"
    "  --ipfix-process            add process and user (enterprise elements)\n"
    "  --ipfix-pen N              their Private Enterprise Number (default "
    "32473)\n"
    "  --ipfix-domain N           observation domain\n"
    "  --ipfix-mtu BYTES          message size at most (default 1400)\n"
    "  -h, --help                 this help\n";

enum Opt {
  kIpfix = 1000, kSpeed, kNode, kActive, kRefresh, kProcess, kPen, kDomain, kMtu
};


absl::StatusOr<absl::Duration> ParseSeconds(const char* flag, const char* text) {
  absl::Duration d;
  if (!cli::ReadDuration(text, &d)) {
    return cli::Bad(flag, text, "is not a duration (e.g. 60s, 5m)");
  }
  if (d < absl::Seconds(1) || d > absl::Hours(24)) {
    return cli::Bad(flag, text, "must be between 1s and 24h");
  }
  return d;
}

absl::StatusOr<uint32_t> ParseNumber(const char* flag, const char* text,
                                     uint32_t min, uint32_t max) {
  uint32_t n;
  if (!absl::SimpleAtoi(text, &n) || n < min || n > max) {
    return cli::Bad(flag, text, absl::StrCat("is not a number from ", min, " to ", max));
  }
  return n;
}

// What `flowtop replay FILE --ipfix ...` asks for.
struct ExportArgs {
  bool help = false;
  exporters::IpfixOptions ipfix;
  double speed = 0;
  std::string path;
};

// Applies option `opt` with `arg`; INVALID_ARGUMENT names what is wrong.
absl::Status ApplyExportOption(int opt, const char* arg, ExportArgs& args) {
  exporters::IpfixOptions& o = args.ipfix;
  switch (opt) {
    case kIpfix: o.collectors.push_back(arg); break;
    case kSpeed: {
      absl::StatusOr<double> s = cli::ParseSpeed(arg);
      if (!s.ok()) return s.status();
      args.speed = *s;
      break;
    }
    case kNode: o.node = arg; break;
    case kActive:
    case kRefresh: {
      auto d = ParseSeconds(opt == kActive ? "ipfix-active-timeout" : "ipfix-template-refresh",
                            arg);
      if (!d.ok()) return d.status();
      (opt == kActive ? o.active_timeout : o.template_refresh) = *d;
      break;
    }
    case kProcess: o.process_fields = true; break;
    case kPen:
    case kDomain: {
      auto n = ParseNumber(opt == kPen ? "ipfix-pen" : "ipfix-domain", arg, 1, 0xffffffffu);
      if (!n.ok()) return n.status();
      (opt == kPen ? o.pen : o.observation_domain) = *n;
      break;
    }
    case kMtu: {
      auto n = ParseNumber("ipfix-mtu", arg, 512, 65535);
      if (!n.ok()) return n.status();
      o.max_message = *n;
      break;
    }
    default: args.help = true; break;  // 'h'
  }
  return absl::OkStatus();
}

// Parses the command line; INVALID_ARGUMENT names what is wrong.
absl::StatusOr<ExportArgs> ParseExportArgs(int argc, char** argv) {
  static const option kOptions[] = {
      {"ipfix", required_argument, nullptr, kIpfix},
      {"speed", required_argument, nullptr, kSpeed},
      {"node-name", required_argument, nullptr, kNode},
      {"ipfix-active-timeout", required_argument, nullptr, kActive},
      {"ipfix-template-refresh", required_argument, nullptr, kRefresh},
      {"ipfix-process", no_argument, nullptr, kProcess},
      {"ipfix-pen", required_argument, nullptr, kPen},
      {"ipfix-domain", required_argument, nullptr, kDomain},
      {"ipfix-mtu", required_argument, nullptr, kMtu},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  ExportArgs args;
  args.ipfix.event_time = true;
  optind = 0;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, ":h", kOptions, nullptr)) != -1) {
    if (opt == '?' || opt == ':') return GetoptProblem(argv);
    if (absl::Status s = ApplyExportOption(opt, optarg, args); !s.ok()) return s;
    if (args.help) return args;
  }
  absl::StatusOr<std::string> path =
      RecordingArgument(argc, argv, "flowtop replay FILE --ipfix HOST:PORT");
  if (!path.ok()) return path.status();
  args.path = *path;
  return args;
}

// Prints what each collector was sent; returns true when records were
// not sent.
bool ReportSessions(const exporters::IpfixStats& stats) {
  bool lost = false;
  for (const exporters::SessionStats& s : stats.sessions) {
    std::fprintf(stderr,
                 "flowtop replay: %s: %llu records in %llu messages sent, %llu "
                 "records not sent%s%s\n",
                 s.collector.c_str(), static_cast<unsigned long long>(s.records),
                 static_cast<unsigned long long>(s.messages),
                 static_cast<unsigned long long>(s.not_sent_records),
                 s.last_error.empty() ? "" : ": ", s.last_error.c_str());
    lost |= s.not_sent_records > 0;
  }
  return lost;
}

}  // namespace

bool IsReplayExport(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ipfix") == 0 ||
        std::strncmp(argv[i], "--ipfix=", 8) == 0) {
      return true;
    }
  }
  return false;
}

int ReplayExportMain(int argc, char** argv) {
  absl::StatusOr<ExportArgs> args = ParseExportArgs(argc, argv);
  if (!args.ok()) return ReplayUsageError(args.status().message());
  if (args->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  core::Clock& clock = core::RealClock::Get();
  ReplayOptions replay_options;
  replay_options.speed = args->speed;
  auto source = ReplaySource::Open(args->path, replay_options, clock);
  if (!source.ok()) return ReplayFailure(source.status());
  exporters::IpfixOptions& o = args->ipfix;
  if (o.node.empty()) o.node = (*source)->header().node();
  auto exporter = exporters::IpfixExporter::Create(o, clock);
  if (!exporter.ok()) {
    return ReplayUsageError(absl::StrCat("--ipfix: ", exporter.status().message()));
  }
  core::Pipeline pipeline(
      core::PipelineOptions{.node = o.node, .keep_source_seq = true}, clock);
  pipeline.AddSink(exporter->get());
  const absl::Status status = (*source)->Run(pipeline);
  (*exporter)->Finish();
  const bool lost = ReportSessions((*exporter)->stats());
  if (!status.ok()) return ReplayFailure(status);
  return lost ? 1 : 0;
}

}  // namespace flowtop::replay
