#include "tui/real_sources.h"

#include <cstdio>
#include <atomic>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "check/conntrack_enabler.h"
#include "check/conntrack_probe.h"
#include "collector/enrich/enricher.h"
#include "collector/kernel_source.h"
#include "core/event_source.h"
#include "core/flow_store.h"
#include "core/pipeline.h"
#include "client/client_options.h"
#include "replay/replay_source.h"
#include "client/remote_source.h"

namespace flowtop::tui {
namespace {

constexpr int kCapNetAdmin = 12;

constexpr char kNoPrivileges[] =
    "local mode reads the kernel's connection tracking and needs CAP_NET_ADMIN: "
    "run 'sudo flowtop', or give the binary the capability "
    "('sudo setcap cap_net_admin,cap_sys_ptrace,cap_dac_read_search+ep flowtop'), "
    "or watch a flowtopd with --connect HOST:PORT, or a recording with --replay FILE";

// The in-process collector of local mode: the kernel source feeds a
// Pipeline that keeps its flows in the TUI's model (its FlowStore) and whose
// sink is the enricher (which publishes ENRICH events back into the
// pipeline).
class LocalCollector final : public core::EventSource {
 public:
  LocalCollector(std::unique_ptr<collector::KernelSource> kernel, const Options& options,
                 std::function<void(const std::string&)> note,
                 std::unique_ptr<check::ConntrackEnabler> enabler)
      : enabler_(std::move(enabler)),
        kernel_(std::move(kernel)),
        pipeline_(core::PipelineOptions{}, core::RealClock::Get()) {
    collector::enrich::EnricherOptions eo;
    eo.no_dns = options.no_dns;
    eo.no_geoip = options.no_geoip;
    eo.no_bpf = options.no_bpf;
    enricher_ = collector::enrich::Enricher::Create(eo, pipeline_, core::RealClock::Get());
    for (const std::string& hint : enricher_->hints()) note(hint);
    // The fallback is among the hints; say which mode is in use in any case.
    if (enricher_->attribution_mode().mode == "ebpf") {
      note(collector::enrich::DescribeAttribution(enricher_->attribution_mode()));
    }
  }
  ~LocalCollector() override {
    kernel_->Stop();
    enricher_.reset();  // before the pipeline it publishes into
  }

  absl::Status Run(core::EventSink& sink) override {
    pipeline_.AddSink(enricher_.get());
    // The model keeps every flow and is their only reader: the pipeline
    // applies events to it rather than to a table of its own, so the
    // process holds each flow once (docs/memory.md).
    if (core::FlowStore* store = sink.flow_store()) {
      pipeline_.KeepFlowsIn(*store);
    } else {
      pipeline_.AddSink(&sink);
    }
    return kernel_->Run(pipeline_);
  }
  void Stop() override { kernel_->Stop(); }

 private:
  // --enable-conntrack's table: removed after the kernel source stopped.
  std::unique_ptr<check::ConntrackEnabler> enabler_;
  std::unique_ptr<collector::KernelSource> kernel_;
  core::Pipeline pipeline_;
  std::unique_ptr<collector::enrich::Enricher> enricher_;
};

// The screen's clock: the wall clock, or once a recording is open, the
// recording's own time (so ages in a replay are as they were).
class ViewClockProxy final : public core::Clock {
 public:
  absl::Time Now() const override {
    const core::Clock* target = target_.load();
    return target != nullptr ? target->Now() : absl::Now();
  }
  void Follow(const core::Clock* target) { target_.store(target); }

 private:
  std::atomic<const core::Clock*> target_{nullptr};
};

// Steers the ReplaySource the factory built. After a command it waits
// (briefly) for the replay thread to carry it out, so the snapshot the key
// asks for already shows the new position.
class ReplaySourceControl final : public ReplayControl {
 public:
  explicit ReplaySourceControl(replay::ReplaySource& source) : source_(source) {}

  void Pause() override { Settle([&] { source_.Pause(); }); }
  void Resume() override { source_.Resume(); }
  void Step(size_t events) override { Settle([&] { source_.Step(events); }); }
  void SeekBy(absl::Duration delta) override { Settle([&] { source_.SeekBy(delta); }); }
  void SeekToStart() override {
    Settle([&] { source_.SeekTo(source_.position().first_event); });
  }
  void SeekTo(absl::Duration position) override {
    Settle([&] {
      const replay::ReplayPosition p = source_.position();
      source_.SeekTo(std::clamp(p.first_event + position, p.first_event, p.last_event));
    });
  }
  void SetSpeed(double speed) override { source_.SetSpeed(speed); }
  ReplayStatus Status() const override {
    const replay::ReplayPosition p = source_.position();
    ReplayStatus st;
    st.first_event = p.first_event;
    st.position = p.now > p.first_event ? p.now - p.first_event : absl::ZeroDuration();
    st.length = p.last_event - p.first_event;
    st.speed = p.speed;
    st.paused = p.paused;
    st.at_end = p.at_end;
    return st;
  }

