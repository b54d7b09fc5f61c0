#include "replay/replay_main.h"

#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cli/cli_util.h"
#include "core/clock.h"
#include "core/flow_json.h"
#include "replay/reader.h"
#include "replay/replay_args.h"
#include "replay/replay_export.h"
#include "replay/replay_source.h"
#include "replay/summary.h"

namespace flowtop::replay {
namespace {

using cli::ParseCount;
using cli::ParseSpeed;
using cli::ParseTimeFlag;

constexpr char kUsage[] =
    "Usage: flowtop replay FILE [--json | --summary | --info] [options]\n"
    "Plays a recording made by 'flowtop record' (see flowtop-replay(1)).\n"
    "Without a mode, flowtop shows the recording in its interactive view.\n"
    "\n"
    "Modes:\n"
    "      --json          print every event as a JSON line (for jq)\n"
    "      --summary       print an offline report of the recording\n"
    "      --info          print the file's header, blocks and damage\n"
    "      --ipfix HOST:PORT  send the flows to an IPFIX collector (back-fill;\n"
    "                      'flowtop replay FILE --ipfix X --help' lists its options)\n"
    "Options:\n"
    "      --speed S       pace --json output: 1 = as recorded, 4, max (default max)\n"
    "      --start T       begin at time T (RFC 3339) or +OFFSET from the first\n"
    "                      event (e.g. +90s); starts with a snapshot of the table\n"
    "      --top N         rows per ranking in --summary (default 10)\n"
    "  -h, --help          this help\n";

enum Mode { kNone, kJson, kSummary, kInfo };
enum LongOption { kJsonOpt = 1000, kSummaryOpt, kInfoOpt, kSpeed, kStart, kTop };


// Prints events as JSON lines (core/flow_json.h: straight from each event,
// in chunks); reports recording damage on stderr as it goes.
class JsonSink final : public core::EventSink {
 public:
  ~JsonSink() override { Flush(); }
  void Publish(absl::Span<v1::FlowEvent> events) override {
    for (const v1::FlowEvent& e : events) {
      const size_t start = text_.size();
      if (!core::AppendFlowEventJson(e, text_).ok()) {
        text_.resize(start);
        ++unprintable_;
        continue;
      }
      text_.push_back('\n');
      if (e.type() == v1::LOST && e.lost().source() == v1::RECORDING) {
        Flush();
        std::fflush(stdout);
        std::fprintf(stderr, "flowtop replay: damaged recording: %s\n",
                     e.lost().detail().c_str());
      }
    }
    // Paced output (--speed) shows each batch as it is played.
    Flush();
  }
  uint64_t unprintable() const { return unprintable_; }

 private:
  void Flush() {
    std::fwrite(text_.data(), 1, text_.size(), stdout);
    text_.clear();
  }

  std::string text_;
  uint64_t unprintable_ = 0;
};

class SummarySink final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    for (const v1::FlowEvent& e : events) {
      summary.Add(e);
      if (e.type() == v1::LOST && e.lost().source() == v1::RECORDING) {
        std::fprintf(stderr, "flowtop replay: damaged recording: %s\n",
                     e.lost().detail().c_str());
      }
    }
  }
  Summary summary;
};

// --info: the file header.
void PrintHeader(const RecordingReader& r, const std::string& path) {
  const v1::RecordingHeader& h = r.header();
  std::printf("file            %s (%llu bytes)\n", path.c_str(),
              static_cast<unsigned long long>(r.file_size()));
  std::printf("format          %u.%u\n", r.major(), r.minor());
  std::printf("node            %s%s\n", h.node().c_str(),
              r.header_damage().has_value()
                  ? (h.node().empty() ? "unknown (the file header is damaged)"
                                      : " (recovered from the blocks: the file header is damaged)")
                  : "");
  std::printf("hostname        %s\n", h.hostname().c_str());
  std::printf("tool            %s\n", h.tool_version().c_str());
  std::printf("started         %s\n",
              absl::FormatTime(absl::RFC3339_full, absl::FromUnixNanos(h.start_unix_nanos()),
                               absl::UTCTimeZone())
                  .c_str());
  std::printf("source          %s\n", h.options().source().c_str());
  std::printf("compression     %s (level %d), blocks of %u bytes\n",
              h.options().compression().c_str(), h.options().compression_level(),
              h.options().block_size());
  std::printf("capture         %s, file %u\n", h.capture_id().c_str(), h.file_index());
  std::string cmd;
  for (const std::string& a : h.options().command_line()) absl::StrAppend(&cmd, " ", a);
  std::printf("command line   %s\n", cmd.c_str());
}

