// The factory flowtopd calls for `flowtopd --replay FILE`: a ReplaySource
// set up to serve a recording as if its node were live (paced by the real
// clock, optionally looping, holding the final table at the end so clients
// can still query it), and what GetStatus reports about it.
#ifndef FLOWTOP_REPLAY_DAEMON_REPLAY_H_
#define FLOWTOP_REPLAY_DAEMON_REPLAY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "flowtop/v1/flowtop.pb.h"
#include "replay/replay_source.h"

namespace flowtop::replay {

struct DaemonReplayOptions {
  std::string path;
  double speed = 1.0;  // 0: as fast as possible
  bool loop = false;
};

// Returns the source, or the recording's open error (one line naming the
// file: missing, not a recording, newer format, damaged header).
absl::StatusOr<std::unique_ptr<ReplaySource>> OpenReplayForDaemon(
    const DaemonReplayOptions& options, const core::Clock& clock);

// Whether the daemon's pipeline keeps the recorded seq numbers: yes, unless
// the replay loops (seq numbers would then go back at every pass, and a
// node's seq must only grow while it runs).
bool KeepRecordedSeq(const DaemonReplayOptions& options);

// Fills what a replay knows into GetStatus: source "replay:<file>" (damage
// reaches lost.recording through the pipeline's LOST events). Thread-safe.
void FillReplayStatus(const ReplaySource& source, v1::NodeStatus* status);

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_DAEMON_REPLAY_H_