 private:
  template <typename F>
  void Settle(F command) {
    command();
    source_.WaitIdle(absl::Milliseconds(500));
  }
  replay::ReplaySource& source_;
};

class RealSourceFactory final : public SourceFactory {
 public:
  absl::StatusOr<std::unique_ptr<core::EventSource>> Local(
      const Options& options, std::function<void(const std::string&)> note) override {
    std::ifstream in("/proc/self/status");
    std::stringstream text;
    text << in.rdbuf();
    absl::Status st = CheckLocalPrivileges(text.str());
    if (!st.ok()) return st;
    std::unique_ptr<check::ConntrackEnabler> enabler;
    if (options.enable_conntrack) {
      auto made = check::ConntrackEnabler::Create();
      if (!made.ok()) return made.status();
      enabler = *std::move(made);
      note(absl::StrCat("--enable-conntrack: nftables table ", enabler->table(),
                        " tracks this namespace until flowtop exits"));
    }
    if (check::ProbeTracking().state == check::Tracking::kInactive) {
      empty_hint_ = check::TrackingHint("flowtop");
    }
    collector::KernelSourceOptions ko;
    // The protocol keys work at run time, so the kernel reports all of
    // them; the address families have no key and are filtered at the source.
    ko.ipv4 = options.view.families.ipv4;
    ko.ipv6 = options.view.families.ipv6;
    ko.rate_interval = options.interval;
    ko.notice = note;
    auto kernel = collector::KernelSource::Create(std::move(ko));
    if (!kernel.ok()) {
      if (kernel.status().code() == absl::StatusCode::kPermissionDenied) {
        return absl::PermissionDeniedError(kNoPrivileges);
      }
      return kernel.status();
    }
    return std::make_unique<LocalCollector>(*std::move(kernel), options, std::move(note),
                                            std::move(enabler));
  }

  absl::StatusOr<std::unique_ptr<core::EventSource>> Remote(
      const std::string& endpoint, const Options& options) override {
    client::RemoteSourceOptions ro;
    ro.client = options.tls;
    ro.client.endpoint = endpoint;
    // Bad TLS files or token: say so before the screen opens.
    absl::Status st = client::LoadToken(&ro.client);
    if (!st.ok()) return st;
    if (const std::string w = client::TokenFileWarning(ro.client.token_file);
        !w.empty()) {
      std::fprintf(stderr, "flowtop: %s\n", w.c_str());
    }
    auto channel = client::MakeChannel(ro.client);
    if (!channel.ok()) return channel.status();
    return std::make_unique<client::RemoteSource>(std::move(ro));
  }

  absl::StatusOr<std::unique_ptr<core::EventSource>> Replay(
      const std::string& path, const Options& options) override {
    replay::ReplayOptions ro;
    ro.speed = 1.0;
    // The interactive view stays on the last state at the end; the batch
    // modes end with the recording.
    ro.hold_at_end = options.output == OutputMode::kInteractive;
    auto source = replay::ReplaySource::Open(path, ro, core::RealClock::Get());
    if (!source.ok()) return source.status();
    if ((*source)->header_damage().has_value()) {
      // Said before the screen opens; the view shows it as a loss gap.
      std::fprintf(stderr, "flowtop: damaged recording: %s: %s\n", path.c_str(),
                   (*source)->header_damage()->message.c_str());
    }
    view_clock_.Follow(&(*source)->recorded_clock());
    control_ = std::make_unique<ReplaySourceControl>(**source);
    return std::unique_ptr<core::EventSource>(*std::move(source));
  }

  const core::Clock& ViewClock(const Options&) override { return view_clock_; }
  std::string empty_hint() const override { return empty_hint_; }
  ReplayControl* replay_control() override { return control_.get(); }

 private:
  ViewClockProxy view_clock_;
  std::string empty_hint_;
  std::unique_ptr<ReplaySourceControl> control_;
};

}  // namespace

absl::Status CheckLocalPrivileges(absl::string_view proc_status) {
  for (absl::string_view line : absl::StrSplit(proc_status, '\n')) {
    if (!absl::ConsumePrefix(&line, "CapEff:")) continue;
    uint64_t caps = 0;
    if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(line), &caps)) break;
    if (caps & (uint64_t{1} << kCapNetAdmin)) return absl::OkStatus();
    return absl::PermissionDeniedError(kNoPrivileges);
  }
  return absl::PermissionDeniedError(kNoPrivileges);
}

std::unique_ptr<SourceFactory> NewRealSourceFactory() {
  return std::make_unique<RealSourceFactory>();
}

}  // namespace flowtop::tui
