#include "service/sources.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <utility>

#include "check/conntrack_enabler.h"
#include "core/clock.h"
#include "collector/kernel_source.h"
#include "replay/daemon_replay.h"
#include "service/source_status.h"

namespace flowtop::service {
namespace {

// GetStatus' kernel figures, read from the source's namespace.
class KernelStatus final : public SourceStatus {
 public:
  explicit KernelStatus(const collector::KernelSource* source)
      : source_(source) {}
  void FillStatus(v1::NodeStatus* status) const override {
    absl::StatusOr<collector::ConntrackInfo> info = source_->Info();
    if (info.ok()) {
      status->set_conntrack_count(info->count);
      status->set_conntrack_max(info->max);
      v1::SysctlState* sysctl = status->mutable_sysctl();
      sysctl->set_acct(info->acct);
      sysctl->set_timestamp(info->timestamp);
      sysctl->set_events(info->events);
      sysctl->set_changed_by_flowtop(info->changed_by_flowtop);
    }
    status->set_resyncs(source_->stats().resyncs);
    const collector::KernelSourceStats stats = source_->stats();
    status->set_rate_period_millis(absl::ToInt64Milliseconds(stats.rate_period));
    status->set_rate_stretched(stats.rate_stretched);
    status->mutable_lost()->set_kernel(
        std::max(status->lost().kernel(), source_->stats().overflows));
  }

 private:
  const collector::KernelSource* const source_;
};

// GetStatus for a replayed recording (--replay, the replay area).
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
      replay::OpenReplayForDaemon(options, core::RealClock::Get());
  if (!source.ok()) return source.status();
  SourceBundle bundle;
  auto status = std::make_shared<ReplayStatus>(**source);
  bundle.status = status.get();
  bundle.keep_alive = status;
  bundle.name = "replay:" + config.replay_file;
  bundle.keep_source_seq = replay::KeepRecordedSeq(options);
  bundle.stream_clock = &(*source)->recorded_clock();
  bundle.rename_node = config.node_name_given;
  bundle.source = std::move(*source);
  return bundle;
}

}  // namespace

absl::StatusOr<SourceBundle> MakeSource(const DaemonConfig& config) {
  if (!config.replay_file.empty()) return MakeReplaySource(config);
  const CollectorFlags& c = config.collector;
  collector::KernelSourceOptions options;
  options.ipv4 = c.ipv4 || !c.ipv6;
  options.ipv6 = c.ipv6 || !c.ipv4;
  options.protocols =
      collector::ProtocolSelection(c.tcp, c.udp, c.dccp, c.icmp, c.sctp);
  options.receive_buffer_bytes = c.rcvbuf;
  options.rate_interval = c.interval;
  options.max_flows = c.max_flows;
  SourceBundle bundle;
  if (config.enable_conntrack) {
    absl::StatusOr<std::unique_ptr<check::ConntrackEnabler>> enabler =
        check::ConntrackEnabler::Create();
    if (!enabler.ok()) return enabler.status();
    std::fprintf(stderr, "flowtopd: --enable-conntrack: nftables table %s tracks this namespace until flowtopd exits\n",
                 (*enabler)->table().c_str());
    bundle.conntrack_enabler = std::shared_ptr<check::ConntrackEnabler>(std::move(*enabler));
  }
  absl::StatusOr<std::unique_ptr<collector::KernelSource>> source =
      collector::KernelSource::Create(std::move(options));
  if (!source.ok()) return source.status();
  auto status = std::make_shared<KernelStatus>(source->get());
  bundle.status = status.get();
  bundle.keep_alive = status;
  bundle.source = *std::move(source);
  bundle.name = "kernel";
  return bundle;
}

}  // namespace flowtop::service
