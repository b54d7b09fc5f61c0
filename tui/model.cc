#include "tui/model.h"

#include <utility>
#include <vector>

namespace flowtop::tui {

class Model::Sink final : public collector::EventSink {
 public:
  Sink(Model* model, int index) : model_(model), index_(index) {}
  void Publish(absl::Span<v1::FlowEvent> events) override {
    model_->Apply(index_, events);
  }

 private:
  Model* model_;
  int index_;
};

uint64_t Snapshot::LostEvents() const {
  uint64_t n = 0;
  for (const SourceState& s : sources) n += s.lost_events;
  return n;
}

int Snapshot::Disconnected() const {
  int n = 0;
  for (const SourceState& s : sources) n += s.connected ? 0 : 1;
  return n;
}

Model::Model(const collector::Clock& clock) : clock_(clock) {}

Model::~Model() = default;

int Model::AddSource(std::string label) {
  absl::MutexLock lock(&mu_);
  const int index = static_cast<int>(sources_.size());
  SourceData data;
  data.state.label = std::move(label);
  sources_.push_back(std::move(data));
  sinks_.push_back(std::make_unique<Sink>(this, index));
  ++version_;
  return index;
}

collector::EventSink& Model::SinkFor(int index) {
  absl::MutexLock lock(&mu_);
  return *sinks_.at(static_cast<size_t>(index));
}

namespace {

// Rates from two successive counters when the node did not send rates.
void DeriveRate(const v1::Counters& before, const v1::Counters& after,
                double seconds, v1::Rate& rate) {
  if (seconds <= 0 || after.bytes() < before.bytes() ||
      after.packets() < before.packets()) {
    return;
  }
  rate.set_bytes_per_second(static_cast<double>(after.bytes() - before.bytes()) / seconds);
  rate.set_packets_per_second(
      static_cast<double>(after.packets() - before.packets()) / seconds);
}

}  // namespace

void Model::Upsert(int index, const v1::FlowEvent& event) {
  const v1::Flow& in = event.flow();
  const uint64_t key = (uint64_t{static_cast<uint32_t>(index)} << 32) | in.conntrack_id();
  const int64_t now = event.time_unix_nanos() != 0 ? event.time_unix_nanos()
                                                   : absl::ToUnixNanos(clock_.Now());
  auto it = index_.find(key);
  auto row = std::make_unique<FlowRow>();
  row->source = static_cast<uint32_t>(index);
  row->node = in.node().empty() ? sources_[index].state.label : in.node();
  const FlowRow* old = it == index_.end() ? nullptr : rows_[it->second].get();

  switch (event.type()) {
    case v1::ENRICH:
      if (old == nullptr) return;  // enrichment of a flow we never saw
      *row = *old;
      row->flow.mutable_enrichment()->MergeFrom(in.enrichment());
      break;
    case v1::COUNTERS: {
      if (old == nullptr) return;
      *row = *old;
      v1::Flow& f = row->flow;
      const double seconds = (now - old->counters_time_nanos) / 1e9;
      if (in.has_original_counters()) {
        if (!in.has_original_rate() && old->counters_time_nanos != 0) {
          DeriveRate(old->flow.original_counters(), in.original_counters(), seconds,
                     *f.mutable_original_rate());
        }
        *f.mutable_original_counters() = in.original_counters();
      }
      if (in.has_reply_counters()) {
        if (!in.has_reply_rate() && old->counters_time_nanos != 0) {
          DeriveRate(old->flow.reply_counters(), in.reply_counters(), seconds,
                     *f.mutable_reply_rate());
        }
        *f.mutable_reply_counters() = in.reply_counters();
      }
      if (in.has_original_rate()) *f.mutable_original_rate() = in.original_rate();
      if (in.has_reply_rate()) *f.mutable_reply_rate() = in.reply_rate();
      row->counters_time_nanos = now;
      break;
    }
    default: {  // NEW, SNAPSHOT, UPDATE: the kernel's view replaces ours
      row->flow = in;
      v1::Flow& f = row->flow;
      row->counters_time_nanos = now;
      if (old != nullptr) {
        v1::Enrichment enrichment = old->flow.enrichment();
        enrichment.MergeFrom(in.enrichment());
        *f.mutable_enrichment() = std::move(enrichment);
        if (old->flow.first_seen_unix_nanos() != 0) {
          f.set_first_seen_unix_nanos(old->flow.first_seen_unix_nanos());
        }
        const double seconds = (now - old->counters_time_nanos) / 1e9;
        if (!in.has_original_rate()) {
          *f.mutable_original_rate() = old->flow.original_rate();
          if (in.has_original_counters() && old->counters_time_nanos != 0) {
            DeriveRate(old->flow.original_counters(), in.original_counters(), seconds,
                       *f.mutable_original_rate());
          }
        }
        if (!in.has_reply_rate()) {
          *f.mutable_reply_rate() = old->flow.reply_rate();
          if (in.has_reply_counters() && old->counters_time_nanos != 0) {
            DeriveRate(old->flow.reply_counters(), in.reply_counters(), seconds,
                       *f.mutable_reply_rate());
          }
        }
      }
      if (f.first_seen_unix_nanos() == 0) f.set_first_seen_unix_nanos(now);
      break;
    }
  }
  row->hot = ComputeHot(row->flow);
  const uint32_t generation = sources_[index].generation;
  if (it == index_.end()) {
    index_.emplace(key, rows_.size());
    view_.push_back(row.get());
    rows_.push_back(std::move(row));
    row_generation_.push_back(generation);
  } else {
    view_[it->second] = row.get();
    Retire(std::exchange(rows_[it->second], std::move(row)));
    row_generation_[it->second] = generation;
  }
}

void Model::Retire(std::unique_ptr<const FlowRow> row) {
  // The model and possibly the previous bin hold bin_; more holders mean a
  // snapshot (directly or through the chain) can still see this row.
  if (bin_ != nullptr && bin_.use_count() > 1) bin_->rows.push_back(std::move(row));
}

void Model::Remove(uint64_t key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  const size_t i = it->second;
  index_.erase(it);
  const size_t last = rows_.size() - 1;
  Retire(std::move(rows_[i]));
  if (i != last) {
    rows_[i] = std::move(rows_[last]);
    view_[i] = view_[last];
    row_generation_[i] = row_generation_[last];
    index_[rows_[i]->Key()] = i;
  }
  rows_.pop_back();
  view_.pop_back();
  row_generation_.pop_back();
}

void Model::SweepStale(int index) {
  const uint32_t generation = sources_[index].generation;
  for (size_t i = 0; i < rows_.size();) {
    if (rows_[i]->source == static_cast<uint32_t>(index) &&
        row_generation_[i] != generation) {
      Remove(rows_[i]->Key());  // moves the last row into i: look at i again
    } else {
      ++i;
    }
  }
}

void Model::Apply(int index, absl::Span<v1::FlowEvent> events) {
  absl::MutexLock lock(&mu_);
  if (index < 0 || static_cast<size_t>(index) >= sources_.size()) return;
  SourceData& source = sources_[index];
  for (const v1::FlowEvent& event : events) {
    ++source.state.events;
    switch (event.type()) {
      case v1::NEW:
      case v1::SNAPSHOT:
      case v1::UPDATE:
      case v1::ENRICH:
      case v1::COUNTERS:
        Upsert(index, event);
        break;
      case v1::DESTROY:
        Remove((uint64_t{static_cast<uint32_t>(index)} << 32) |
               event.flow().conntrack_id());
        break;
      case v1::SNAPSHOT_END:
        if (source.generation != 0) SweepStale(index);
        source.state.synced = true;
        break;
      case v1::LOST:
        // A source that cannot count its loss still lost something.
        source.state.lost_events += event.lost().count() == 0 ? 1 : event.lost().count();
        break;
      case v1::STATUS:
        if (source.state.label.empty() && !event.status().node().empty()) {
          source.state.label = event.status().node();
        }
        break;
      default:
        break;
    }
  }
  ++version_;
}

void Model::SetConnected(int index, bool connected, std::string error) {
  absl::MutexLock lock(&mu_);
  SourceData& source = sources_.at(static_cast<size_t>(index));
  if (connected && !source.state.connected) {
    ++source.generation;  // the re-sent snapshot will sweep older rows
    source.state.synced = false;
  }
  source.state.connected = connected;
  source.state.error = std::move(error);
  ++version_;
}

void Model::SetEnded(int index, std::string error) {
  absl::MutexLock lock(&mu_);
  SourceData& source = sources_.at(static_cast<size_t>(index));
  source.state.ended = true;
  source.state.synced = true;
  if (!error.empty()) {
    source.state.connected = false;
    source.state.error = std::move(error);
  }
  ++version_;
}

Snapshot Model::TakeSnapshot() const {
  Snapshot snap;
  snap.now = clock_.Now();
  absl::MutexLock lock(&mu_);
  snap.flows = view_;
  // Rows retired from now on go to a new bin that this snapshot keeps.
  auto next = std::make_shared<RetireBin>();
  if (bin_ != nullptr) bin_->next = next;
  bin_ = std::move(next);
  snap.keepalive = bin_;
  snap.sources.reserve(sources_.size());
  for (const SourceData& s : sources_) snap.sources.push_back(s.state);
  snap.version = version_;
  return snap;
}

uint64_t Model::version() const {
  absl::MutexLock lock(&mu_);
  return version_;
}

bool Model::AllEnded() const {
  absl::MutexLock lock(&mu_);
  for (const SourceData& s : sources_) {
    if (!s.state.ended) return false;
  }
  return !sources_.empty();
}

uint64_t Model::WaitForChange(uint64_t seen, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto changed = [this, seen]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return version_ != seen;
  };
  mu_.AwaitWithTimeout(absl::Condition(&changed), timeout);
  return version_;
}

bool Model::WaitForSync(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto synced = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    for (const SourceData& s : sources_) {
      if (!s.state.synced && !s.state.ended) return false;
    }
    return true;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&synced), timeout);
}

bool Model::WaitForAllEnded(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (sources_.empty()) return false;
    for (const SourceData& s : sources_) {
      if (!s.state.ended) return false;
    }
    return true;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&ended), timeout);
}

size_t Model::size() const {
  absl::MutexLock lock(&mu_);
  return rows_.size();
}

}  // namespace flowtop::tui
