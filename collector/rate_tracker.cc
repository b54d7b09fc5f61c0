#include "collector/rate_tracker.h"

#include "core/flow_key.h"

namespace flowtop::collector {
namespace {

uint64_t Delta(uint64_t now, uint64_t before) {
  return now >= before ? now - before : now;  // reset: counted from zero
}

}  // namespace

void RateTracker::BeginSample(absl::Time now) {
  previous_ = now_;
  now_ = now;
  ++generation_;
}

void RateTracker::Remember(const v1::Flow& flow) {
  Last& last = *last_.TryEmplace(core::FlowKey(flow)).first;
  last.orig_packets = flow.original_counters().packets();
  last.orig_bytes = flow.original_counters().bytes();
  last.reply_packets = flow.reply_counters().packets();
  last.reply_bytes = flow.reply_counters().bytes();
  last.generation = generation_;
  last.moving = false;
}

bool RateTracker::Observe(v1::Flow& flow) {
  if (!flow.has_original_counters() && !flow.has_reply_counters()) {
    *last_.TryEmplace(core::FlowKey(flow)).first = Last{0, 0, 0, 0, generation_, false};
    return false;
  }
  const uint64_t op = flow.original_counters().packets();
  const uint64_t ob = flow.original_counters().bytes();
  const uint64_t rp = flow.reply_counters().packets();
  const uint64_t rb = flow.reply_counters().bytes();
  auto [found, inserted] = last_.TryEmplace(core::FlowKey(flow));
  Last& last = *found;
  bool publish = true;
  // Seen in the previous sample, or a second time in this one (a dump may
  // list a flow twice): then there is no interval to divide by.
  const bool earlier = !inserted && last.generation != generation_;
  if (earlier && now_ > previous_) {
    const double secs = absl::ToDoubleSeconds(now_ - previous_);
    const uint64_t dop = Delta(op, last.orig_packets);
    const uint64_t dob = Delta(ob, last.orig_bytes);
    const uint64_t drp = Delta(rp, last.reply_packets);
    const uint64_t drb = Delta(rb, last.reply_bytes);
    flow.mutable_original_rate()->set_packets_per_second(dop / secs);
    flow.mutable_original_rate()->set_bytes_per_second(dob / secs);
    flow.mutable_reply_rate()->set_packets_per_second(drp / secs);
    flow.mutable_reply_rate()->set_bytes_per_second(drb / secs);
    const bool moving = (dop | dob | drp | drb) != 0;
    publish = moving || last.moving;
    last.moving = moving;
  } else if (inserted) {
    last.moving = false;
  } else {
    publish = false;
  }
  last.orig_packets = op;
  last.orig_bytes = ob;
  last.reply_packets = rp;
  last.reply_bytes = rb;
  last.generation = generation_;
  return publish;
}

size_t RateTracker::EndSample(const std::function<void(uint64_t key)>& forgotten) {
  return last_.EraseIf([&](uint64_t key, const Last& last) {
    if (last.generation == generation_) return false;
    if (forgotten) forgotten(key);
    return true;
  });
}

}  // namespace flowtop::collector
