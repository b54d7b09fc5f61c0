// Addon: a feed that flowtopd's composition root plugs into the daemon
// without the service knowing what it is (the IPFIX exporter, the
// Prometheus metrics endpoint). The daemon hands it the pipeline's events,
// asks it for its part of GetStatus, starts it once serving and stops it
// after the event source has stopped (so a final flush sees every event).
#ifndef FLOWTOP_SERVICE_ADDON_H_
#define FLOWTOP_SERVICE_ADDON_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "core/pipeline.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::service {

struct DaemonConfig;

class Addon {
 public:
  virtual ~Addon() = default;
  // A sink the pipeline feeds before the event ring (which takes the events
  // by move), or null. Must be fast: it runs on the event path.
  virtual core::EventSink* sink() { return nullptr; }
  // Adds what it counts to GetStatus. Thread-safe.
  virtual void FillStatus(v1::NodeStatus*) const {}
  // Called once the daemon serves. An error ends start-up.
  virtual absl::Status Start() { return absl::OkStatus(); }
  // Called after the event source stopped, before the server goes away.
  virtual void Stop() {}
};

// What an addon may read of the running daemon.
struct AddonContext {
  const core::Pipeline* pipeline = nullptr;
  // GetStatus' answer (with every addon's part).
  std::function<v1::NodeStatus()> status;
  const core::Clock* clock = nullptr;
};

// Builds the addons for a configuration. INVALID_ARGUMENT errors are bad
// options (flowtopd exits 2), others failures (exit 1).
using AddonFactory = std::function<absl::StatusOr<std::vector<std::unique_ptr<Addon>>>(
    const DaemonConfig&, const AddonContext&)>;

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_ADDON_H_
