// FixtureSource: an EventSource that plays a file of FlowEvents written as
// JSON lines (the proto JSON form), for tests of the whole flowtop program
// against known input. FixtureSourceFactory plugs it in as --replay.
#ifndef FLOWTOP_TESTS_TUI_FIXTURE_SOURCE_H_
#define FLOWTOP_TESTS_TUI_FIXTURE_SOURCE_H_

#include <atomic>
#include <memory>
#include <string>

#include "core/event_source.h"
#include "core/fake_clock.h"
#include "tui/sources.h"

namespace flowtop::tui {

class FixtureSource final : public core::EventSource {
 public:
  explicit FixtureSource(std::string path) : path_(std::move(path)) {}
  // Publishes every event of the file in order, then returns OK. Errors:
  // NOT_FOUND (no such file), INVALID_ARGUMENT "FILE:LINE: ..." for a line
  // that is not a FlowEvent.
  absl::Status Run(core::EventSink& sink) override;
  void Stop() override { stop_.store(true); }

 private:
  std::string path_;
  std::atomic<bool> stop_{false};
};

// Local and remote modes are not available (UNIMPLEMENTED); --replay FILE
// plays a fixture. The view clock stands at the time of the first event.
class FixtureSourceFactory final : public SourceFactory {
 public:
  absl::StatusOr<std::unique_ptr<core::EventSource>> Local(
      const Options&, std::function<void(const std::string&)>) override;
  absl::StatusOr<std::unique_ptr<core::EventSource>> Remote(const std::string&,
                                                                 const Options&) override;
  absl::StatusOr<std::unique_ptr<core::EventSource>> Replay(const std::string& path,
                                                                 const Options&) override;
  const core::Clock& ViewClock(const Options& options) override;

 private:
  core::FakeClock clock_;
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TESTS_TUI_FIXTURE_SOURCE_H_
