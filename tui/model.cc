#include "tui/model.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace flowtop::tui {

class Model::Sink final : public core::EventSink {
 public:
  Sink(Model* model, int index) : model_(model), index_(index) {}
  void Publish(absl::Span<v1::FlowEvent> events) override {
    model_->Apply(index_, events);
  }

 private:
  Model* model_;
  int index_;
};

std::string Snapshot::LoadingText() const {
  uint64_t loaded = 0, expected = 0;
  bool loading = false, known = true;
  for (const SourceState& s : sources) {
    if (s.synced || s.ended || !s.connected) continue;
    if (s.loaded == 0 && s.expected == 0) continue;  // no snapshot begun
    loading = true;
    loaded += s.loaded;
    expected += s.expected;
    known = known && s.expected != 0;
  }
  if (!loading) return "";
  return known ? absl::StrCat("loading ", loaded, "/", expected)
               : absl::StrCat("loading ", loaded);
}

bool Snapshot::Loading() const {
  for (const SourceState& s : sources) {
    if (!s.synced && !s.ended && s.connected) return true;
  }
  return false;
}

uint64_t Snapshot::LostEvents() const {
  uint64_t n = 0;
  for (const SourceState& s : sources) n += s.lost_events;
  return n;
}

absl::Time Snapshot::NowFor(uint32_t index) const {
  return index < sources.size() ? now + sources[index].clock_offset : now;
}

uint64_t Snapshot::LossGaps() const {
  uint64_t n = 0;
  for (const SourceState& s : sources) n += s.loss_gaps;
  return n;
}

int Snapshot::Disconnected() const {
  int n = 0;
  for (const SourceState& s : sources) n += s.connected ? 0 : 1;
  return n;
}

Model::Model(const core::Clock& clock) : clock_(clock) {}

Model::~Model() = default;

int Model::AddSource(std::string label, bool stream_clock) {
  absl::MutexLock lock(&mu_);
  const int index = static_cast<int>(sources_.size());
  SourceData data;
  data.state.label = std::move(label);
  data.state.stream_clock = stream_clock;
  sources_.push_back(std::move(data));
  sinks_.push_back(std::make_unique<Sink>(this, index));
  ++version_;
  return index;
}

