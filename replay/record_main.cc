#include "replay/record_main.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/pipeline.h"
#include "replay/capture_filter.h"
#include "cli/cli_util.h"
#include "replay/record_sources.h"
#include "replay/recorder.h"
#include "client/client_options.h"

namespace flowtop::replay {
namespace {

using cli::ParseCount;
using cli::ParseDurationFlag;
using cli::ParseSize;

constexpr char kUsage[] =
    "Usage: flowtop record -o FILE [options]\n"
    "Records conntrack flow events to FILE (see flowtop-record(1)).\n"
    "\n"
    "Source (default: the local kernel; needs root or CAP_NET_ADMIN):\n"
    "      --connect HOST:PORT    record a flowtopd's stream over gRPC\n"
    "      --tls, --tls-ca FILE, --tls-cert FILE, --tls-key FILE,\n"
    "      --tls-server-name NAME, --token-file FILE\n"
    "                             TLS and token for --connect (as in flowtop)\n"
    "      --from FILE            re-record another recording (filter, compress)\n"
    "Filters (as in the TUI; none: everything):\n"
    "  -4, -6                     IPv4 / IPv6 flows only\n"
    "  -T, -U, -D, -I, -S         TCP, UDP(-lite), DCCP, ICMP(v6), SCTP flows\n"
    "Output:\n"
    "  -o, --output FILE          the recording (required)\n"
    "  -z, --compress[=LEVEL]     zstd-compress blocks (level 1-19, default 3;\n"
    "                             -z5 or --compress=5, no space)\n"
    "      --max-size SIZE        rotate FILE at SIZE (e.g. 64M): FILE -> FILE.1\n"
    "      --max-files N          keep at most N files in all (with --max-size)\n"
    "      --block-size SIZE      uncompressed block size (default 64K)\n"
    "      --keyframe-interval D  recorded time between keyframes (default 10s)\n"
    "      --sync                 fsync every block (power-loss safety)\n"
    "      --node NAME            node name for kernel recordings (default: host)\n"
    "Limits:\n"
    "      --duration D           stop after D (e.g. 30s, 5m, 2h)\n"
    "      --count N              stop after N recorded events\n"
    "  -q, --quiet                no progress line\n"
    "  -h, --help                 this help\n";

enum LongOption {
  kFrom = 1000,
  kMaxSize,
  kMaxFiles,
  kBlockSize,
  kKeyframeInterval,
  kSync,
  kNode,
  kDuration,
  kCount,
};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "flowtop record: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "flowtop record: %s; run 'flowtop record --help'\n",
               message.c_str());
  return 2;
}

std::string Human(uint64_t bytes) {
  if (bytes < 10 * 1024) return absl::StrCat(bytes, " B");
  if (bytes < 10 * 1024 * 1024) return absl::StrFormat("%.1f KiB", bytes / 1024.0);
  return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0));
}

// Everything the command line says.
struct RecordCommand {
  RecordSourceOptions source;
  RecorderOptions recorder;
  cli::ProtocolSelection selection;
  absl::Duration duration = absl::ZeroDuration();
  std::string node;
  bool quiet = false;
  bool help = false;
  std::vector<std::string> command_line;
};

