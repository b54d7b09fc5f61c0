#include "core/flow_table.h"

#include <utility>

#include "absl/hash/hash.h"

#include "core/flow_key.h"

namespace flowtop::core {
namespace {

using flow_table_internal::kShards;

// Conntrack ids are hashes, keys hash their tuple too: a multiply spreads
// both over the shards.
size_t ShardOf(uint64_t key) {
  return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 52) % kShards;
}

uint64_t KeyOf(const FlowRecord& r) {
  return r.key != 0 ? r.key : r.conntrack_id;
}

}  // namespace

namespace flow_table_internal {

size_t Shard::Hash::operator()(Key key) const { return absl::HashOf(key.value); }
size_t Shard::Hash::operator()(uint32_t pos) const {
  return absl::HashOf(KeyOf((*records)[pos]));
}
bool Shard::Eq::operator()(uint32_t a, Key b) const {
  return KeyOf((*records)[a]) == b.value;
}

Shard::Shard() : index(0, Hash{&records}, Eq{&records}) {}

Shard::Shard(const Shard& other)
    : records(other.records), index(0, Hash{&records}, Eq{&records}) {
  index.reserve(records.size());
  for (uint32_t pos = 0; pos < records.size(); ++pos) index.insert(pos);
  RecomputeBounds();
}

void Shard::Touched(const FlowRecord& record) {
  if (++changes > records.size() + 16) {
    RecomputeBounds();
  } else {
    bounds.Include(record);
  }
}

void Shard::Left() {
  if (++changes > records.size() + 16) RecomputeBounds();
}

void Shard::RecomputeBounds() {
  bounds.Reset();
  for (const FlowRecord& r : records) bounds.Include(r);
  changes = 0;
}

int64_t Shard::Find(uint64_t key) const {
  auto it = index.find(Key{key});
  return it == index.end() ? -1 : static_cast<int64_t>(*it);
}

}  // namespace flow_table_internal

FlowTableView::FlowTableView(flow_table_internal::Shards shards,
                             std::shared_ptr<StringPool> pool, size_t size,
                             uint64_t seq)
    : shards_(std::move(shards)), pool_(std::move(pool)), size_(size), seq_(seq) {
  pool_->Pin();
}

FlowTableView::FlowTableView(FlowTableView&& other) noexcept { *this = std::move(other); }

FlowTableView& FlowTableView::operator=(FlowTableView&& other) noexcept {
  if (this == &other) return *this;
  if (pool_ != nullptr) pool_->Unpin();
  shards_ = std::move(other.shards_);
  pool_ = std::move(other.pool_);
  size_ = other.size_;
  seq_ = other.seq_;
  other.pool_ = nullptr;
  for (auto& s : other.shards_) s.reset();
  return *this;
}

FlowTableView::~FlowTableView() {
  // Shards first: the records they hold name pool entries.
  for (auto& s : shards_) s.reset();
  if (pool_ != nullptr) pool_->Unpin();
}

FlowTable::FlowTable(size_t max_flows)
    : max_flows_(max_flows), pool_(std::make_shared<StringPool>()) {}

FlowTable::~FlowTable() { Clear(); }

flow_table_internal::Shard& FlowTable::Mutable(size_t shard) {
  std::shared_ptr<Shard>& s = shards_[shard];
  if (s == nullptr) {
    s = std::make_shared<Shard>();
  } else if (s.use_count() > 1) {
    // A view holds this shard: write to a copy (the records' pool
    // references are shared; the view pins the pool meanwhile).
    s = std::make_shared<Shard>(*s);
  }
  return *s;
}

const FlowRecord* FlowTable::FindRecord(uint64_t key) const {
  const Shard* s = Get(ShardOf(key));
  if (s == nullptr) return nullptr;
  const int64_t pos = s->Find(key);
  return pos < 0 ? nullptr : &s->records[pos];
}

bool FlowTable::IsStaleEnrich(const v1::FlowEvent& event) const {
  if (event.type() != v1::ENRICH) return false;
  const FlowRecord* r = FindRecord(FlowKey(event.flow()));
  return r != nullptr && IsStaleEnrichFor(event, *r);
}

