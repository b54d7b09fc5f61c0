// RemoteSource: an EventSource that follows another node's flowtopd over
// gRPC (GetFlows with snapshot + follow), for the TUI's --connect (one per
// endpoint), the recorder and flowtopd chains.
//
// It reconnects with exponential backoff and reports its state in-band:
// STATUS{endpoint, connected: true} when a stream is up (then the node's
// SNAPSHOT ... SNAPSHOT_END, so the consumer converges after every
// reconnect), and STATUS{connected: false, error} followed by
// LOST{source: CLIENT, count: 0 (unknown)} when it drops or when the first
// attempt to connect fails (once per outage, not at every retry). Errors that a
// retry cannot fix (UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT,
// UNIMPLEMENTED) end Run with that error. Dead links are found by HTTP/2
// keepalive pings.
#ifndef FLOWTOP_SERVICE_REMOTE_SOURCE_H_
#define FLOWTOP_SERVICE_REMOTE_SOURCE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/event_source.h"
#include "flowtop/v1/flowtop.pb.h"
#include "grpcpp/grpcpp.h"
#include "client/client_options.h"
#include "core/clock.h"

namespace flowtop::client {

struct RemoteSourceOptions {
  ClientOptions client;
  // The stream to ask for; snapshot and follow are always set.
  v1::GetFlowsRequest request;
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  // The clock the reconnect backoff waits on (not owned; a test's
  // FakeClock); null: the real clock.
  const core::Clock* clock = nullptr;
};

class RemoteSource final : public core::EventSource {
 public:
  explicit RemoteSource(RemoteSourceOptions options);

  // Streams until Stop(). Returns OK when stopped; the error for a
  // permanent failure (see above) or for bad client options (INVALID_ARGUMENT,
  // NOT_FOUND naming the file).
  absl::Status Run(core::EventSink& sink) override;
  void Stop() override;

  // Returns whether a stream is up now.
  bool connected() const;

 private:
  // Publishes one STATUS (and LOST when going down) describing the link;
  // `ever_up`: whether a stream was up before (the LOST detail says "lost"
  // or "cannot connect").
  void PublishState(core::EventSink& sink, bool connected,
                    const std::string& error, bool ever_up);

  RemoteSourceOptions options_;
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace flowtop::client

#endif  // FLOWTOP_SERVICE_REMOTE_SOURCE_H_
