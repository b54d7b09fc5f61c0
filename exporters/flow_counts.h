// FlowCounts: live flows by protocol and state, kept from the events (so a
// scrape costs nothing at 1,000,000 flows: no walk over the table). Labels
// are bounded: nine protocol names and the state enums' names.
#ifndef FLOWTOP_EXPORTERS_FLOW_COUNTS_H_
#define FLOWTOP_EXPORTERS_FLOW_COUNTS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/event_source.h"

namespace flowtop::exporters {

struct FlowCount {
  std::string protocol;  // "tcp", "udp", "icmp", ..., "other"
  std::string state;     // "ESTABLISHED", ..., "none"
  uint64_t flows;
};

class FlowCounts final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override;
  // Non-zero counts, in a stable order. Thread-safe.
  std::vector<FlowCount> Counts() const;
  uint64_t total() const;

 private:
  static constexpr int kProtocols = 9;
  static constexpr int kStates = 16;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint32_t, uint8_t> flows_ ABSL_GUARDED_BY(mu_);
  std::array<uint64_t, kProtocols * kStates> counts_ ABSL_GUARDED_BY(mu_) = {};
};

}  // namespace flowtop::exporters

#endif  // FLOWTOP_EXPORTERS_FLOW_COUNTS_H_
