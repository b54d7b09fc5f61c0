// GrpcFlowSource: the events of one flowtopd, read with GetFlows (snapshot,
// then follow), for `flowtop record --connect`.
//
// A small stand-in until the service's RemoteSource (which reconnects with
// backoff) is merged: it streams one connection and ends with the stream's
// error, so a recording of a flowtopd that goes away ends with a clear
// message instead of silently waiting. Credentials and TLS come from the
// service's ClientOptions, so the flags are the TUI's.
#ifndef FLOWTOP_REPLAY_GRPC_SOURCE_H_
#define FLOWTOP_REPLAY_GRPC_SOURCE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "collector/event_source.h"
#include "flowtop/v1/flowtop.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "service/client_options.h"

namespace flowtop::replay {

class GrpcFlowSource final : public collector::EventSource {
 public:
  // Builds the channel (reads TLS files and the token). Errors: those of
  // service::MakeChannel / LoadToken (INVALID_ARGUMENT, NOT_FOUND).
  static absl::StatusOr<std::unique_ptr<GrpcFlowSource>> Create(
      service::ClientOptions options);

  // Streams until Stop() (returns OK) or the stream ends: UNAVAILABLE with
  // the endpoint and gRPC's message (unreachable, refused, daemon stopped),
  // PERMISSION_DENIED / UNAUTHENTICATED for a bad token.
  absl::Status Run(collector::EventSink& sink) override;
  void Stop() override;

  // The node name the server reported (empty before the first response).
  std::string node() const;

 private:
  GrpcFlowSource(service::ClientOptions options,
                 std::shared_ptr<grpc::Channel> channel);

  const service::ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string node_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_GRPC_SOURCE_H_
