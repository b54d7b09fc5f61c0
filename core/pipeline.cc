#include "core/pipeline.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/flow_key.h"

namespace flowtop::core {

// The pipeline's own FlowTable as its store.
class Pipeline::TableStore final : public FlowStore {
 public:
  explicit TableStore(FlowTable& table) : table_(table) {}
  bool Apply(const v1::FlowEvent& event) override { return table_.Apply(event); }
  bool IsStaleEnrich(const v1::FlowEvent& event) const override {
    return table_.IsStaleEnrich(event);
  }
  bool Find(uint64_t key, v1::Flow& out) const override {
    const v1::Flow* found = table_.Find(key);
    if (found == nullptr) return false;
    out = *found;
    return true;
  }
  int64_t last_first_seen() const override { return table_.last_first_seen(); }
  size_t size() const override { return table_.size(); }
  uint64_t dropped() const override { return table_.dropped(); }

 private:
  FlowTable& table_;
};

Pipeline::Pipeline(PipelineOptions options, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      table_(options_.max_flows),
      own_store_(std::make_unique<TableStore>(table_)),
      store_(own_store_.get()) {}

Pipeline::~Pipeline() = default;

void Pipeline::AddSink(EventSink* sink) {
  absl::MutexLock lock(&mu_);
  sinks_.push_back(sink);
}

void Pipeline::KeepFlowsIn(FlowStore& store) {
  absl::MutexLock lock(&mu_);
  store_ = &store;
}

void Pipeline::Publish(absl::Span<v1::FlowEvent> events) {
  const int64_t now = absl::ToUnixNanos(clock_.Now());
  absl::MutexLock lock(&mu_);
  PublishLocked(events, now);
}

bool Pipeline::TryPublish(absl::Span<v1::FlowEvent> events) {
  const int64_t now = absl::ToUnixNanos(clock_.Now());
  if (!mu_.TryLock()) return false;
  PublishLocked(events, now);
  mu_.Unlock();
  return true;
}

bool Pipeline::Busy() {
  if (!mu_.TryLock()) return true;
  mu_.Unlock();
  return false;
}

void Pipeline::PublishLocked(absl::Span<v1::FlowEvent> events, int64_t now) {
  size_t kept = 0;
  for (size_t run = 0; run < events.size(); run += FlowStore::kRun) {
    const size_t run_end = std::min(events.size(), run + FlowStore::kRun);
    store_->BeginRun();
    for (size_t i = run; i < run_end; ++i) {
      if (kept != i) events[kept].Swap(&events[i]);
      if (ApplyLocked(events[kept], now)) ++kept;
    }
    stats_.flows = store_->size();
    stats_.dropped_flows = store_->dropped();
    store_->EndRun();
  }
  events = events.subspan(0, kept);
  for (EventSink* sink : sinks_) sink->Publish(events);
  ReportDroppedLocked(now);
}

void Pipeline::ReportDroppedLocked(int64_t now) {
  if (stats_.dropped_flows <= dropped_reported_) return;
  const uint64_t dropped = stats_.dropped_flows - dropped_reported_;
  dropped_reported_ = stats_.dropped_flows;
  v1::FlowEvent lost;
  lost.set_type(v1::LOST);
  lost.mutable_lost()->set_source(v1::TABLE);
  lost.mutable_lost()->set_count(dropped);
  lost.mutable_lost()->set_detail(absl::StrCat(
      "the flow table is full (", stats_.flows,
      " flows): new flows are not kept; raise --max-flows"));
  ApplyLocked(lost, now);
  for (EventSink* sink : sinks_) sink->Publish(absl::MakeSpan(&lost, 1));
}

bool Pipeline::ApplyLocked(v1::FlowEvent& event, int64_t now) {
  if (store_->IsStaleEnrich(event)) {
    // Enrichment of an earlier flow whose conntrack id a new flow took:
    // dropped here, so no sink attaches it to the new one.
    ++stats_.stale_enrich;
    return false;
  }
  if (event.type() == v1::DESTROY) {
    // A DESTROY carries the flow's last state: what the table knew
    // (tuples, enrichment, rates), overridden by what the kernel sent
    // (final counters, stop time). Resync DESTROYs carry only the id.
    v1::Flow merged;
    if (store_->Find(FlowKey(event.flow()), merged)) {
      merged.MergeFrom(event.flow());
      event.mutable_flow()->Swap(&merged);
    }
  }
  if (!options_.keep_source_seq || event.seq() == 0) {
    event.set_seq(++stats_.last_seq);
  } else {
    stats_.last_seq = event.seq();
  }
  if (event.time_unix_nanos() == 0) event.set_time_unix_nanos(now);
  if (options_.stamp_node || event.node().empty()) event.set_node(options_.node);
  if (options_.stamp_node && event.has_status()) event.mutable_status()->set_node(options_.node);
  if (event.has_flow()) {
    v1::Flow& flow = *event.mutable_flow();
    if (options_.stamp_node && flow.node() != options_.node) {
      flow.set_node(options_.node);
      flow.clear_id();
    }
    if (flow.node().empty()) flow.set_node(event.node());
    if (flow.id().empty()) {
      flow.set_id(FlowIdFor(flow.node(), flow));
    }
  }
  if (event.type() == v1::LOST) {
    const uint64_t count = event.lost().count();
    switch (event.lost().source()) {
      case v1::KERNEL: stats_.lost_kernel += count; break;
      case v1::RING: stats_.lost_ring += count; break;
      case v1::CLIENT: stats_.lost_client += count; break;
      case v1::RECORDING: stats_.lost_recording += count; break;
      default: break;
    }
  }
  if (event.type() == v1::SNAPSHOT && !snapshot_ended_) {
    stats_.loading = true;
    ++stats_.loaded;
  } else if (event.type() == v1::SNAPSHOT_END) {
    stats_.loading = false;
    snapshot_ended_ = true;
  }
  store_->Apply(event);
  if (event.has_flow() && event.flow().first_seen_unix_nanos() == 0 &&
      store_->last_first_seen() != 0) {
    // Sinks learn which flow this is: the Enricher hands it back with its
    // ENRICH events (see FlowTable::IsStaleEnrich).
    event.mutable_flow()->set_first_seen_unix_nanos(store_->last_first_seen());
  }
  ++stats_.events;
  return true;
}

bool Pipeline::WaitLoaded(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto loaded = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !stats_.loading;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&loaded), timeout);
}

PipelineStats Pipeline::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace flowtop::core
