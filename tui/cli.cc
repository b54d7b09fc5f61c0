#include "tui/cli.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <clocale>
#include <cstdio>
#include <cstdlib>
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

}  // namespace

int RunFlowtop(int argc, char** argv, Program& program) {
  std::setlocale(LC_ALL, "");
  if (argc >= 2) {
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
  }
  absl::StatusOr<Options> parsed = ParseOptions(argc, argv, program.file_argument);
  if (!parsed.ok()) {
    PrintError(absl::StrCat(parsed.status().message(), "; run 'flowtop --help' for the options"));
    return 2;
  }
  Options& options = *parsed;
  switch (options.action) {
    case Options::Action::kHelp:
      std::fputs(Usage(), stdout);
      return 0;
    case Options::Action::kVersion:
      std::printf("flowtop %s\n%s\n", kVersion, kGeoAttribution);
      return 0;
    case Options::Action::kUpdateGeoIp: {
      if (!program.update_geoip) {
        PrintError("--update is not available in this build");
        return 1;
      }
      return program.update_geoip();
    }
    case Options::Action::kCheck:
      if (!program.check) {
        PrintError("--check is not available in this build");
        return 1;
      }
      return program.check(options);
    case Options::Action::kRun:
      break;
  }

  const bool interactive = options.output == OutputMode::kInteractive;
  // Block the quit signals (and SIGWINCH outside the key wait) before any
  // thread starts, so every thread inherits the mask.
  sigset_t quit_signals, blocked, wait_mask;
  sigemptyset(&wait_mask);
  sigemptyset(&quit_signals);
  sigaddset(&quit_signals, SIGINT);
  sigaddset(&quit_signals, SIGTERM);
  sigaddset(&quit_signals, SIGHUP);
  blocked = quit_signals;
  sigaddset(&blocked, SIGWINCH);
  if (interactive) pthread_sigmask(SIG_BLOCK, &blocked, &wait_mask);
  // While waiting for keys only SIGWINCH may arrive (the quit signals stay
  // with the watcher thread; curses' own SIGTERM handler would exit(1)).
  sigdelset(&wait_mask, SIGWINCH);
  sigaddset(&wait_mask, SIGINT);
  sigaddset(&wait_mask, SIGTERM);
  sigaddset(&wait_mask, SIGHUP);

  const core::Clock& clock = core::RealClock::Get();
  Model model(program.factory->ViewClock(options));
  SourceSet sources(model);
  absl::Status st = sources.Build(*program.factory, options);
  if (!st.ok()) {
    PrintError(st.message());
    return 1;
  }
  sources.Start();
  // Local and replay sources that cannot start (privileges, a bad file)
  // fail at once: report it before the screen is taken over.
  st = sources.WaitForStartup(std::min(options.interval, absl::Seconds(2)));
  if (!st.ok() && options.connect.empty()) {
    sources.Stop();
    PrintError(st.message());
    return 1;
  }

  LoopOptions loop;
  loop.interval = options.interval;
  loop.title = sources.title();
  loop.count = options.count;
  loop.width = options.width;
  if (options.output == OutputMode::kBatch) {
    st = RunBatch(model, options.view, loop, stdout);
  } else if (options.output == OutputMode::kJson) {
    st = RunJson(model, options.view, loop, stdout);
  } else {
    auto screen = CursesScreen::Open(ColorWanted(), wait_mask);
    if (!screen.ok()) {
      sources.Stop();
      PrintError(screen.status().message());
      return 1;
    }
    ViewState view = options.view;
    view.color = ColorWanted();
    SignalWatcher watcher(quit_signals);
    watcher.Start(screen->get());
    st = RunInteractive(model, view, loop, clock, **screen,
                        options.replay_file.empty() ? nullptr : program.factory->replay_control());
    watcher.Stop();
    screen->reset();  // restores the terminal before anything is printed
  }
  // Before Stop, which marks every source stopped.
  const std::string no_data =
      options.output != OutputMode::kInteractive && !options.connect.empty()
          ? NeverGotData(model)
          : "";
  sources.Stop();
  if (!st.ok()) {
    PrintError(st.message());
    return 1;
  }
  if (!no_data.empty()) {
    PrintError(no_data);
    return 1;
  }
  return 0;
}

}  // namespace flowtop::tui
