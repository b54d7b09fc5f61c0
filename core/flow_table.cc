#include "core/flow_table.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace flowtop::collector {
namespace {

// Copies what the kernel reports about a flow, keeping what only this node
// knows (enrichment, first-seen time, rates) and what this event does not
// carry (NEW/UPDATE events have no counters or timestamps) from the stored
// flow.
void MergeKernelView(const v1::Flow& update, v1::Flow& stored) {
  v1::Flow kept;
  kept.mutable_enrichment()->Swap(stored.mutable_enrichment());
  if (stored.has_original_counters()) {
    kept.mutable_original_counters()->Swap(stored.mutable_original_counters());
  }
  if (stored.has_reply_counters()) {
    kept.mutable_reply_counters()->Swap(stored.mutable_reply_counters());
  }
  if (stored.has_original_rate()) {
    kept.mutable_original_rate()->Swap(stored.mutable_original_rate());
  }
  if (stored.has_reply_rate()) {
    kept.mutable_reply_rate()->Swap(stored.mutable_reply_rate());
  }
  const int64_t first_seen = stored.first_seen_unix_nanos();
  const bool has_start = stored.has_start_unix_nanos();
  const int64_t start = stored.start_unix_nanos();
  stored = update;
  if (update.has_enrichment())
    kept.mutable_enrichment()->MergeFrom(update.enrichment());
  stored.mutable_enrichment()->Swap(kept.mutable_enrichment());
  if (!stored.has_enrichment() || stored.enrichment().ByteSizeLong() == 0) {
    stored.clear_enrichment();
  }
  if (first_seen != 0) stored.set_first_seen_unix_nanos(first_seen);
  if (!update.has_original_counters() && kept.has_original_counters()) {
    stored.mutable_original_counters()->Swap(kept.mutable_original_counters());
  }
  if (!update.has_reply_counters() && kept.has_reply_counters()) {
    stored.mutable_reply_counters()->Swap(kept.mutable_reply_counters());
  }
  if (!update.has_original_rate() && kept.has_original_rate()) {
    stored.mutable_original_rate()->Swap(kept.mutable_original_rate());
  }
  if (!update.has_reply_rate() && kept.has_reply_rate()) {
    stored.mutable_reply_rate()->Swap(kept.mutable_reply_rate());
  }
  if (!update.has_start_unix_nanos() && has_start) {
    stored.set_start_unix_nanos(start);
  }
}

// Protobuf wire format: merging a message equals parsing the concatenation
// of both encodings. ENRICH therefore appends `enrichment` as field 25 to the
// stored bytes instead of parsing and re-serialising the whole flow; the
// next UPDATE (or Find) sees exactly what MergeFrom would have produced.
constexpr uint32_t kEnrichmentTag =
    (v1::Flow::kEnrichmentFieldNumber << 3) | 2;  // length-delimited
// A flow whose stored bytes grow past this by appended enrichments (many
// hostname events and no kernel update in between) is compacted.
constexpr size_t kCompactAbove = 4096;

size_t PutVarint(uint64_t value, uint8_t* out) {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  out[n++] = static_cast<uint8_t>(value);
  return n;
}

void AppendEnrichment(const v1::Enrichment& enrichment, std::string& stored) {
  const size_t size = enrichment.ByteSizeLong();
  uint8_t head[16];
  size_t head_len = PutVarint(kEnrichmentTag, head);
  head_len += PutVarint(size, head + head_len);
  const size_t old_size = stored.size();
  stored.resize(old_size + head_len + size);
  uint8_t* out = reinterpret_cast<uint8_t*>(&stored[old_size]);
  std::memcpy(out, head, head_len);
  enrichment.SerializeWithCachedSizesToArray(out + head_len);
}

// Returns the last first_seen_unix_nanos (field 24, a varint) in a stored
// flow's wire bytes, or 0 (also for bytes it cannot walk).
int64_t StoredFirstSeen(const std::string& stored) {
  const auto* p = reinterpret_cast<const uint8_t*>(stored.data());
  const uint8_t* const end = p + stored.size();
  auto varint = [&](uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64 && p != end; shift += 7) {
      const uint8_t b = *p++;
      *v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) return true;
    }
    return false;
  };
  int64_t first_seen = 0;
  uint64_t tag, v;
  while (p != end) {
    if (!varint(&tag)) return 0;
    switch (tag & 7) {
      case 0:
        if (!varint(&v)) return 0;
        if ((tag >> 3) == v1::Flow::kFirstSeenUnixNanosFieldNumber) {
          first_seen = static_cast<int64_t>(v);
        }
        break;
      case 1:
        if (end - p < 8) return 0;
        p += 8;
        break;
      case 2:
        if (!varint(&v) || v > static_cast<uint64_t>(end - p)) return 0;
        p += v;
        break;
      case 5:
        if (end - p < 4) return 0;
        p += 4;
        break;
      default:
        return 0;
    }
  }
  return first_seen;
}