// Stores one option of `flowtop record` in *c. Returns INVALID_ARGUMENT
// with the line to print for a bad value or an unknown option.
absl::Status ApplyRecordOption(int opt, const char* arg, RecordCommand* c) {
  absl::StatusOr<uint64_t> number;
  absl::StatusOr<absl::Duration> dur;
  switch (opt) {
    case 'o': c->recorder.path = arg; return absl::OkStatus();
    case 'z': {
      int level = 3;
      if (arg != nullptr) {
        number = ParseCount("compress", arg);
        if (!number.ok()) return number.status();
        level = static_cast<int>(*number);
      }
      if (level < 1 || level > 19) {
        return absl::InvalidArgumentError(
            absl::StrCat("--compress level ", level, " is not in 1..19"));
      }
      c->recorder.writer.zstd_level = level;
      return absl::OkStatus();
    }
    case 'q': c->quiet = true; return absl::OkStatus();
    case 'h': c->help = true; return absl::OkStatus();
    case kFrom: c->source.from_file = arg; return absl::OkStatus();
    case kMaxSize:
      number = ParseSize("max-size", arg);
      if (!number.ok()) return number.status();
      c->recorder.max_size_bytes = *number;
      return absl::OkStatus();
    case kMaxFiles:
      number = ParseCount("max-files", arg);
      if (!number.ok() || *number == 0 || *number > 100000) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--max-files '", arg, "' is not a number of files from 1 to 100000"));
      }
      c->recorder.max_files = static_cast<uint32_t>(*number);
      return absl::OkStatus();
    case kBlockSize:
      number = ParseSize("block-size", arg);
      if (!number.ok()) return number.status();
      if (*number < 1024 || *number > (64u << 20)) {
        return absl::InvalidArgumentError("--block-size must be between 1K and 64M");
      }
      c->recorder.writer.block_size = *number;
      return absl::OkStatus();
    case kKeyframeInterval:
      dur = ParseDurationFlag("keyframe-interval", arg);
      if (!dur.ok()) return dur.status();
      c->recorder.keyframe_interval = *dur;
      return absl::OkStatus();
    case kSync: c->recorder.writer.sync = true; return absl::OkStatus();
    case kNode: c->node = arg; return absl::OkStatus();
    case kDuration:
      dur = ParseDurationFlag("duration", arg);
      if (!dur.ok()) return dur.status();
      c->duration = *dur;
      return absl::OkStatus();
    case kCount:
      number = ParseCount("count", arg);
      if (!number.ok()) return number.status();
      c->recorder.max_events = *number;
      return absl::OkStatus();
    default:
      if (cli::ApplyProtocolOption(opt, &c->selection) ||
          client::ApplyClientOption(opt, arg, &c->source.client)) {
        return absl::OkStatus();
      }
      return absl::NotFoundError("unknown option");
  }
}

// Returns the parsed command line, or INVALID_ARGUMENT with the usage
// error to print.
absl::StatusOr<RecordCommand> ParseRecordCommand(int argc, char** argv) {
  static const std::vector<option> kOwn = {
      {"output", required_argument, nullptr, 'o'},
      {"compress", optional_argument, nullptr, 'z'},
      {"quiet", no_argument, nullptr, 'q'},
      {"help", no_argument, nullptr, 'h'},
      {"from", required_argument, nullptr, kFrom},
      {"max-size", required_argument, nullptr, kMaxSize},
      {"max-files", required_argument, nullptr, kMaxFiles},
      {"block-size", required_argument, nullptr, kBlockSize},
      {"keyframe-interval", required_argument, nullptr, kKeyframeInterval},
      {"sync", no_argument, nullptr, kSync},
      {"node", required_argument, nullptr, kNode},
      {"duration", required_argument, nullptr, kDuration},
      {"count", required_argument, nullptr, kCount},
  };
  static const std::vector<option> kOptions =
      cli::LongOptionTable({kOwn, cli::Group(client::kClientLongOptions)});
  RecordCommand c;
  c.command_line.assign(argv, argv + argc);
  optind = 0;  // reset getopt: the caller may have parsed its own flags
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "+o:z::qh46TUDIS", kOptions.data(), nullptr)) != -1) {
    absl::Status status = ApplyRecordOption(opt, optarg, &c);
    if (absl::IsNotFound(status)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown or incomplete option '", argv[optind - 1], "'"));
    }
    if (!status.ok()) return status;
    if (c.help) return c;
  }
  c.source.ipv4_only = c.selection.ipv4;
  c.source.ipv6_only = c.selection.ipv6;
  c.source.tcp = c.selection.tcp;
  c.source.udp = c.selection.udp;
  c.source.dccp = c.selection.dccp;
  c.source.icmp = c.selection.icmp;
  c.source.sctp = c.selection.sctp;
  if (optind < argc) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", argv[optind], "'"));
  }
  if (c.recorder.path.empty()) {
    return absl::InvalidArgumentError("no output file: use -o FILE");
  }
  if (c.recorder.max_files > 0 && c.recorder.max_size_bytes == 0) {
    return absl::InvalidArgumentError(
        "--max-files needs --max-size (files rotate by size)");
  }
  return c;
}