bool FlowTable::ApplyKernelView(const v1::FlowEvent& event, uint64_t key) {
  const size_t index = ShardOf(key);
  const bool exists = FindRecord(key) != nullptr;
  if (!exists && size_ >= max_flows_) {
    ++dropped_;
    return false;
  }
  Shard& s = Mutable(index);
  if (exists) {
    FlowRecord& r = s.records[s.Find(key)];
    ApplyFlowEvent(event, *pool_, r);
    s.Touched(r);
    last_first_seen_ = r.first_seen_unix_nanos;
    return true;
  }
  // Grow by an eighth, not double: at a million flows a shard holds ~244
  // records, and doubling past 256 left a fifth of the shards half empty
  // (284 B/flow instead of ~240; bench/collector:flow_table_memory).
  if (s.records.size() == s.records.capacity()) {
    s.records.reserve(s.records.size() + s.records.size() / 8 + 4);
  }
  FlowRecord& r = s.records.emplace_back();
  ApplyFlowEvent(event, *pool_, r);  // sets the key the index hashes
  s.index.insert(static_cast<uint32_t>(s.records.size() - 1));
  s.Touched(r);
  ++size_;
  last_first_seen_ = r.first_seen_unix_nanos;
  return true;
}

void FlowTable::Erase(uint64_t key) {
  if (FindRecord(key) == nullptr) return;
  Shard& s = Mutable(ShardOf(key));
  const uint32_t pos = static_cast<uint32_t>(s.Find(key));
  const uint32_t last = static_cast<uint32_t>(s.records.size() - 1);
  s.index.erase(pos);
  if (pos != last) s.index.erase(last);  // the last record moves to pos
  ReleaseRecord(*pool_, s.records[pos]);
  if (pos != last) {
    s.records[pos] = std::move(s.records[last]);
    s.index.insert(pos);
  }
  s.records.pop_back();
  s.Left();
  --size_;
}

bool FlowTable::Apply(const v1::FlowEvent& event) {
  if (event.seq() != 0) last_seq_ = event.seq();
  const uint64_t key = FlowKey(event.flow());
  last_first_seen_ = 0;
  switch (event.type()) {
    case v1::NEW:
    case v1::SNAPSHOT:
    case v1::UPDATE:
      // New, or an UPDATE for a flow we never saw (e.g. after a loss).
      return ApplyKernelView(event, key);
    case v1::ENRICH:
    case v1::COUNTERS: {
      const FlowRecord* found = FindRecord(key);
      if (found == nullptr) return true;
      if (event.type() == v1::ENRICH && IsStaleEnrichFor(event, *found)) return true;
      Shard& s = Mutable(ShardOf(key));
      FlowRecord& r = s.records[s.Find(key)];
      ApplyFlowEvent(event, *pool_, r);
      s.Touched(r);
      return true;
    }
    case v1::DESTROY:
      Erase(key);
      return true;
    default:
      return true;
  }
}

const v1::Flow* FlowTable::Find(uint64_t key) const {
  const FlowRecord* r = FindRecord(key);
  if (r == nullptr) return nullptr;
  ToFlow(*r, *pool_, found_);
  return &found_;
}

FlowTableView FlowTable::View() const {
  flow_table_internal::Shards shards;
  for (size_t i = 0; i < kShards; ++i) shards[i] = shards_[i];
  return FlowTableView(std::move(shards), pool_, size_, last_seq_);
}

std::vector<v1::Flow> FlowTable::Snapshot() const {
  std::vector<v1::Flow> out;
  out.reserve(size_);
  View().ForEach([&](const v1::Flow& flow) { out.push_back(flow); });
  return out;
}

void FlowTable::Clear() {
  for (auto& s : shards_) {
    if (s == nullptr) continue;
    if (s.use_count() == 1) {
      for (FlowRecord& r : s->records) ReleaseRecord(*pool_, r);
    } else {
      // A view still reads these records: release the references only.
      for (const FlowRecord& r : s->records) {
        FlowRecord copy = r;
        ReleaseRecord(*pool_, copy);
      }
    }
    s.reset();
  }
  size_ = 0;
}

}  // namespace flowtop::core
