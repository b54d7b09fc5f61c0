#include "tui/model.h"

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "core/flow_record.h"
#include "core/flow_store.h"

namespace flowtop::tui {

// A source's sink, and its flows as a core::FlowStore: a Pipeline whose
// only reader this sink is (the local collector) applies events to the
// model directly and keeps no table of its own (core/flow_store.h).
class Model::Sink final : public core::EventSink, public core::FlowStore {
 public:
  Sink(Model* model, int index) : model_(model), index_(index) {}
  void Publish(absl::Span<v1::FlowEvent> events) override {
    model_->Apply(index_, events);
  }
  core::FlowStore* flow_store() override { return this; }

  void BeginRun() override { model_->BeginRun(); }
  void EndRun() override { model_->EndRun(); }
  bool Apply(const v1::FlowEvent& event) override {
    model_->ApplyOne(index_, event);
    return true;
  }
  bool IsStaleEnrich(const v1::FlowEvent& event) const override {
    return model_->IsStaleEnrich(index_, event);
  }
  bool Find(uint64_t key, v1::Flow& out) const override {
    return model_->FindFlow(index_, key, out);
  }
  int64_t last_first_seen() const override { return model_->last_first_seen_; }
  size_t size() const override { return model_->SourceFlows(index_); }
  uint64_t dropped() const override { return 0; }

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

Model::Model(const core::Clock& clock)
    : clock_(clock),
      pool_(std::make_shared<core::StringPool>()),
      rows_([pool = pool_] { return std::make_shared<RecordChunk>(pool); }),
      index_(0, PosHash{&rows_}, PosEq{&rows_}) {}

Model::~Model() = default;

size_t Model::PosHash::operator()(RowKey key) const { return absl::HashOf(key); }

size_t Model::PosHash::operator()(uint32_t pos) const {
  const StoredRow& row = (*rows)[pos];
  return absl::HashOf(absl::MakeUint128(row.source, RecordKey(row.record)));
}

bool Model::PosEq::operator()(uint32_t a, RowKey b) const {
  const StoredRow& row = (*rows)[a];
  return absl::MakeUint128(row.source, RecordKey(row.record)) == b;
}

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

FlowRow SnapshotFlows::Build(size_t i) const {
  const StoredRow& stored = rows_->stored[i];
  FlowRow row;
  row.hot = HotOf(stored);
  row.source = stored.source;
  row.counters_time_nanos = stored.counters_time_nanos;
  auto kernel = std::make_shared<v1::Flow>();
  KernelFlowOf(stored, *rows_->pool, *kernel);
  row.kernel = std::move(kernel);
  row.traffic = TrafficOfRecord(stored.record);
  row.node = std::string(RowText(*rows_->pool, rows_->labels).Node(stored));
  return row;
}

const FlowRow* SnapshotFlows::operator[](size_t i) const {
  absl::MutexLock lock(&rows_->mu);
  std::unique_ptr<const FlowRow>& row = rows_->built[static_cast<uint32_t>(i)];
  if (row == nullptr) row = std::make_unique<const FlowRow>(Build(i));
  return row.get();
}

int64_t SnapshotFlows::Find(RowKey key) const {
  const size_t n = size();
  for (size_t i = 0; i < n; ++i) {
    const StoredRow& row = rows_->stored[i];
    if (absl::MakeUint128(row.source, RecordKey(row.record)) == key) return static_cast<int64_t>(i);
  }
  return -1;
}

const StoredRows& SnapshotFlows::stored() const {
  static const StoredRows* const kNone = new StoredRows();
  return rows_ ? rows_->stored : *kNone;
}

namespace {

// Rates from two successive counters when the node did not send rates:
// counters (packets, bytes) before and after, into rate (packets/s, bytes/s).
void DeriveRate(const uint64_t* before, const uint64_t* after, double seconds, double* rate) {
  if (seconds <= 0 || after[1] < before[1] || after[0] < before[0]) return;
  rate[0] = static_cast<double>(after[0] - before[0]) / seconds;
  rate[1] = static_cast<double>(after[1] - before[1]) / seconds;
}

bool CarriesCounters(v1::EventType type) {
  return type == v1::NEW || type == v1::SNAPSHOT || type == v1::UPDATE || type == v1::COUNTERS;
}

// The pool ids and flags the owner facts (StoredRow::pid, countries) come from.
std::tuple<uint32_t, uint32_t, uint32_t, uint32_t, uint32_t> OwnerSources(
    const core::FlowRecord& r) {
  using core::FlowRecord;
  constexpr uint32_t kBits = FlowRecord::kSrcGeo | FlowRecord::kSrcProcess |
                             FlowRecord::kDstGeo | FlowRecord::kDstProcess;
  return {r.src.process, r.dst.process, r.src.geo, r.dst.geo, r.flags & kBits};
}

}  // namespace

int64_t Model::Find(RowKey key) const {
  auto it = index_.find(key);
  return it == index_.end() ? -1 : static_cast<int64_t>(*it);
}

void Model::Merge(int index, const v1::FlowEvent& event, int64_t now, size_t pos) {
  using core::FlowRecord;
  StoredRow& row = rows_.Mutable(pos);
  FlowRecord& r = row.record;
  const v1::Flow& in = event.flow();
  uint64_t before[4];
  std::copy(r.counters, r.counters + 4, before);
  const bool fresh = r.conntrack_id == 0 && r.key == 0;
  const auto owner_sources = OwnerSources(r);
  core::ApplyFlowEvent(event, *pool_, r);  // the one merge rule
  if (CarriesCounters(event.type())) {
    // The TUI's addition: rates from counter deltas when none were sent.
    if (row.counters_time_nanos != 0) {
      const double seconds = (now - row.counters_time_nanos) / 1e9;
      if (in.has_original_counters() && !in.has_original_rate()) {
        DeriveRate(before, r.counters, seconds, r.rates);
        if (r.rates[0] != 0 || r.rates[1] != 0) r.flags |= FlowRecord::kHasOriginalRate;
      }
      if (in.has_reply_counters() && !in.has_reply_rate()) {
        DeriveRate(before + 2, r.counters + 2, seconds, r.rates + 2);
        if (r.rates[2] != 0 || r.rates[3] != 0) r.flags |= FlowRecord::kHasReplyRate;
      }
    }
    row.counters_time_nanos = now;
  }
  if (fresh || OwnerSources(r) != owner_sources) UpdateOwner(*pool_, row);
  row.source = static_cast<uint16_t>(index);
  row.generation = static_cast<uint8_t>(sources_[index].generation);
}

void Model::Upsert(int index, const v1::FlowEvent& event) {
  // Flows without a time of their own are stamped with the model's clock
  // (their first-seen time, the base of derived rates).
  v1::FlowEvent stamped;
  const v1::FlowEvent* in = &event;
  if (event.time_unix_nanos() == 0) {
    stamped = event;
    stamped.set_time_unix_nanos(absl::ToUnixNanos(clock_.Now()));
    in = &stamped;
  }
  const int64_t now = in->time_unix_nanos();
  const RowKey key = MakeRowKey(static_cast<uint32_t>(index), event.flow());
  int64_t pos = Find(key);
  last_first_seen_ = 0;
  if (pos < 0) {
    if (event.type() == v1::ENRICH || event.type() == v1::COUNTERS) {
      return;  // enrichment or counters of a flow we never saw
    }
    pos = static_cast<int64_t>(rows_.size());
    StoredRow row;
    row.source = static_cast<uint16_t>(index);
    rows_.PushBack(std::move(row));
    Merge(index, *in, now, static_cast<size_t>(pos));
    index_.insert(static_cast<uint32_t>(pos));
    ++sources_[index].flows;
  } else {
    Merge(index, *in, now, static_cast<size_t>(pos));
  }
  if (event.type() != v1::ENRICH && event.type() != v1::COUNTERS) {
    last_first_seen_ = rows_[static_cast<size_t>(pos)].record.first_seen_unix_nanos;
  }
}

void Model::Remove(size_t pos) {
  --sources_[rows_[pos].source].flows;
  index_.erase(static_cast<uint32_t>(pos));
  const size_t last = rows_.size() - 1;
  core::ReleaseRecord(*pool_, rows_.Mutable(pos).record);
  if (pos != last) {
    index_.erase(static_cast<uint32_t>(last));
    StoredRow& tail = rows_.Mutable(last);
    StoredRow& slot = rows_.Mutable(pos);
    slot = std::move(tail);
    tail = StoredRow();  // its references moved to `slot`
    index_.insert(static_cast<uint32_t>(pos));
  }
  rows_.PopBack();
}

void Model::SweepStale(int index) {
  const uint8_t generation = static_cast<uint8_t>(sources_[index].generation);
  for (size_t i = 0; i < rows_.size();) {
    const StoredRow& row = rows_[i];
    if (row.source == static_cast<uint32_t>(index) && row.generation != generation) {
      Remove(i);  // moves the last row into i: look at i again
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
  BeginRun();
  for (const v1::FlowEvent& event : events) ApplyOne(index, event);
  EndRun();
}

void Model::BeginRun() {
  // A source re-takes the lock run after run and would starve a waiting
  // snapshot (the mutex is not fair): let the snapshot go first.
  mu_.LockWhen(absl::Condition(&NoSnapshotWaiting, &snapshot_waiters_));
}

void Model::EndRun() {
  ++version_;
  mu_.Unlock();
}

void Model::ApplyOne(int index, const v1::FlowEvent& event) {
  if (index < 0 || static_cast<size_t>(index) >= sources_.size()) return;
  SourceData& source = sources_[index];
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
    case v1::DESTROY: {
      last_first_seen_ = 0;
      const int64_t pos = Find(MakeRowKey(static_cast<uint32_t>(index), event.flow()));
      if (pos >= 0) Remove(static_cast<size_t>(pos));
      break;
    }
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
      ApplyStatus(source, index, event.status());
      break;
    default:
      break;
  }
}

void Model::ApplyStatus(SourceData& source, int index, const v1::NodeStatus& status) {
  // A RemoteSource reports its link in-band.
  if (!status.endpoint().empty()) {
    SetConnectedLocked(index, status.connected(), status.error());
  }
  // A node says how many flows its initial snapshot will hold.
  if (!source.state.synced && status.loading()) {
    source.state.expected = status.conntrack_count();
  }
  // Its rate dumps are spaced out to stay within their CPU budget.
  if (status.rate_period_millis() != 0) {
    source.state.stretched_rate_period = status.rate_stretched()
                                             ? absl::Milliseconds(status.rate_period_millis())
                                             : absl::ZeroDuration();
  }
}

bool Model::IsStaleEnrich(int index, const v1::FlowEvent& event) const {
  if (event.type() != v1::ENRICH) return false;
  const int64_t pos = Find(MakeRowKey(static_cast<uint32_t>(index), event.flow()));
  return pos >= 0 && core::IsStaleEnrichFor(event, rows_[static_cast<size_t>(pos)].record);
}

bool Model::FindFlow(int index, uint64_t key, v1::Flow& out) const {
  const int64_t pos = Find(absl::MakeUint128(static_cast<uint32_t>(index), key));
  if (pos < 0) return false;
  core::ToFlow(rows_[static_cast<size_t>(pos)].record, *pool_, out);
  return true;
}

size_t Model::SourceFlows(int index) const {
  return index >= 0 && static_cast<size_t>(index) < sources_.size() ? sources_[index].flows : 0;
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
  auto rows = std::make_shared<SnapshotRows>();
  rows->stored = rows_.Freeze();
  rows->pool = pool_;
  rows->labels.reserve(sources_.size());
  for (const SourceData& s : sources_) rows->labels.push_back(s.state.label);
  snap.flows = SnapshotFlows(rows);
  snap.hot = SnapshotHot(rows);
  if (derived_ == nullptr || derived_version_ != version_) {
    derived_ = std::make_shared<DerivedCache>();
    derived_version_ = version_;
  }
  snap.derived = derived_;
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