// --info: what the blocks hold.
struct BlockTotals {
  uint64_t blocks = 0, keyframes = 0, events = 0, raw = 0, stored = 0;
  uint64_t first_seq = 0, last_seq = 0;
  int64_t first_time = 0, last_time = 0;
};

absl::StatusOr<BlockTotals> ScanBlocks(RecordingReader& r) {
  BlockTotals t;
  Block block;
  bool previous_keyframe = false;
  uint64_t previous_seq = 0;
  while (true) {
    absl::StatusOr<bool> more = r.Next(&block);
    if (!more.ok()) return more.status();
    if (!*more) return t;
    const BlockHeader& b = block.info.header;
    ++t.blocks;
    t.raw += b.raw_size;
    t.stored += b.stored_size;
    if (b.keyframe()) {
      // A keyframe larger than a block spans several of one seq.
      if (!(previous_keyframe && b.first_seq == previous_seq)) ++t.keyframes;
      previous_keyframe = true;
      previous_seq = b.first_seq;
      continue;
    }
    previous_keyframe = false;
    t.events += b.event_count;
    if (t.first_seq == 0) {
      t.first_seq = b.first_seq;
      t.first_time = b.first_time_unix_nanos;
    }
    t.last_seq = b.last_seq;
    t.last_time = b.last_time_unix_nanos;
  }
}

void PrintBlockTotals(const BlockTotals& t, uint64_t file_size) {
  std::printf("blocks          %llu (%llu keyframes), payload %llu bytes stored, "
              "%llu raw\n",
              static_cast<unsigned long long>(t.blocks),
              static_cast<unsigned long long>(t.keyframes),
              static_cast<unsigned long long>(t.stored),
              static_cast<unsigned long long>(t.raw));
  std::printf("events          %llu (seq %llu..%llu), %.1f bytes/event on disk\n",
              static_cast<unsigned long long>(t.events),
              static_cast<unsigned long long>(t.first_seq),
              static_cast<unsigned long long>(t.last_seq),
              t.events == 0 ? 0.0 : static_cast<double>(file_size) / t.events);
  std::printf("time            %s .. %s\n",
              absl::FormatTime(absl::RFC3339_full, absl::FromUnixNanos(t.first_time),
                               absl::UTCTimeZone())
                  .c_str(),
              absl::FormatTime(absl::RFC3339_full, absl::FromUnixNanos(t.last_time),
                               absl::UTCTimeZone())
                  .c_str());
}

// --info: the file's header, blocks and damage. Exit 1 when damage lies
// before the end.
int Info(const std::string& path) {
  absl::StatusOr<std::unique_ptr<RecordingReader>> reader = RecordingReader::Open(path);
  if (!reader.ok()) return ReplayFailure(reader.status());
  RecordingReader& r = **reader;
  r.SetDecodeAhead(true);
  PrintHeader(r, path);
  absl::StatusOr<BlockTotals> totals = ScanBlocks(r);
  if (!totals.ok()) return ReplayFailure(totals.status());
  PrintBlockTotals(*totals, r.file_size());
  bool middle_damage = false;
  const std::vector<Damage> damage = r.TakeDamage();
  std::printf("damage          %s\n", damage.empty() ? "none" : "");
  for (const Damage& d : damage) {
    std::printf("  %s\n", d.message.c_str());
    middle_damage |= !d.truncated_tail;
  }
  return middle_damage ? 1 : 0;
}

// What `flowtop replay FILE ...` asks for.
struct ReplayArgs {
  bool help = false;
  Mode mode = kNone;
  double speed = 0;
  std::string start_text;
  int top = 10;
  std::string path;
};

// Applies option `opt` with `arg`; INVALID_ARGUMENT names what is wrong.
absl::Status ApplyReplayOption(int opt, const char* arg, ReplayArgs& args) {
  switch (opt) {
    case kJsonOpt:
    case kSummaryOpt:
    case kInfoOpt: {
      const Mode m = opt == kJsonOpt ? kJson : opt == kSummaryOpt ? kSummary : kInfo;
      if (args.mode != kNone && args.mode != m) {
        return absl::InvalidArgumentError("--json, --summary and --info exclude each other");
      }
      args.mode = m;
      return absl::OkStatus();
    }
    case kSpeed: {
      absl::StatusOr<double> s = ParseSpeed(arg);
      if (!s.ok()) return s.status();
      args.speed = *s;
      return absl::OkStatus();
    }
    case kStart: args.start_text = arg; return absl::OkStatus();
    case kTop: {
      absl::StatusOr<uint64_t> n = ParseCount("top", arg);
      if (!n.ok() || *n > 100000) {
        return absl::InvalidArgumentError("--top needs a number up to 100000");
      }
      args.top = static_cast<int>(*n);
      return absl::OkStatus();
    }
    default: args.help = true; return absl::OkStatus();  // 'h'
  }
}

