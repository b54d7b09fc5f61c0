// FlowTopService: the gRPC service flowtop.v1.FlowTop over one node's
// Pipeline (the flow table) and EventRing (recent events).
//
// GetFlows streams events from the ring, each stream on its own thread with
// its own RingReader: a client that reads slowly only falls behind in the
// ring and is told (LOST{source: RING}) what it missed; the collector and
// the other streams never wait for it. ListFlows answers from the table,
// GetStatus from the pipeline, the ring and the event source's SourceStatus.
// Requests are validated up front; errors are INVALID_ARGUMENT naming the
// field. When a bearer token is configured, every FlowTop call must carry
// `authorization: Bearer <token>` or gets UNAUTHENTICATED and nothing else.
//
// The API is read-only: nothing here changes the node or the kernel.
#ifndef FLOWTOP_SERVICE_FLOWTOP_SERVICE_H_
#define FLOWTOP_SERVICE_FLOWTOP_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/pipeline.h"
#include "flowtop/v1/flowtop.grpc.pb.h"
#include "flowtop/v1/flowtop.pb.h"
#include "grpcpp/grpcpp.h"
#include "service/auth_failures.h"
#include "service/event_ring.h"
#include "service/source_status.h"

namespace flowtop::service {

// Returns the grpc::Status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Returns whether a and b are equal, in time that depends only on their
// lengths (so a token cannot be guessed byte by byte from response times).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

struct ServiceOptions {
  // Events per GetFlowsResponse when the request leaves max_batch at 0, and
  // the largest max_batch a request may ask for.
  uint32_t default_batch = 1024;
  uint32_t max_batch = 4096;
  // Concurrent GetFlows streams; more get RESOURCE_EXHAUSTED.
  int max_streams = 64;
  // A following stream with nothing to send gets a STATUS event this often
  // (it doubles as a keep-alive for remote clients).
  absl::Duration status_interval = absl::Seconds(10);
  // When not empty, calls need "authorization: Bearer <token>".
  std::string token;
  // Where events come from, for GetStatus ("kernel", "replay:<file>").
  std::string source = "kernel";
  // The time of the events' stream, for the events the service stamps
  // itself (STATUS, SNAPSHOT, SNAPSHOT_END) and `until`: a replay's
  // recorded time, so clients measure ages against it. Null: the clock.
  const core::Clock* stream_clock = nullptr;
  // Adds more to GetStatus (the exporters' counts); may be empty.
  std::function<void(v1::NodeStatus*)> fill_status;
};

class FlowStream;

// GetFlows is a raw method: each stream serialises the ring's shared events
// straight into its response bytes, without copying them first. ListFlows is
// raw too, so that a request that does not parse (a string field that is not
// UTF-8, truncated bytes) gets INVALID_ARGUMENT saying so, not gRPC's
// UNIMPLEMENTED with no message.
using FlowTopBase = v1::FlowTop::WithRawCallbackMethod_GetFlows<
    v1::FlowTop::WithRawCallbackMethod_ListFlows<
        v1::FlowTop::WithCallbackMethod_GetStatus<v1::FlowTop::Service>>>;

class FlowTopService final : public FlowTopBase {
 public:
  // None of the references is owned; all must outlive the service.
  // `source_status` may be null (no kernel figures in GetStatus).
  FlowTopService(ServiceOptions options, core::Pipeline& pipeline,
                 EventRing& ring, const core::Clock& clock,
                 const SourceStatus* source_status);
  // Calls Shutdown() and waits for every stream to end.
  ~FlowTopService() override;

  // The request is a serialised GetFlowsRequest; responses are serialised
  // GetFlowsResponses.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* GetFlows(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  // The request is a serialised ListFlowsRequest; the response a serialised
  // ListFlowsResponse.
  grpc::ServerUnaryReactor* ListFlows(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const v1::GetStatusRequest* request,
                                      v1::GetStatusResponse* response) override;

  // Returns the node's status as GetStatus reports it.
  v1::NodeStatus Status() const;

  // Ends every stream with UNAVAILABLE ("flowtopd is shutting down") and
  // refuses new ones. Idempotent; does not wait (the destructor does).
  void Shutdown();

  // Replaces the bearer token (SIGHUP reload). Empty: no token needed.
  void SetToken(std::string token);

  // Returns the number of GetFlows streams open now.
  int streams() const;
  // Waits until exactly `n` streams are open. Returns whether that happened
  // within `timeout`.
  bool WaitForStreams(int n, absl::Duration timeout) const;

  // Validates a GetFlows request. Returns INVALID_ARGUMENT naming the field.
  static absl::Status ValidateGetFlows(const v1::GetFlowsRequest& request,
                                       const ServiceOptions& options);
  // Validates a ListFlows request's own fields (the filters are checked when
  // they are compiled). Returns INVALID_ARGUMENT naming the field.
  static absl::Status ValidateListFlows(const v1::ListFlowsRequest& request);

 private:
  friend class FlowStream;

  // Returns OK or UNAUTHENTICATED (with a fixed message, or "too many failed
  // authentications..." while the peer is locked out); logs failures on
  // stderr with the peer's address, rate-limited (see AuthFailures).
  absl::Status Authenticate(const grpc::CallbackServerContext& context) const;
  void StreamDone(FlowStream* stream);
  // Fills `response` for a parsed, authenticated ListFlows request.
  absl::Status AnswerListFlows(const v1::ListFlowsRequest& request,
                               v1::ListFlowsResponse* response) const;

  const ServiceOptions options_;
  core::Pipeline& pipeline_;
  EventRing& ring_;
  const core::Clock& clock_;
  // Now on the events' stream (ServiceOptions::stream_clock).
  int64_t StreamNanos() const {
    return absl::ToUnixNanos((options_.stream_clock != nullptr ? *options_.stream_clock : clock_).Now());
  }
  const SourceStatus* const source_status_;
  const absl::Time start_;
  std::atomic<uint64_t> ring_lost_{0};

  mutable AuthFailures auth_failures_;  // has its own lock
  mutable absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<FlowStream*> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_FLOWTOP_SERVICE_H_
