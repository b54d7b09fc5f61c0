#include "core/stream_filter.h"

#include <utility>

#include "core/flow_key.h"

namespace flowtop::core {

StreamFilter::StreamFilter(FlowMatcher matcher)
    : matcher_(std::move(matcher)), merge_(matcher_.NeedsMergedFlow()) {}

StreamFilter::Verdict StreamFilter::Decide(const v1::FlowEvent& event,
                                           v1::FlowEvent* merged) {
  if (PassesAll() || !event.has_flow()) return Verdict::kPass;
  return merge_ ? DecideMerged(event, merged) : DecideByKey(event);
}

void StreamFilter::Sent(const v1::FlowEvent& event) {
  if (PassesAll() || !event.has_flow()) return;
  const uint64_t id = FlowKey(event.flow());
  if (!merge_) {
    flows_[id] = kMatching | kSent;
    return;
  }
  if (seen_ == nullptr) seen_ = std::make_unique<FlowTable>();
  seen_->Apply(event);
  announced_.insert(id);
}

StreamFilter::Verdict StreamFilter::DecideByKey(const v1::FlowEvent& e) {
  const uint64_t id = FlowKey(e.flow());
  switch (e.type()) {
    case v1::NEW:
    case v1::SNAPSHOT:
    case v1::UPDATE: {
      uint8_t& state = flows_[id];
      if (matcher_.Matches(e)) {
        state = kMatching | kSent;
        return Verdict::kPass;
      }
      state &= static_cast<uint8_t>(~kMatching);
      return Verdict::kDrop;
    }
    case v1::DESTROY: {
      auto it = flows_.find(id);
      const bool sent = it != flows_.end() && (it->second & kSent) != 0;
      if (it != flows_.end()) flows_.erase(it);
      return sent || matcher_.Matches(e) ? Verdict::kPass : Verdict::kDrop;
    }
    default: {  // ENRICH, COUNTERS: part of a flow
      auto it = flows_.find(id);
      if (it == flows_.end()) {
        return matcher_.Matches(e) ? Verdict::kPass : Verdict::kDrop;
      }
      return (it->second & kMatching) != 0 ? Verdict::kPass : Verdict::kDrop;
    }
  }
}

StreamFilter::Verdict StreamFilter::DecideMerged(const v1::FlowEvent& e,
                                                 v1::FlowEvent* full) {
  if (seen_ == nullptr) seen_ = std::make_unique<FlowTable>();
  const uint64_t id = FlowKey(e.flow());
  if (e.type() == v1::DESTROY) {
    bool pass = announced_.erase(id) > 0;
    if (!pass) {
      const v1::Flow* merged = seen_->Find(id);
      pass = merged != nullptr ? matcher_.Matches(*merged, v1::DESTROY)
                               : matcher_.Matches(e);
    }
    seen_->Apply(e);
    return pass ? Verdict::kPass : Verdict::kDrop;
  }
  seen_->Apply(e);
  const v1::Flow* merged = seen_->Find(id);
  if (merged == nullptr) {
    return matcher_.Matches(e) ? Verdict::kPass : Verdict::kDrop;
  }
  if (!matcher_.Matches(*merged, e.type())) return Verdict::kDrop;
  const bool first_time = announced_.insert(id).second;
  if (!first_time || (e.type() != v1::ENRICH && e.type() != v1::COUNTERS)) {
    return Verdict::kPass;
  }
  full->Clear();
  full->set_type(v1::UPDATE);
  full->set_seq(e.seq());
  full->set_time_unix_nanos(e.time_unix_nanos());
  full->set_node(e.node());
  *full->mutable_flow() = *merged;
  return Verdict::kPassMerged;
}

}  // namespace flowtop::core