// Parses the command line; INVALID_ARGUMENT names what is wrong.
absl::StatusOr<ReplayArgs> ParseReplayArgs(int argc, char** argv) {
  static const option kOptions[] = {
      {"json", no_argument, nullptr, kJsonOpt},
      {"summary", no_argument, nullptr, kSummaryOpt},
      {"info", no_argument, nullptr, kInfoOpt},
      {"speed", required_argument, nullptr, kSpeed},
      {"start", required_argument, nullptr, kStart},
      {"top", required_argument, nullptr, kTop},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  ReplayArgs args;
  optind = 0;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, ":h", kOptions, nullptr)) != -1) {
    if (opt == '?' || opt == ':') return GetoptProblem(argv);
    if (absl::Status s = ApplyReplayOption(opt, optarg, args); !s.ok()) return s;
    if (args.help) return args;
  }
  absl::StatusOr<std::string> path = RecordingArgument(argc, argv, "flowtop replay FILE --json");
  if (!path.ok()) return path.status();
  args.path = *path;
  if (args.mode == kNone) {
    return absl::InvalidArgumentError(
        "the interactive replay runs in the flowtop TUI; here use --json, --summary or --info");
  }
  return args;
}

// Plays the recording into the mode's sink: JSON lines, or the summary
// report once every event is counted.
absl::Status Play(ReplaySource& source, const ReplayArgs& args) {
  if (args.mode == kJson) {
    JsonSink sink;
    absl::Status status = source.Run(sink);
    std::fflush(stdout);
    return status;
  }
  SummarySink sink;
  absl::Status status = source.Run(sink);
  sink.summary.Finish();
  uint64_t file_size = 0;
  if (auto reader = RecordingReader::Open(args.path); reader.ok()) {
    file_size = (*reader)->file_size();
  }
  std::fputs(sink.summary.Report(source.header(), file_size, args.top).c_str(), stdout);
  std::fflush(stdout);
  return status;
}

// The exit code after a full play: 1 when damage was skipped before the
// end (a truncated tail is how a recording stops when its recorder dies).
int DamageExit(const ReplaySource& source, const std::string& path) {
  const ReplayPosition p = source.position();
  const uint64_t middle = p.damaged_blocks - (p.truncated_tail ? 1 : 0);
  if (middle == 0) return 0;
  std::fprintf(stderr,
               "flowtop replay: %s has %llu damaged place%s (see above); the rest "
               "was recovered\n",
               path.c_str(), static_cast<unsigned long long>(middle), middle == 1 ? "" : "s");
  return 1;
}

}  // namespace

bool IsReplayBatchMode(int argc, char** argv) {
  if (IsReplayExport(argc, argv)) return true;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "--json") == 0 || std::strcmp(a, "--summary") == 0 ||
        std::strcmp(a, "--info") == 0 || std::strcmp(a, "--help") == 0 ||
        std::strcmp(a, "-h") == 0) {
      return true;
    }
  }
  return false;
}

int ReplayMain(int argc, char** argv) {
  // `--ipfix HOST:PORT`: back-fill IPFIX collectors (replay_export.h).
  if (IsReplayExport(argc, argv)) return ReplayExportMain(argc, argv);
  absl::StatusOr<ReplayArgs> args = ParseReplayArgs(argc, argv);
  if (!args.ok()) return ReplayUsageError(args.status().message());
  if (args->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args->mode == kInfo) return Info(args->path);

  ReplayOptions options;
  options.speed = args->mode == kJson ? args->speed : 0;
  absl::StatusOr<std::unique_ptr<ReplaySource>> source =
      ReplaySource::Open(args->path, options, core::RealClock::Get());
  if (!source.ok()) return ReplayFailure(source.status());
  if (!args->start_text.empty()) {
    absl::StatusOr<absl::Time> start =
        ParseTimeFlag("start", args->start_text, (*source)->position().first_event);
    if (!start.ok()) return ReplayUsageError(start.status().message());
    (*source)->SeekTo(*start);
  }
  if (absl::Status status = Play(**source, *args); !status.ok()) return ReplayFailure(status);
  return DamageExit(**source, args->path);
}

}  // namespace flowtop::replay
