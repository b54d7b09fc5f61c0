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
  kConnect = 1000,
  kTls,
  kTlsCa,
  kTlsCert,
  kTlsKey,
  kTlsServerName,
  kTokenFile,
  kFrom,
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

}  // namespace

int RecordMain(int argc, char** argv) {
  static const option kOptions[] = {
      {"output", required_argument, nullptr, 'o'},
      {"compress", optional_argument, nullptr, 'z'},
      {"quiet", no_argument, nullptr, 'q'},
      {"help", no_argument, nullptr, 'h'},
      {service::kFlagConnect, required_argument, nullptr, kConnect},
      {service::kFlagTls, no_argument, nullptr, kTls},
      {service::kFlagTlsCa, required_argument, nullptr, kTlsCa},
      {service::kFlagTlsCert, required_argument, nullptr, kTlsCert},
      {service::kFlagTlsKey, required_argument, nullptr, kTlsKey},
      {service::kFlagTlsServerName, required_argument, nullptr, kTlsServerName},
      {service::kFlagTokenFile, required_argument, nullptr, kTokenFile},
      {"from", required_argument, nullptr, kFrom},
      {"max-size", required_argument, nullptr, kMaxSize},
      {"max-files", required_argument, nullptr, kMaxFiles},
      {"block-size", required_argument, nullptr, kBlockSize},
      {"keyframe-interval", required_argument, nullptr, kKeyframeInterval},
      {"sync", no_argument, nullptr, kSync},
      {"node", required_argument, nullptr, kNode},
      {"duration", required_argument, nullptr, kDuration},
      {"count", required_argument, nullptr, kCount},
      {nullptr, 0, nullptr, 0},
  };
  RecordSourceOptions source_options;
  RecorderOptions recorder_options;
  std::vector<v1::AddressFamily> families;
  std::vector<v1::L4Protocol> protocols;
  absl::Duration duration = absl::ZeroDuration();
  std::string node;
  bool quiet = false;
  std::vector<std::string> command_line(argv, argv + argc);

  optind = 0;  // reset getopt: the caller may have parsed its own flags
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "+o:z::qh46TUDIS", kOptions, nullptr)) != -1) {
    absl::StatusOr<uint64_t> number;
    absl::StatusOr<absl::Duration> dur;
    switch (opt) {
      case 'o': recorder_options.path = optarg; break;
      case 'z': {
        int level = 3;
        if (optarg != nullptr) {
          number = ParseCount("compress", optarg);
          if (!number.ok()) return Usage(std::string(number.status().message()));
          level = static_cast<int>(*number);
        }
        if (level < 1 || level > 19) {
          return Usage(absl::StrCat("--compress level ", level, " is not in 1..19"));
        }
        recorder_options.writer.zstd_level = level;
        break;
      }
      case 'q': quiet = true; break;
      case 'h': std::fputs(kUsage, stdout); return 0;
      case '4':
        families.push_back(v1::IPV4);
        source_options.ipv4_only = true;
        break;
      case '6':
        families.push_back(v1::IPV6);
        source_options.ipv6_only = true;
        break;
      case 'T':
        protocols.push_back(v1::TCP);
        source_options.tcp = true;
        break;
      case 'U':
        protocols.push_back(v1::UDP);
        protocols.push_back(v1::UDPLITE);
        source_options.udp = true;
        break;
      case 'D':
        protocols.push_back(v1::DCCP);
        source_options.dccp = true;
        break;
      case 'I':
        protocols.push_back(v1::ICMP);
        protocols.push_back(v1::ICMPV6);
        source_options.icmp = true;
        break;
      case 'S':
        protocols.push_back(v1::SCTP);
        source_options.sctp = true;
        break;
      case kConnect: source_options.client.endpoint = optarg; break;
      case kTls: source_options.client.tls = true; break;
      case kTlsCa:
        source_options.client.tls_ca_file = optarg;
        source_options.client.tls = true;
        break;
      case kTlsCert: source_options.client.tls_cert_file = optarg; break;
      case kTlsKey: source_options.client.tls_key_file = optarg; break;
      case kTlsServerName: source_options.client.tls_server_name = optarg; break;
      case kTokenFile: source_options.client.token_file = optarg; break;
      case kFrom: source_options.from_file = optarg; break;
      case kMaxSize:
        number = ParseSize("max-size", optarg);
        if (!number.ok()) return Usage(std::string(number.status().message()));
        recorder_options.max_size_bytes = *number;
        break;
      case kMaxFiles:
        number = ParseCount("max-files", optarg);
        if (!number.ok() || *number == 0 || *number > 100000) {
          return Usage(absl::StrCat("--max-files '", optarg,
                                    "' is not a number of files from 1 to 100000"));
        }
        recorder_options.max_files = static_cast<uint32_t>(*number);
        break;
      case kBlockSize:
        number = ParseSize("block-size", optarg);
        if (!number.ok()) return Usage(std::string(number.status().message()));
        if (*number < 1024 || *number > (64u << 20)) {
          return Usage("--block-size must be between 1K and 64M");
        }
        recorder_options.writer.block_size = *number;
        break;
      case kKeyframeInterval:
        dur = ParseDurationFlag("keyframe-interval", optarg);
        if (!dur.ok()) return Usage(std::string(dur.status().message()));
        recorder_options.keyframe_interval = *dur;
        break;
      case kSync: recorder_options.writer.sync = true; break;
      case kNode: node = optarg; break;
      case kDuration:
        dur = ParseDurationFlag("duration", optarg);
        if (!dur.ok()) return Usage(std::string(dur.status().message()));
        duration = *dur;
        break;
      case kCount:
        number = ParseCount("count", optarg);
        if (!number.ok()) return Usage(std::string(number.status().message()));
        recorder_options.max_events = *number;
        break;
      default:
        return Usage(absl::StrCat("unknown or incomplete option '",
                                  argv[optind - 1], "'"));
    }
  }
  if (optind < argc) {
    return Usage(absl::StrCat("unexpected argument '", argv[optind], "'"));
  }
  if (recorder_options.path.empty()) return Usage("no output file: use -o FILE");
  if (recorder_options.max_files > 0 && recorder_options.max_size_bytes == 0) {
    return Usage("--max-files needs --max-size (files rotate by size)");
  }

  collector::Clock& clock = collector::RealClock::Get();
  // Signals are taken synchronously by this thread (sigtimedwait); block them
  // before any thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &signals, &old_mask);
  struct MaskRestorer {
    sigset_t mask;
    ~MaskRestorer() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old_mask};

  absl::StatusOr<RecordSource> source = MakeRecordSource(source_options, clock);
  if (!source.ok()) return Fail(source.status());

  if (node.empty()) node = source->node;
  if (node.empty()) {
    char host[256] = {};
    node = gethostname(host, sizeof(host) - 1) == 0 ? host : "local";
  }
  CaptureFilter filter(families, protocols);
  recorder_options.header.set_node(node);
  v1::CaptureOptions* header_options = recorder_options.header.mutable_options();
  header_options->set_source(source->description);
  for (const std::string& arg : command_line) header_options->add_command_line(arg);
  for (const v1::FlowFilter& f : filter.AsFlowFilters()) *header_options->add_allow() = f;
  header_options->set_duration_nanos(absl::ToInt64Nanoseconds(duration));
  if (!filter.keeps_everything()) {
    // The recorder calls it under its own lock, one event at a time.
    recorder_options.filter = [&filter](const v1::FlowEvent& e) { return filter.Keep(e); };
  }
  const pthread_t main_thread = pthread_self();
  recorder_options.on_limit = [main_thread] { pthread_kill(main_thread, SIGUSR1); };

  absl::StatusOr<std::unique_ptr<Recorder>> recorder =
      Recorder::Create(recorder_options, clock);
  if (!recorder.ok()) return Fail(recorder.status());

  collector::PipelineOptions pipeline_options;
  pipeline_options.node = node;
  pipeline_options.keep_source_seq = source->keep_source_seq;
  collector::Pipeline pipeline(pipeline_options, clock);
  pipeline.AddSink(recorder->get());

  absl::Status source_status;
  std::thread runner([&] {
    source_status = source->source->Run(pipeline);
    pthread_kill(main_thread, SIGUSR1);
  });

  const bool progress = !quiet && isatty(STDERR_FILENO);
  const absl::Time start = clock.Now();
  const absl::Time deadline =
      duration > absl::ZeroDuration() ? start + duration : absl::InfiniteFuture();
  std::string stop_reason = "the source ended";
  while (true) {
    absl::Duration wait = std::min(absl::Seconds(1), deadline - clock.Now());
    if (wait < absl::ZeroDuration()) wait = absl::ZeroDuration();
    const timespec ts = absl::ToTimespec(wait);
    const int sig = sigtimedwait(&signals, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM) {
      stop_reason = sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)";
      break;
    }
    if (sig == SIGUSR1) {
      if ((*recorder)->limit_reached()) stop_reason = "--count reached";
      break;
    }
    if (clock.Now() >= deadline) {
      stop_reason = "--duration reached";
      break;
    }
    absl::Status status = (*recorder)->Flush();
    if (!status.ok()) break;
    if (progress) {
      const RecorderStats s = (*recorder)->stats();
      std::fprintf(stderr,
                   "\r\033[Kflowtop record: %s  %llu events  %zu flows  %s  %llu file%s"
                   "  lost %llu  %s",
                   recorder_options.path.c_str(),
                   static_cast<unsigned long long>(s.events), s.flows,
                   Human(s.bytes).c_str(), static_cast<unsigned long long>(s.files),
                   s.files == 1 ? "" : "s",
                   static_cast<unsigned long long>(s.lost_reported),
                   absl::FormatDuration(absl::Trunc(clock.Now() - start, absl::Seconds(1)))
                       .c_str());
    }
  }
  source->source->Stop();
  runner.join();
  // The last SIGUSR1 (from the runner) may still be pending: consume it so
  // it does not fire once the mask is restored.
  const timespec zero{0, 0};
  while (sigtimedwait(&signals, nullptr, &zero) > 0) {
  }
  absl::Status close_status = (*recorder)->Close();
  const RecorderStats s = (*recorder)->stats();
  if (progress) std::fputs("\r\033[K", stderr);
  if (!close_status.ok()) return Fail(close_status);
  if (!source_status.ok()) {
    std::fprintf(stderr, "flowtop record: the source failed after %llu events: %s\n",
                 static_cast<unsigned long long>(s.events),
                 std::string(source_status.message()).c_str());
    return 1;
  }
  if (!quiet) {
    std::fprintf(stderr,
                 "flowtop record: %s; %llu events in %s (%s, %.1f bytes/event, "
                 "%llu file%s), %llu lost upstream\n",
                 stop_reason.c_str(), static_cast<unsigned long long>(s.events),
                 recorder_options.path.c_str(), Human(s.bytes).c_str(),
                 s.events == 0 ? 0.0 : static_cast<double>(s.bytes) / s.events,
                 static_cast<unsigned long long>(s.files), s.files == 1 ? "" : "s",
                 static_cast<unsigned long long>(s.lost_reported));
  }
  return 0;
}

}  // namespace flowtop::replay
