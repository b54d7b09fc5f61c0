#include "replay/record_sources.h"

#include <cstdio>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collector/kernel_source.h"
#include "grpcpp/grpcpp.h"
#include "replay/replay_source.h"
#include "client/remote_source.h"

namespace flowtop::replay {
namespace {

// The service's RemoteSource for a recording. It reconnects with backoff
// and records an outage as the STATUS and LOST{CLIENT} events RemoteSource
// publishes. The one thing a recording does not want is the
// "connected: false (stopped)" pair RemoteSource publishes when it is
// stopped: ending a recording loses nothing, so events arriving after
// Stop() are not passed on.
class RecordRemoteSource final : public core::EventSource,
                                 private core::EventSink {
 public:
  explicit RecordRemoteSource(client::RemoteSourceOptions options)
      : endpoint_(options.client.endpoint), remote_(std::move(options)) {}

  // Returns what RemoteSource::Run returns: OK once stopped, the error for
  // a failure no retry can fix (UNAUTHENTICATED, PERMISSION_DENIED, ...).
  absl::Status Run(core::EventSink& sink) override {
    {
      absl::MutexLock lock(&mu_);
      sink_ = &sink;
    }
    return remote_.Run(*this);
  }

  void Stop() override {
    {
      absl::MutexLock lock(&mu_);
      stopped_ = true;
    }
    remote_.Stop();
  }

  // "" once a stream was up; otherwise the line saying why no data came.
  std::string NoDataReason() const {
    absl::MutexLock lock(&mu_);
    if (ever_connected_) return "";
    return absl::StrCat("got no data from ", endpoint_, " (",
                        last_error_.empty() ? "no answer" : last_error_, ")");
  }

 private:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    absl::MutexLock lock(&mu_);
    if (stopped_ || sink_ == nullptr) return;
    for (const v1::FlowEvent& e : events) {
      if (e.type() != v1::STATUS || e.status().endpoint().empty()) continue;
      if (e.status().connected()) {
        ever_connected_ = true;
      } else {
        last_error_ = e.status().error();
      }
    }
    // Held across Publish so Stop() returns only after a batch in flight
    // reached the sink (the recorder closes after Stop and join).
    sink_->Publish(events);
  }

  const std::string endpoint_;
  client::RemoteSource remote_;
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool ever_connected_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  core::EventSink* sink_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace

absl::StatusOr<RecordSource> MakeRecordSource(const RecordSourceOptions& options,
                                              const core::Clock& clock) {
  if (!options.client.endpoint.empty() && !options.from_file.empty()) {
    return absl::InvalidArgumentError(
        "--connect and --from both name a source: use one of them");
  }
  RecordSource out;
  if (!options.from_file.empty()) {
    ReplayOptions replay;
    replay.speed = 0;
    absl::StatusOr<std::unique_ptr<ReplaySource>> source =
        ReplaySource::Open(options.from_file, replay, clock);
    if (!source.ok()) return source.status();
    out.node = (*source)->header().node();
    out.source = std::move(*source);
    out.keep_source_seq = true;
    out.description = absl::StrCat("file:", options.from_file);
    return out;
  }
  if (!options.client.endpoint.empty()) {
    // Check the TLS files and the token now, so a typo fails before the
    // recording starts (RemoteSource::Run would fail the same way later).
    client::ClientOptions client = options.client;
    if (absl::Status status = client::LoadToken(&client); !status.ok()) {
      return status;
    }
    if (const std::string w = client::TokenFileWarning(client.token_file);
        !w.empty()) {
      std::fprintf(stderr, "flowtop record: %s\n", w.c_str());
    }
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        client::MakeChannel(client);
    if (!channel.ok()) return channel.status();
    client::RemoteSourceOptions remote;
    remote.client = options.client;
    auto source = std::make_unique<RecordRemoteSource>(std::move(remote));
    RecordRemoteSource* raw = source.get();
    out.no_data_reason = [raw] { return raw->NoDataReason(); };
    out.source = std::move(source);
    out.keep_source_seq = true;
    out.description = absl::StrCat("connect:", options.client.endpoint);
    return out;
  }
  collector::KernelSourceOptions kernel;
  if (options.ipv4_only || options.ipv6_only) {
    kernel.ipv4 = options.ipv4_only;
    kernel.ipv6 = options.ipv6_only;
  }
  kernel.protocols = collector::ProtocolSelection(options.tcp, options.udp,
                                                  options.dccp, options.icmp,
                                                  options.sctp);
  absl::StatusOr<std::unique_ptr<collector::KernelSource>> source =
      collector::KernelSource::Create(std::move(kernel), clock);
  if (!source.ok()) return source.status();
  out.source = std::move(*source);
  out.keep_source_seq = false;
  out.description = "kernel";
  return out;
}

}  // namespace flowtop::replay