// The first-seen time a new flow is stored with.
int64_t StoredFirstSeenOr(const v1::Flow& flow, const v1::FlowEvent& event) {
  return flow.first_seen_unix_nanos() != 0 ? flow.first_seen_unix_nanos()
                                           : event.time_unix_nanos();
}

// `event` (an ENRICH) names a first-seen time other than `stored`'s flow's.
bool StaleFor(const v1::FlowEvent& event, const std::string& stored) {
  const int64_t first_seen = event.flow().first_seen_unix_nanos();
  return first_seen != 0 && StoredFirstSeen(stored) != first_seen;
}

}  // namespace

bool FlowTable::IsStaleEnrich(const v1::FlowEvent& event) const {
  if (event.type() != v1::ENRICH || event.flow().first_seen_unix_nanos() == 0) return false;
  auto it = flows_.find(event.flow().conntrack_id());
  return it != flows_.end() && StaleFor(event, it->second);
}

bool FlowTable::Apply(const v1::FlowEvent& event) {
  if (event.seq() != 0) last_seq_ = event.seq();
  const v1::Flow& flow = event.flow();
  const uint32_t id = flow.conntrack_id();
  last_first_seen_ = 0;
  switch (event.type()) {
    case v1::NEW:
    case v1::SNAPSHOT:
    case v1::UPDATE: {
      auto it = flows_.find(id);
      if (it != flows_.end()) {
        work_.ParseFromString(it->second);
        MergeKernelView(flow, work_);
        work_.SerializeToString(&it->second);
        last_first_seen_ = work_.first_seen_unix_nanos();
        return true;
      }
      // New, or an UPDATE for a flow we never saw (e.g. after a loss).
      if (flows_.size() >= max_flows_) {
        ++dropped_;
        return false;
      }
      std::string& stored = flows_[id];
      if (flow.first_seen_unix_nanos() == 0) {
        work_ = flow;
        work_.set_first_seen_unix_nanos(event.time_unix_nanos());
        work_.SerializeToString(&stored);
      } else {
        flow.SerializeToString(&stored);
      }
      last_first_seen_ = StoredFirstSeenOr(flow, event);
      return true;
    }
    case v1::ENRICH: {
      auto it = flows_.find(id);
      if (it != flows_.end() && !StaleFor(event, it->second)) {
        AppendEnrichment(flow.enrichment(), it->second);
        if (it->second.size() > kCompactAbove) {
          work_.ParseFromString(it->second);
          work_.SerializeToString(&it->second);
        }
      }
      return true;
    }
    case v1::COUNTERS: {
      auto it = flows_.find(id);
      if (it == flows_.end()) return true;
      work_.ParseFromString(it->second);
      if (flow.has_original_counters()) {
        *work_.mutable_original_counters() = flow.original_counters();
      }
      if (flow.has_reply_counters()) {
        *work_.mutable_reply_counters() = flow.reply_counters();
      }
      if (flow.has_original_rate()) {
        *work_.mutable_original_rate() = flow.original_rate();
      }
      if (flow.has_reply_rate()) {
        *work_.mutable_reply_rate() = flow.reply_rate();
      }
      work_.SerializeToString(&it->second);
      return true;
    }
    case v1::DESTROY:
      flows_.erase(id);
      return true;
    default:
      return true;
  }
}

const v1::Flow* FlowTable::Find(uint32_t conntrack_id) const {
  auto it = flows_.find(conntrack_id);
  if (it == flows_.end()) return nullptr;
  found_.ParseFromString(it->second);
  return &found_;
}

std::vector<v1::Flow> FlowTable::Snapshot() const {
  std::vector<v1::Flow> out(flows_.size());
  size_t i = 0;
  for (const auto& [id, bytes] : flows_) out[i++].ParseFromString(bytes);
  return out;
}

}  // namespace flowtop::collector
