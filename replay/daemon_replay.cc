#include "replay/daemon_replay.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace flowtop::replay {

absl::StatusOr<std::unique_ptr<ReplaySource>> OpenReplayForDaemon(
    const DaemonReplayOptions& options, const core::Clock& clock) {
  ReplayOptions replay;
  replay.speed = options.speed;
  replay.loop = options.loop;
  replay.hold_at_end = true;
  // Clients see the damage as LOST events; the operator sees it here.
  replay.on_damage = [](const std::string& detail, uint64_t lost) {
    std::fprintf(stderr, "flowtopd: damaged recording: %s (%llu events lost)\n",
                 detail.c_str(), static_cast<unsigned long long>(lost));
  };
  return ReplaySource::Open(options.path, replay, clock);
}

bool KeepRecordedSeq(const DaemonReplayOptions& options) { return !options.loop; }

void FillReplayStatus(const ReplaySource& source, v1::NodeStatus* status) {
  status->set_source(absl::StrCat("replay:", source.path()));
}

}  // namespace flowtop::replay
