// Where the TUI's events come from, and the threads that run the sources.
//
// A SourceFactory builds the EventSources for the three modes (local
// collector, flowtopd endpoints, recording). The binary uses the real
// factory; tests inject one that, for instance, plays a fixture file, so
// the whole program (options, loops, terminal) runs against known input.
// SourceSet runs each source on its own thread into the model and records
// how each one ended.
#ifndef FLOWTOP_TUI_SOURCES_H_
#define FLOWTOP_TUI_SOURCES_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "tui/model.h"
#include "tui/options.h"
#include "tui/replay_control.h"

namespace flowtop::tui {

class SourceFactory {
 public:
  virtual ~SourceFactory() = default;

  // Returns the in-process collector (kernel conntrack plus enrichment).
  // `note` receives one-line notices for the status line (sysctls turned
  // on, no GeoIP database, ...). Errors: PERMISSION_DENIED without
  // CAP_NET_ADMIN (with what to do), UNIMPLEMENTED in a build without it.
  virtual absl::StatusOr<std::unique_ptr<core::EventSource>> Local(
      const Options& options, std::function<void(const std::string&)> note) = 0;

  // Returns a source streaming from one flowtopd (`endpoint` is HOST:PORT),
  // reconnecting with backoff; it reports its connection state in-band
  // (STATUS events with NodeStatus.endpoint set). Errors: INVALID_ARGUMENT /
  // NOT_FOUND for bad TLS or token options.
  virtual absl::StatusOr<std::unique_ptr<core::EventSource>> Remote(
      const std::string& endpoint, const Options& options) = 0;

  // Returns a source playing a recording. Errors: NOT_FOUND, DATA_LOSS or
  // INVALID_ARGUMENT naming the file and what is wrong with it.
  virtual absl::StatusOr<std::unique_ptr<core::EventSource>> Replay(
      const std::string& path, const Options& options) = 0;

  // Returns the clock the screen reads "now" from (ages, rates derived from
  // counters): the wall clock, or for a recording the recording's own time.
  virtual const core::Clock& ViewClock(const Options& /*options*/) {
    return core::RealClock::Get();
  }

  // Returns the control of the recording Replay built (valid while that
  // source lives), or null: live and remote modes, or a factory whose
  // replays cannot be steered.
  virtual ReplayControl* replay_control() { return nullptr; }

  // One line shown instead of a bare "no flows yet" after Local built its
  // source: why the table may stay empty (conntrack tracks nothing in this
  // namespace) and what to do. Empty when there is nothing to say.
  virtual std::string empty_hint() const { return ""; }
};

// The sources of one run, each on its own thread publishing into a model.
class SourceSet {
 public:
  explicit SourceSet(Model& model) : model_(model) {}
  ~SourceSet();  // stops and joins every source

  // Builds the sources for `options` with `factory` and registers them in
  // the model. Returns the first construction error (nothing started then).
  absl::Status Build(SourceFactory& factory, const Options& options);

  // Starts one thread per source.
  void Start();

  // Waits until every source has sent its initial snapshot or ended, at
  // most `timeout`. Returns the error of the first source that ended with
  // one (e.g. PERMISSION_DENIED from the kernel), else OK.
  absl::Status WaitForStartup(absl::Duration timeout);

  // Stops every source and joins the threads. Idempotent.
  void Stop();

  // Returns the text for the title ("local", "r1:7070", "3 endpoints",
  // "replay: FILE").
  const std::string& title() const { return title_; }

 private:
  struct Entry {
    int index;
    std::unique_ptr<core::EventSource> source;
  };
  Model& model_;
  std::vector<Entry> entries_;
  std::vector<std::thread> threads_;
  std::string title_;
  absl::Mutex mu_;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_SOURCES_H_