// Blocks SIGINT, SIGTERM and SIGUSR1 for the life of the object, so that
// this thread takes them synchronously (sigtimedwait) and every thread
// started meanwhile inherits the mask.
class SignalMask {
 public:
  SignalMask() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals_, &old_mask_);
  }
  ~SignalMask() {
    // The last SIGUSR1 (from the runner) may still be pending: consume it
    // so it does not fire once the mask is restored.
    const timespec zero{0, 0};
    while (sigtimedwait(&signals_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  const sigset_t& signals() const { return signals_; }

 private:
  sigset_t signals_;
  sigset_t old_mask_;
};

// Fills the recording header (node, source, command line, filter, duration)
// and the recorder's filter hook.
void DescribeCapture(const RecordSource& source, const CaptureFilter& filter,
                     RecordCommand* c) {
  if (c->node.empty()) c->node = source.node;
  if (c->node.empty()) {
    char host[256] = {};
    c->node = gethostname(host, sizeof(host) - 1) == 0 ? host : "local";
  }
  c->recorder.header.set_node(c->node);
  v1::CaptureOptions* header_options = c->recorder.header.mutable_options();
  header_options->set_source(source.description);
  for (const std::string& arg : c->command_line) header_options->add_command_line(arg);
  for (const v1::FlowFilter& f : filter.AsFlowFilters()) *header_options->add_allow() = f;
  header_options->set_duration_nanos(absl::ToInt64Nanoseconds(c->duration));
}

void PrintProgress(const std::string& path, const RecorderStats& s,
                   absl::Duration elapsed) {
  std::fprintf(stderr,
               "\r\033[Kflowtop record: %s  %llu events  %zu flows  %s  %llu file%s"
               "%s  lost %llu  %s",
               path.c_str(), static_cast<unsigned long long>(s.events), s.flows,
               Human(s.bytes).c_str(), static_cast<unsigned long long>(s.files),
               s.files == 1 ? "" : "s",
               s.files_deleted == 0
                   ? ""
                   : absl::StrCat(" (", s.files_deleted, " deleted, ", s.events_deleted,
                                  " events)").c_str(),
               static_cast<unsigned long long>(s.lost_reported),
               absl::FormatDuration(absl::Trunc(elapsed, absl::Seconds(1))).c_str());
}

// Flushes the recorder once a second (with the progress line) until a
// signal, the source's end, a limit or --duration stops the recording.
// Returns why it stopped, for the closing line.
std::string RecordUntilStopped(const RecordCommand& c, const sigset_t& signals,
                               Recorder& recorder, core::Clock& clock) {
  const bool progress = !c.quiet && isatty(STDERR_FILENO);
  const absl::Time start = clock.Now();
  const absl::Time deadline =
      c.duration > absl::ZeroDuration() ? start + c.duration : absl::InfiniteFuture();
  while (true) {
    absl::Duration wait = std::min(absl::Seconds(1), deadline - clock.Now());
    if (wait < absl::ZeroDuration()) wait = absl::ZeroDuration();
    const timespec ts = absl::ToTimespec(wait);
    const int sig = sigtimedwait(&signals, nullptr, &ts);
    if (sig == SIGINT) return "interrupted (SIGINT)";
    if (sig == SIGTERM) return "terminated (SIGTERM)";
    if (sig == SIGUSR1) {
      return recorder.limit_reached() ? "--count reached" : "the source ended";
    }
    if (clock.Now() >= deadline) return "--duration reached";
    if (!recorder.Flush().ok()) return "the source ended";
    if (progress) PrintProgress(c.recorder.path, recorder.stats(), clock.Now() - start);
  }
}

// Prints the closing line (or the source's failure). Returns the exit status.
int Report(const RecordCommand& c, const std::string& stop_reason,
           const absl::Status& source_status, const std::string& no_data,
           const RecorderStats& s) {
  if (!source_status.ok()) {
    std::fprintf(stderr, "flowtop record: the source failed after %llu events: %s\n",
                 static_cast<unsigned long long>(s.events),
                 std::string(source_status.message()).c_str());
    return 1;
  }
  if (!no_data.empty()) {
    // A flowtopd never reached: the file holds the failure (STATUS, LOST).
    std::fprintf(stderr, "flowtop record: %s; %s holds the failure (%llu events)\n",
                 no_data.c_str(), c.recorder.path.c_str(),
                 static_cast<unsigned long long>(s.events));
    return 1;
  }
  if (!c.quiet) {
    std::fprintf(stderr,
                 "flowtop record: %s; %llu events in %s (%s, %.1f bytes/event, "
                 "%llu file%s), %llu lost upstream\n",
                 stop_reason.c_str(), static_cast<unsigned long long>(s.events),
                 c.recorder.path.c_str(), Human(s.bytes).c_str(),
                 s.events == 0 ? 0.0 : static_cast<double>(s.bytes) / s.events,
                 static_cast<unsigned long long>(s.files), s.files == 1 ? "" : "s",
                 static_cast<unsigned long long>(s.lost_reported));
  }
  if (s.files_deleted > 0) {
    // The user's choice, but never silent: even with -q.
    std::fprintf(stderr,
                 "flowtop record: --max-files %u deleted the %llu oldest file%s "
                 "with %llu of the %llu events recorded\n",
                 c.recorder.max_files, static_cast<unsigned long long>(s.files_deleted),
                 s.files_deleted == 1 ? "" : "s",
                 static_cast<unsigned long long>(s.events_deleted),
                 static_cast<unsigned long long>(s.events));
  }
  return 0;
}

}  // namespace

int RecordMain(int argc, char** argv) {
  absl::StatusOr<RecordCommand> command = ParseRecordCommand(argc, argv);
  if (!command.ok()) return Usage(std::string(command.status().message()));
  RecordCommand& c = *command;
  if (c.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  core::Clock& clock = core::RealClock::Get();
  SignalMask mask;  // before any thread starts

  absl::StatusOr<RecordSource> source = MakeRecordSource(c.source, clock);
  if (!source.ok()) return Fail(source.status());
  CaptureFilter filter(c.selection.Families(), c.selection.Protocols());
  DescribeCapture(*source, filter, &c);
  if (!filter.keeps_everything()) {
    // The recorder calls it under its own lock, one event at a time.
    c.recorder.filter = [&filter](const v1::FlowEvent& e) { return filter.Keep(e); };
  }
  const pthread_t main_thread = pthread_self();
  c.recorder.on_limit = [main_thread] { pthread_kill(main_thread, SIGUSR1); };
  core::PipelineOptions pipeline_options;
  pipeline_options.node = c.node;
  pipeline_options.keep_source_seq = source->keep_source_seq;
  core::Pipeline pipeline(pipeline_options, clock);
  // Unfiltered, the recorded table is the pipeline's: one copy of each flow.
  // Keyframes and rotation then wait for a batch's end: the kernel hands
  // over at most 512 events at a time, a recording or a flowtopd thousands
  // (a rotation that late can find the table too big for --max-size), so
  // those keep a table of their own.
  if (c.source.from_file.empty() && c.source.client.endpoint.empty()) {
    c.recorder.table = &pipeline.PublishedTable();
  }
  absl::StatusOr<std::unique_ptr<Recorder>> recorder = Recorder::Create(c.recorder, clock);
  if (!recorder.ok()) return Fail(recorder.status());
  pipeline.AddSink(recorder->get());
  absl::Status source_status;
  std::thread runner([&] {
    source_status = source->source->Run(pipeline);
    pthread_kill(main_thread, SIGUSR1);
  });
  const std::string stop_reason = RecordUntilStopped(c, mask.signals(), **recorder, clock);
  source->source->Stop();
  runner.join();
  absl::Status close_status = (*recorder)->Close();
  if (!c.quiet && isatty(STDERR_FILENO)) std::fputs("\r\033[K", stderr);
  if (!close_status.ok()) return Fail(close_status);
  const std::string no_data = source->no_data_reason ? source->no_data_reason() : "";
  return Report(c, stop_reason, source_status, no_data, (*recorder)->stats());
}

}  // namespace flowtop::replay
