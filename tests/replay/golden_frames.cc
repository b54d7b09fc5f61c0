#include "tests/replay/golden_frames.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/fake_clock.h"
#include "replay/replay_source.h"
#include "tests/replay/golden_report.h"
#include "tui/model.h"
#include "tui/view.h"
#include "tui/view_state.h"

namespace flowtop::replay {

absl::StatusOr<std::string> GoldenFrames(const std::string& path) {
  absl::StatusOr<std::vector<absl::Time>> checkpoints = Checkpoints(path);
  if (!checkpoints.ok()) return checkpoints.status();
  const absl::Time start = absl::FromUnixSeconds(1'000'000);
  core::FakeClock clock(start);
  ReplayOptions options;
  options.speed = 1;
  absl::StatusOr<std::unique_ptr<ReplaySource>> source =
      ReplaySource::Open(path, options, clock);
  if (!source.ok()) return source.status();
  ReplaySource& replay = **source;
  const absl::Time first = replay.position().first_event;
  tui::Model model(replay.recorded_clock());
  const int index = model.AddSource(replay.header().node());
  absl::Status status;
  std::thread runner([&] { status = replay.Run(model.SinkFor(index)); });
  replay.WaitIdle(absl::Minutes(1));
  const std::string title =
      absl::StrCat("replay: ", path.substr(path.rfind('/') + 1));
  std::string out;
  for (absl::Time t : *checkpoints) {
    clock.Set(start + (t - first));
    replay.ClockChanged();
    replay.WaitIdle(absl::Minutes(1));
    absl::StrAppend(&out, "== frame at ",
                    absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()), "\n",
                    tui::Render(model.TakeSnapshot(), tui::ViewState(), 120, 24, title)
                        .frame.Text(),
                    "\n");
  }
  replay.Stop();
  runner.join();
  if (!status.ok()) return status;
  return out;
}

}  // namespace flowtop::replay
