#include "tui/cli.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/clock.h"
#include "core/version.h"
#include "tui/app.h"
#include "tui/curses_screen.h"
#include "tui/model.h"
#include "tui/options.h"

namespace flowtop::tui {
namespace {

// Returns why a --batch/--json run against remote endpoints printed
// nothing real: "" when at least one endpoint delivered its table, else one
// line naming each endpoint and its last error (a script must not read an
// empty output as "no flows").
std::string NeverGotData(const Model& model) {
  std::vector<std::string> failed;
  for (const SourceState& s : model.TakeSnapshot().sources) {
    // synced: its table arrived (a source that ended with an error is
    // marked synced too, so that does not count).
    if (s.synced && !(s.ended && !s.error.empty())) return "";
    failed.push_back(absl::StrCat(s.label, " (", s.error.empty() ? "no answer" : s.error, ")"));
  }
  if (failed.empty()) return "";
  return absl::StrCat("got no data from ", absl::StrJoin(failed, ", "));
}

void PrintError(absl::string_view message) {
  std::fprintf(stderr, "flowtop: %.*s\n", static_cast<int>(message.size()), message.data());
}

bool ColorWanted() {
  const char* no_color = std::getenv("NO_COLOR");
  return no_color == nullptr || *no_color == '\0';
}

// Turns SIGINT/SIGTERM/SIGHUP into a clean quit of the interactive loop:
// they are blocked in every thread and one thread waits for them, so the
// terminal is always restored by the screen's destructor.
class SignalWatcher {
 public:
  explicit SignalWatcher(const sigset_t& set) : set_(set) {}
  ~SignalWatcher() { Stop(); }
  void Start(Terminal* terminal) {
    thread_ = std::thread([this, terminal]() {
      int sig = 0;
      sigwait(&set_, &sig);
      if (!stopping_.load()) terminal->RequestQuit();
    });
  }
  void Stop() {
    if (!thread_.joinable()) return;
    stopping_.store(true);
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }

 private:
  sigset_t set_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Runs the sub-command argv[1] names ("record", "replay") with argv[0] =
// "flowtop record"; nullopt when argv[1] names none.
std::optional<int> RunSubcommand(int argc, char** argv, Program& program) {
  if (argc < 2) return std::nullopt;
  auto sub = program.subcommands.find(argv[1]);
  if (sub != program.subcommands.end()) {
    std::string name = absl::StrCat("flowtop ", argv[1]);
    std::vector<char*> args = {name.data()};
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    return sub->second(static_cast<int>(args.size()) - 1, args.data());
  }
  if (!program.file_argument &&
      (std::string(argv[1]) == "record" || std::string(argv[1]) == "replay")) {
    PrintError(absl::StrCat("'", argv[1], "' is not available in this build"));
    return 1;
  }
  return std::nullopt;
}

// Runs the actions that show no flows (--help, --version, --update,
// --check); nullopt for a run.
std::optional<int> RunAction(const Options& options, Program& program) {
  switch (options.action) {
    case Options::Action::kHelp:
      std::fputs(Usage(), stdout);
      return 0;
    case Options::Action::kVersion:
      std::printf("flowtop %s\n%s\n", kVersion, kGeoAttribution);
      return 0;
    case Options::Action::kUpdateGeoIp:
      if (!program.update_geoip) {
        PrintError("--update is not available in this build");
        return 1;
      }
      return program.update_geoip();
    case Options::Action::kCheck:
      if (!program.check) {
        PrintError("--check is not available in this build");
        return 1;
      }
      return program.check(options);
    case Options::Action::kRun:
      break;
  }
  return std::nullopt;
}

struct SignalMasks {
  sigset_t quit;  // SIGINT, SIGTERM, SIGHUP: the watcher thread waits for them
  sigset_t wait;  // the mask while waiting for keys: only SIGWINCH comes through
};

// Interactive mode blocks the quit signals (and SIGWINCH outside the key
// wait) before any thread starts, so every thread inherits the mask.
SignalMasks BlockSignals(bool interactive) {
  SignalMasks m;
  sigset_t blocked;
  sigemptyset(&m.wait);
  sigemptyset(&m.quit);
  sigaddset(&m.quit, SIGINT);
  sigaddset(&m.quit, SIGTERM);
  sigaddset(&m.quit, SIGHUP);
  blocked = m.quit;
  sigaddset(&blocked, SIGWINCH);
  if (interactive) pthread_sigmask(SIG_BLOCK, &blocked, &m.wait);
  // While waiting for keys only SIGWINCH may arrive (the quit signals stay
  // with the watcher thread; curses' own SIGTERM handler would exit(1)).
  sigdelset(&m.wait, SIGWINCH);
  sigaddset(&m.wait, SIGINT);
  sigaddset(&m.wait, SIGTERM);
  sigaddset(&m.wait, SIGHUP);
  return m;
}

// Builds and starts the sources. Local and replay sources that cannot
// start (privileges, a bad file) fail at once, before the screen is taken
// over; remote endpoints may come later.
absl::Status StartSources(SourceSet& sources, SourceFactory& factory, const Options& options) {
  if (absl::Status st = sources.Build(factory, options); !st.ok()) return st;
  sources.Start();
  absl::Status st = sources.WaitForStartup(std::min(options.interval, absl::Seconds(2)));
  if (!st.ok() && options.connect.empty()) {
    sources.Stop();
    return st;
  }
  return absl::OkStatus();
}

// The interactive loop in a curses screen, quitting on the quit signals;
// the terminal is restored before this returns.
absl::Status RunScreen(Model& model, const Options& options, const LoopOptions& loop,
                       Program& program, const SignalMasks& masks) {
  auto screen = CursesScreen::Open(ColorWanted(), masks.wait);
  if (!screen.ok()) return screen.status();
  ViewState view = options.view;
  view.color = ColorWanted();
  SignalWatcher watcher(masks.quit);
  watcher.Start(screen->get());
  absl::Status st = RunInteractive(
      model, view, loop, core::RealClock::Get(), **screen,
      options.replay_file.empty() ? nullptr : program.factory->replay_control());
  watcher.Stop();
  screen->reset();  // restores the terminal before anything is printed
  return st;
}

// Shows the flows in the chosen output mode until the end, a count or a
// quit.
absl::Status ShowFlows(Model& model, const Options& options, const std::string& title,
                       Program& program, const SignalMasks& masks) {
  LoopOptions loop;
  loop.interval = options.interval;
  loop.title = title;
  loop.count = options.count;
  loop.width = options.width;
  switch (options.output) {
    case OutputMode::kBatch: return RunBatch(model, options.view, loop, stdout);
    case OutputMode::kJson: return RunJson(model, options.view, loop, stdout);
    case OutputMode::kInteractive: break;
  }
  return RunScreen(model, options, loop, program, masks);
}

// The exit code: 1 with one line when the run failed, or when a script
// asked remote endpoints and none answered; 0 otherwise.
int ExitStatus(const absl::Status& run, const std::string& no_data) {
  if (!run.ok()) {
    PrintError(run.message());
    return 1;
  }
  if (!no_data.empty()) {
    PrintError(no_data);
    return 1;
  }
  return 0;
}

}  // namespace

int RunFlowtop(int argc, char** argv, Program& program) {
  std::setlocale(LC_ALL, "");
  if (std::optional<int> code = RunSubcommand(argc, argv, program)) return *code;
  absl::StatusOr<Options> parsed = ParseOptions(argc, argv, program.file_argument);
  if (!parsed.ok()) {
    PrintError(absl::StrCat(parsed.status().message(), "; run 'flowtop --help' for the options"));
    return 2;
  }
  const Options& options = *parsed;
  if (std::optional<int> code = RunAction(options, program)) return *code;

  const SignalMasks masks = BlockSignals(options.output == OutputMode::kInteractive);
  Model model(program.factory->ViewClock(options));
  SourceSet sources(model);
  if (absl::Status st = StartSources(sources, *program.factory, options); !st.ok()) {
    PrintError(st.message());
    return 1;
  }
  absl::Status st = ShowFlows(model, options, sources.title(), program, masks);
  // Before Stop, which marks every source stopped.
  const std::string no_data =
      options.output != OutputMode::kInteractive && !options.connect.empty()
          ? NeverGotData(model)
          : "";
  sources.Stop();
  return ExitStatus(st, no_data);
}

}  // namespace flowtop::tui
