#include "collector/flow_table.h"

#include <utility>

namespace flowtop::collector {
namespace {

// Copies what the kernel reports about a flow, keeping what only this node
// knows (enrichment, first-seen time, rates) from the stored flow.
void MergeKernelView(const v1::Flow& update, v1::Flow& stored) {
  v1::Enrichment enrichment = std::move(*stored.mutable_enrichment());
  const int64_t first_seen = stored.first_seen_unix_nanos();
  const v1::Rate original_rate = stored.original_rate();
  const v1::Rate reply_rate = stored.reply_rate();
  stored = update;
  if (!update.has_enrichment()) {
    *stored.mutable_enrichment() = std::move(enrichment);
  } else {
    enrichment.MergeFrom(update.enrichment());
    *stored.mutable_enrichment() = std::move(enrichment);
  }
  if (first_seen != 0) stored.set_first_seen_unix_nanos(first_seen);
  if (!update.has_original_rate()) *stored.mutable_original_rate() = original_rate;
  if (!update.has_reply_rate()) *stored.mutable_reply_rate() = reply_rate;
}

}  // namespace

bool FlowTable::Apply(const v1::FlowEvent& event) {
  if (event.seq() != 0) last_seq_ = event.seq();
  const v1::Flow& flow = event.flow();
  const uint32_t id = flow.conntrack_id();
  switch (event.type()) {
    case v1::NEW:
    case v1::SNAPSHOT: {
      auto it = flows_.find(id);
      if (it != flows_.end()) {
        MergeKernelView(flow, it->second);
        return true;
      }
      if (flows_.size() >= max_flows_) {
        ++dropped_;
        return false;
      }
      v1::Flow& stored = flows_[id];
      stored = flow;
      if (stored.first_seen_unix_nanos() == 0) {
        stored.set_first_seen_unix_nanos(event.time_unix_nanos());
      }
      return true;
    }
    case v1::UPDATE: {
      auto it = flows_.find(id);
      if (it == flows_.end()) {
        // An UPDATE for a flow we never saw (e.g. after a loss): insert it.
        v1::FlowEvent as_new = event;
        as_new.set_type(v1::NEW);
        return Apply(as_new);
      }
      MergeKernelView(flow, it->second);
      return true;
    }
    case v1::ENRICH: {
      auto it = flows_.find(id);
      if (it != flows_.end()) {
        it->second.mutable_enrichment()->MergeFrom(flow.enrichment());
      }
      return true;
    }
    case v1::COUNTERS: {
      auto it = flows_.find(id);
      if (it == flows_.end()) return true;
      v1::Flow& stored = it->second;
      if (flow.has_original_counters()) {
        *stored.mutable_original_counters() = flow.original_counters();
      }
      if (flow.has_reply_counters()) {
        *stored.mutable_reply_counters() = flow.reply_counters();
      }
      if (flow.has_original_rate()) {
        *stored.mutable_original_rate() = flow.original_rate();
      }
      if (flow.has_reply_rate()) {
        *stored.mutable_reply_rate() = flow.reply_rate();
      }
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
  return it == flows_.end() ? nullptr : &it->second;
}

std::vector<v1::Flow> FlowTable::Snapshot() const {
  std::vector<v1::Flow> out;
  out.reserve(flows_.size());
  for (const auto& [id, flow] : flows_) out.push_back(flow);
  return out;
}

}  // namespace flowtop::collector
