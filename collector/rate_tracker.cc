#include "collector/rate_tracker.h"

#include "core/flow_key.h"

namespace flowtop::collector {
namespace {

uint64_t Delta(uint64_t now, uint64_t before) {
  return now >= before ? now - before : now;  // reset: counted from zero
}

}  // namespace

void RateTracker::BeginSample(absl::Time now) {
  now_ = now;
  ++generation_;
}

bool RateTracker::Observe(v1::Flow& flow) {
  if (!flow.has_original_counters() && !flow.has_reply_counters()) return false;
  const uint64_t op = flow.original_counters().packets();
  const uint64_t ob = flow.original_counters().bytes();
  const uint64_t rp = flow.reply_counters().packets();
  const uint64_t rb = flow.reply_counters().bytes();
  auto [it, inserted] = last_.try_emplace(core::FlowKey(flow));
  Last& last = it->second;
  bool publish = true;
  if (!inserted) {
    const double secs = absl::ToDoubleSeconds(now_ - last.time);
    if (secs > 0) {
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
    } else {
      publish = false;
    }
  } else {
    last.moving = false;
  }
  last.orig_packets = op;
  last.orig_bytes = ob;
  last.reply_packets = rp;
  last.reply_bytes = rb;
  last.time = now_;
  last.generation = generation_;
  return publish;
}

size_t RateTracker::EndSample() {
  size_t forgotten = 0;
  for (auto it = last_.begin(); it != last_.end();) {
    if (it->second.generation != generation_) {
      last_.erase(it++);
      ++forgotten;
    } else {
      ++it;
    }
  }
  return forgotten;
}

}  // namespace flowtop::collector