core::EventSink& Model::SinkFor(int index) {
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

v1::Flow FlowRow::Complete() const {
  v1::Flow f = *kernel;
  if (traffic.original_counters.ByteSizeLong() != 0) {
    *f.mutable_original_counters() = traffic.original_counters;
  }
  if (traffic.reply_counters.ByteSizeLong() != 0) *f.mutable_reply_counters() = traffic.reply_counters;
  if (traffic.original_rate.ByteSizeLong() != 0) *f.mutable_original_rate() = traffic.original_rate;
  if (traffic.reply_rate.ByteSizeLong() != 0) *f.mutable_reply_rate() = traffic.reply_rate;
  return f;
}

namespace {

// Applies the counters and rates an event carries to `t` (which starts as
// the previous traffic), deriving rates from counter deltas when the node
// sent counters without rates.
void UpdateTraffic(const v1::Flow& in, const FlowRow* old, int64_t now, Traffic& t) {
  const bool can_derive = old != nullptr && old->counters_time_nanos != 0;
  const double seconds = can_derive ? (now - old->counters_time_nanos) / 1e9 : 0;
  if (in.has_original_counters()) {
    if (!in.has_original_rate() && can_derive) {
      DeriveRate(old->traffic.original_counters, in.original_counters(), seconds,
                 t.original_rate);
    }
    t.original_counters = in.original_counters();
  }
  if (in.has_reply_counters()) {
    if (!in.has_reply_rate() && can_derive) {
      DeriveRate(old->traffic.reply_counters, in.reply_counters(), seconds, t.reply_rate);
    }
    t.reply_counters = in.reply_counters();
  }
  if (in.has_original_rate()) t.original_rate = in.original_rate();
  if (in.has_reply_rate()) t.reply_rate = in.reply_rate();
}

}  // namespace

void Model::Upsert(int index, v1::FlowEvent& event) {
  const v1::Flow& in = event.flow();
  const RowKey key = MakeRowKey(static_cast<uint32_t>(index), in);
  const int64_t now = event.time_unix_nanos() != 0 ? event.time_unix_nanos()
                                                   : absl::ToUnixNanos(clock_.Now());
  auto it = index_.find(key);
  const FlowRow* old = it == index_.end() ? nullptr : rows_[it->second].get();
  if (old == nullptr && (event.type() == v1::ENRICH || event.type() == v1::COUNTERS)) {
    return;  // enrichment or counters of a flow we never saw
  }
  auto row = std::make_unique<FlowRow>();
  row->source = static_cast<uint32_t>(index);
  row->node = in.node().empty() ? sources_[index].state.label : in.node();
  if (old != nullptr) {
    row->traffic = old->traffic;
    row->counters_time_nanos = old->counters_time_nanos;
  }
  switch (event.type()) {
    case v1::ENRICH: {
      auto k = std::make_shared<v1::Flow>(*old->kernel);
      k->mutable_enrichment()->MergeFrom(in.enrichment());
      row->kernel = std::move(k);
      break;
    }
    case v1::COUNTERS:
      row->kernel = old->kernel;
      UpdateTraffic(in, old, now, row->traffic);
      row->counters_time_nanos = now;
      break;
    default: {  // NEW, SNAPSHOT, UPDATE: the kernel's view replaces ours
      UpdateTraffic(in, old, now, row->traffic);
      row->counters_time_nanos = now;
      // Sinks may move from the events: taking the flow costs no copy of
      // its strings and sub-messages (most of the cost of loading 1M flows).
      auto k = std::make_shared<v1::Flow>(std::move(*event.mutable_flow()));
      k->clear_original_counters();
      k->clear_reply_counters();
      k->clear_original_rate();
      k->clear_reply_rate();
      if (old != nullptr) {
        v1::Enrichment enrichment = old->kernel->enrichment();
        enrichment.MergeFrom(k->enrichment());
        *k->mutable_enrichment() = std::move(enrichment);
        if (old->kernel->first_seen_unix_nanos() != 0) {
          k->set_first_seen_unix_nanos(old->kernel->first_seen_unix_nanos());
        }
      }
      if (k->first_seen_unix_nanos() == 0) k->set_first_seen_unix_nanos(now);
      row->kernel = std::move(k);
      break;
    }
  }
  row->hot = ComputeHot(*row->kernel, row->traffic);
  row->hot.source = static_cast<uint16_t>(index);
  const uint32_t generation = sources_[index].generation;
  if (it == index_.end()) {
    index_.emplace(key, rows_.size());
    view_.PushBack(row.get());
    hot_.PushBack(row->hot);
    rows_.push_back(std::move(row));
    row_generation_.push_back(generation);
  } else {
    view_.Set(it->second, row.get());
    hot_.Set(it->second, row->hot);
    Retire(std::exchange(rows_[it->second], std::move(row)));
    row_generation_[it->second] = generation;
  }
}

void Model::Retire(std::unique_ptr<const FlowRow> row) {
  // The model and possibly the previous bin hold bin_; more holders mean a
  // snapshot (directly or through the chain) can still see this row.
  if (bin_ != nullptr && bin_.use_count() > 1) bin_->rows.push_back(std::move(row));
}

void Model::Remove(RowKey key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  const size_t i = it->second;
  index_.erase(it);
  const size_t last = rows_.size() - 1;
  Retire(std::move(rows_[i]));
  if (i != last) {
    rows_[i] = std::move(rows_[last]);
    view_.Set(i, view_[last]);
    hot_.Set(i, hot_[last]);
    row_generation_[i] = row_generation_[last];
    index_[rows_[i]->Key()] = i;
  }
  rows_.pop_back();
  view_.PopBack();
  hot_.PopBack();
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
  // Large batches are applied in chunks, letting go of the lock in between,
  // so a snapshot waits for at most one chunk, never for a whole burst.
  constexpr size_t kChunk = 128;
  for (size_t i = 0; i < events.size(); i += kChunk) {
    ApplyChunk(index, events.subspan(i, kChunk));
  }
}

namespace {
bool NoSnapshotWaiting(std::atomic<int>* waiters) { return waiters->load() == 0; }
}  // namespace

void Model::ApplyChunk(int index, absl::Span<v1::FlowEvent> events) {
  // A source re-takes the lock chunk after chunk and would starve a waiting
  // snapshot (the mutex is not fair): let the snapshot go first.
  absl::MutexLock lock(&mu_, absl::Condition(&NoSnapshotWaiting, &snapshot_waiters_));
  if (index < 0 || static_cast<size_t>(index) >= sources_.size()) return;
  SourceData& source = sources_[index];
  for (v1::FlowEvent& event : events) {
    ++source.state.events;
    // The node stamps flow events and snapshots with its stream's time;
    // STATUS events may come from our own RemoteSource.
    if (source.state.stream_clock && event.time_unix_nanos() != 0 &&
        (event.has_flow() || event.type() == v1::SNAPSHOT_END)) {
      source.state.clock_offset = absl::FromUnixNanos(event.time_unix_nanos()) - clock_.Now();
    }
    switch (event.type()) {
      case v1::SNAPSHOT:
        if (!source.state.synced) ++source.state.loaded;
        Upsert(index, event);
        break;
      case v1::NEW:
      case v1::UPDATE:
      case v1::ENRICH:
      case v1::COUNTERS:
        Upsert(index, event);
        break;
      case v1::DESTROY:
        Remove(MakeRowKey(static_cast<uint32_t>(index), event.flow()));
        break;
      case v1::SNAPSHOT_END:
        if (source.generation != 0) SweepStale(index);
        source.state.synced = true;
        break;
      case v1::LOST:
        if (event.lost().count() == 0) {
          ++source.state.loss_gaps;  // a loss the source could not count
        } else {
          source.state.lost_events += event.lost().count();
        }
        break;
      case v1::STATUS:
        // A RemoteSource reports its link in-band.
        if (!event.status().endpoint().empty()) {
          SetConnectedLocked(index, event.status().connected(), event.status().error());
        }
        // A node says how many flows its initial snapshot will hold.
        if (!source.state.synced && event.status().loading()) {
          source.state.expected = event.status().conntrack_count();
        }
        // Its rate dumps are spaced out to stay within their CPU budget.
        if (event.status().rate_period_millis() != 0) {
          source.state.stretched_rate_period =
              event.status().rate_stretched()
                  ? absl::Milliseconds(event.status().rate_period_millis())
                  : absl::ZeroDuration();
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
  SetConnectedLocked(index, connected, std::move(error));
}

void Model::AddNote(std::string note) {
  absl::MutexLock lock(&mu_);
  notes_.push_back(std::move(note));
  ++version_;
}

void Model::SetConnectedLocked(int index, bool connected, std::string error) {
  SourceData& source = sources_.at(static_cast<size_t>(index));
  if (connected && !source.state.connected) {
    ++source.generation;  // the re-sent snapshot will sweep older rows
    source.state.synced = false;
    source.state.loaded = 0;
    source.state.expected = 0;
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

void Model::SetEmptyHint(std::string hint) {
  absl::MutexLock lock(&mu_);
  empty_hint_ = std::move(hint);
  ++version_;
}

Snapshot Model::TakeSnapshot() const {
  Snapshot snap;
  snap.now = clock_.Now();
  snapshot_waiters_.fetch_add(1);
  absl::MutexLock lock(&mu_);
  snapshot_waiters_.fetch_sub(1);  // under the lock: writers re-check on unlock
  snap.flows = view_.Freeze();
  snap.hot = hot_.Freeze();
  if (derived_ == nullptr || derived_version_ != version_) {
    derived_ = std::make_shared<DerivedCache>();
    derived_version_ = version_;
  }
  snap.derived = derived_;
  // Rows retired from now on go to a new bin that this snapshot keeps.
  auto next = std::make_shared<RetireBin>();
  if (bin_ != nullptr) bin_->next = next;
  bin_ = std::move(next);
  snap.keepalive = bin_;
  snap.sources.reserve(sources_.size());
  for (const SourceData& s : sources_) snap.sources.push_back(s.state);
  snap.notes = notes_;
  snap.empty_hint = empty_hint_;
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

void Model::WaitForInitialSnapshots() const {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    for (const SourceData& s : sources_) {
      if (!s.state.synced && !s.state.ended && s.state.connected) return false;
    }
    return true;
  };
  mu_.Await(absl::Condition(&done));
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
