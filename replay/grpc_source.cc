#include "replay/grpc_source.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace flowtop::replay {

absl::StatusOr<std::unique_ptr<GrpcFlowSource>> GrpcFlowSource::Create(
    service::ClientOptions options) {
  absl::Status status = service::LoadToken(&options);
  if (!status.ok()) return status;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      service::MakeChannel(options);
  if (!channel.ok()) return channel.status();
  return std::unique_ptr<GrpcFlowSource>(
      new GrpcFlowSource(std::move(options), std::move(*channel)));
}

GrpcFlowSource::GrpcFlowSource(service::ClientOptions options,
                               std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)), channel_(std::move(channel)) {}

absl::Status GrpcFlowSource::Run(collector::EventSink& sink) {
  std::unique_ptr<v1::FlowTop::Stub> stub = v1::FlowTop::NewStub(channel_);
  grpc::ClientContext context;
  service::AddCredentials(options_, &context);
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::OkStatus();
    context_ = &context;
  }
  v1::GetFlowsRequest request;
  request.set_snapshot(true);
  request.set_follow(true);
  std::unique_ptr<grpc::ClientReader<v1::GetFlowsResponse>> reader =
      stub->GetFlows(&context, request);
  v1::GetFlowsResponse response;
  std::vector<v1::FlowEvent> batch;
  while (reader->Read(&response)) {
    if (!response.node().empty()) {
      absl::MutexLock lock(&mu_);
      if (node_.empty()) node_ = response.node();
    }
    // The sink takes a contiguous batch; moving heap messages is a swap.
    batch.resize(response.events_size());
    for (int i = 0; i < response.events_size(); ++i) {
      batch[i] = std::move(*response.mutable_events(i));
    }
    sink.Publish(absl::MakeSpan(batch));
  }
  const grpc::Status status = reader->Finish();
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  if (stopped_) return absl::OkStatus();
  if (status.ok()) {
    return absl::UnavailableError(
        absl::StrCat(options_.endpoint, " ended the stream"));
  }
  const std::string message =
      absl::StrCat(options_.endpoint, ": ", status.error_message());
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::UnauthenticatedError(message);
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::PermissionDeniedError(message);
    case grpc::StatusCode::INVALID_ARGUMENT:
      return absl::InvalidArgumentError(message);
    default:
      return absl::UnavailableError(message);
  }
}

void GrpcFlowSource::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

std::string GrpcFlowSource::node() const {
  absl::MutexLock lock(&mu_);
  return node_;
}

}  // namespace flowtop::replay
