#include "service/sources.h"

#include <memory>
#include <utility>

#include "collector/clock.h"
#include "replay/daemon_replay.h"
#include "service/source_status.h"

namespace flowtop::service {
namespace {

// GetStatus for a replayed recording.
class ReplayStatus final : public SourceStatus {
 public:
  explicit ReplayStatus(const replay::ReplaySource& source) : source_(source) {}
  void FillStatus(v1::NodeStatus* status) const override {
    replay::FillReplayStatus(source_, status);
  }

 private:
  const replay::ReplaySource& source_;
};

absl::StatusOr<SourceBundle> MakeReplaySource(const DaemonConfig& config) {
  replay::DaemonReplayOptions options;
  options.path = config.replay_file;
  options.speed = config.replay_speed;
  options.loop = config.replay_loop;
  absl::StatusOr<std::unique_ptr<replay::ReplaySource>> source =
      replay::OpenReplayForDaemon(options, collector::RealClock::Get());
  if (!source.ok()) return source.status();
  SourceBundle bundle;
  auto status = std::make_shared<ReplayStatus>(**source);
  bundle.status = status.get();
  bundle.keep_alive = status;
  bundle.name = "replay:" + config.replay_file;
  bundle.keep_source_seq = replay::KeepRecordedSeq(options);
  bundle.source = std::move(*source);
  return bundle;
}

}  // namespace

absl::StatusOr<SourceBundle> MakeSource(const DaemonConfig& config) {
  if (!config.replay_file.empty()) return MakeReplaySource(config);
  // The kernel conntrack source lives in collector/ (branch collector) and
  // is wired here when it is merged.
  return absl::UnimplementedError(
      "this build has no kernel conntrack source yet (collector/"
      "kernel_source); nothing to serve");
}

}  // namespace flowtop::service
