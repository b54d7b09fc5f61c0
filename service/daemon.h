// Daemon: flowtopd put together. One event source feeds a Pipeline (flow
// table) whose sink is the EventRing; FlowTopService serves both over gRPC.
//
// RunDaemon is the whole program behind main(): options and config file,
// privileges, start-up, signals (SIGTERM/SIGINT stop cleanly, SIGHUP
// reloads), shutdown. The event source comes from a factory so that the
// kernel, a recording (--replay, later) or a test source plug in at one
// place.
#ifndef FLOWTOP_SERVICE_DAEMON_H_
#define FLOWTOP_SERVICE_DAEMON_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "core/pipeline.h"
#include "service/addon.h"
#include "service/daemon_config.h"
#include "service/event_ring.h"
#include "service/flowtop_service.h"
#include "service/server.h"
#include "service/source_status.h"

namespace flowtop::service {

// What a source factory returns.
struct SourceBundle {
  // --enable-conntrack's nftables table (check::ConntrackEnabler), or null;
  // declared first so it goes last, after the source stopped.
  std::shared_ptr<void> conntrack_enabler;
  std::unique_ptr<core::EventSource> source;
  // May point into `source` or be null; lives as long as the bundle.
  const SourceStatus* status = nullptr;
  std::shared_ptr<void> keep_alive;  // anything else the source needs
  std::string name = "kernel";       // GetStatus' `source`
  // Enrich the source's flows (processes, names, GeoIP) unless --no-enrich;
  // a recording already carries its enrichment.
  bool enrich = true;
  // Keep the sequence numbers and times the source sets (replay).
  bool keep_source_seq = false;
  // The source's own time (a replay's recorded clock) for what flowtopd
  // stamps itself; null: the daemon's clock. Lives as long as `source`.
  const core::Clock* stream_clock = nullptr;
  // Stamp every event with --node-name even where the source named a node
  // (a recording served under a name given on the command line).
  bool rename_node = false;
};

// Creates the event source for a configuration; may open sockets and need
// privileges (it runs before they are dropped). Returns an error that ends
// start-up with its message.
using SourceFactory =
    std::function<absl::StatusOr<SourceBundle>(const DaemonConfig&)>;

// Reads --token-file. Returns "" without one, or the error naming the file.
absl::StatusOr<std::string> LoadServerToken(const DaemonConfig& config);

class EnrichSlot;

class Daemon {
 public:
  // Starts the pipeline, ring, service and server, then the source on its
  // own thread. Errors: those of StartServer, EventRing::Create, the token.
  // `addons` (may be empty) builds the feeds plugged in by the composition
  // root (exporters); its errors end start-up.
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(
      const DaemonConfig& config, SourceBundle source,
      const core::Clock& clock, const AddonFactory& addons = nullptr);
  ~Daemon();

  int port() const { return port_; }
  FlowTopService& service() { return *service_; }

  // Applies what can change while running: the token, and the enrichment
  // (GeoIP databases, service names, resolver) which is rebuilt. Returns the
  // token file's error and keeps the old token then.
  absl::Status Reload(const DaemonConfig& config);

  // Ends every stream (UNAVAILABLE), stops the source (which restores what
  // it changed, e.g. sysctls) and the server. Returns the source's result.
  // Idempotent.
  absl::Status Stop();

  // Calls fn (from the source thread) once the source's Run has returned by
  // itself, an error or the end of a recording; at once if it already has.
  void OnSourceEnd(std::function<void()> fn);

 private:
  Daemon() = default;

  // Start's steps, in order: the pipeline's sinks (enrichment, the addons'
  // feeds, the ring last), the service and its server, the source.
  absl::Status AddEnrichment(const DaemonConfig& config,
                             const core::Clock& clock);
  absl::Status AddAddons(const DaemonConfig& config,
                         const core::Clock& clock,
                         const AddonFactory& addons);
  absl::Status Serve(const DaemonConfig& config, const std::string& token,
                     const core::Clock& clock);
  void FillEnrichmentStatus(v1::NodeStatus* status) const;
  void StartSource();

  std::unique_ptr<core::Pipeline> pipeline_;
  // After pipeline_: destroyed first, its workers publish into the pipeline.
  std::unique_ptr<EnrichSlot> enrich_;
  std::unique_ptr<SourceStatus> status_;  // the source's and enrich_'s
  std::unique_ptr<EventRing> ring_;
  // After pipeline_: their sinks must not outlive it. Before service_ so
  // they go after it (GetStatus asks them).
  std::vector<std::unique_ptr<Addon>> addons_;
  std::unique_ptr<FlowTopService> service_;
  const core::Clock* clock_ = nullptr;
  std::unique_ptr<grpc::Server> server_;
  SourceBundle source_;
  std::thread source_thread_;
  int port_ = 0;

  absl::Mutex mu_;
  bool source_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status source_result_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_source_end_ ABSL_GUARDED_BY(mu_);
};

// The whole flowtopd program. Returns the process exit code: 0 after a
// clean stop or --help/--version, 2 for bad options, 1 for other failures.
// Prints "flowtopd: listening on ADDR:PORT" on stdout once serving.
int RunDaemon(int argc, char** argv, const SourceFactory& make_source,
              const AddonFactory& make_addons = nullptr);

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_DAEMON_H_
