#include "client/remote_source.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "flowtop/v1/flowtop.grpc.pb.h"

namespace flowtop::client {
namespace {

bool Permanent(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAUTHENTICATED ||
         code == grpc::StatusCode::PERMISSION_DENIED ||
         code == grpc::StatusCode::INVALID_ARGUMENT ||
         code == grpc::StatusCode::UNIMPLEMENTED;
}

}  // namespace

RemoteSource::RemoteSource(RemoteSourceOptions options)
    : options_(std::move(options)) {
  options_.request.set_snapshot(true);
  options_.request.set_follow(true);
  options_.request.set_first(false);
  options_.request.set_number(0);
  options_.request.set_binary_addresses_only(true);  // we read the bytes
}

bool RemoteSource::connected() const {
  absl::MutexLock lock(&mu_);
  return connected_;
}

void RemoteSource::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

void RemoteSource::PublishState(core::EventSink& sink, bool connected,
                                const std::string& error, bool ever_up) {
  {
    absl::MutexLock lock(&mu_);
    connected_ = connected;
  }
  std::vector<v1::FlowEvent> events(1);
  events[0].set_type(v1::STATUS);
  v1::NodeStatus* status = events[0].mutable_status();
  status->set_endpoint(options_.client.endpoint);
  status->set_connected(connected);
  status->set_error(error);
  if (!connected) {
    v1::FlowEvent& lost = events.emplace_back();
    lost.set_type(v1::LOST);
    lost.mutable_lost()->set_source(v1::CLIENT);
    lost.mutable_lost()->set_count(0);
    lost.mutable_lost()->set_detail(
        ever_up ? absl::StrCat("connection to ", options_.client.endpoint, " lost (", error,
                               "); events until it is back are unknown")
                : absl::StrCat("cannot connect to ", options_.client.endpoint, " (", error,
                               "); events until it is up are unknown"));
  }
  sink.Publish(absl::MakeSpan(events));
}

absl::Status RemoteSource::Run(core::EventSink& sink) {
  if (absl::Status s = LoadToken(&options_.client); !s.ok()) return s;
  auto channel = MakeChannel(options_.client);
  if (!channel.ok()) return channel.status();
  auto stub = v1::FlowTop::NewStub(*channel);
  absl::Duration backoff = options_.initial_backoff;
  bool ever_up = false;
  // The current outage (or the failure to connect at all) is in the stream:
  // reported once, not at every retry.
  bool outage_reported = false;
  while (true) {
    grpc::ClientContext context;
    AddCredentials(options_.client, &context);
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return absl::OkStatus();
      context_ = &context;
    }
    std::unique_ptr<grpc::ClientReader<v1::GetFlowsResponse>> reader =
        stub->GetFlows(&context, options_.request);
    v1::GetFlowsResponse response;
    std::vector<v1::FlowEvent> batch;
    bool up = false;
    while (reader->Read(&response)) {
      if (!up) {
        up = true;
        ever_up = true;
        outage_reported = false;
        backoff = options_.initial_backoff;
        PublishState(sink, true, "", true);
      }
      batch.resize(response.events_size());
      for (int i = 0; i < response.events_size(); ++i) {
        batch[i].Swap(response.mutable_events(i));
      }
      sink.Publish(absl::MakeSpan(batch));
    }
    const grpc::Status status = reader->Finish();
    bool stopped;
    {
      absl::MutexLock lock(&mu_);
      context_ = nullptr;
      stopped = stopped_;
    }
    if (stopped) {
      if (up) PublishState(sink, false, "stopped", true);
      return absl::OkStatus();
    }
    const std::string error =
        status.ok() ? "the server ended the stream"
                    : absl::StrCat(status.error_message(), " (code ",
                                   static_cast<int>(status.error_code()), ")");
    // Also a node never reached: the consumer (a recording, the TUI's
    // status line) learns why, once per outage.
    if (!outage_reported) {
      PublishState(sink, false, error, ever_up);
      outage_reported = true;
    }
    if (Permanent(status.error_code())) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat(options_.client.endpoint, ": ",
                                       status.error_message()));
    }
    absl::MutexLock lock(&mu_);
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopped_;
    };
    const core::Clock& clock =
        options_.clock != nullptr ? *options_.clock : core::RealClock::Get();
    if (clock.AwaitWithDeadline(&mu_, absl::Condition(&stop), clock.Now() + backoff)) {
      return absl::OkStatus();
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace flowtop::client
