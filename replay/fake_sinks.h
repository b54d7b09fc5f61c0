// Test sinks: CollectingSink keeps a copy of every event it receives and
// lets a test wait for a count, without sleeping.
#ifndef FLOWTOP_REPLAY_FAKE_SINKS_H_
#define FLOWTOP_REPLAY_FAKE_SINKS_H_

#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/event_source.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::replay {

class CollectingSink final : public core::EventSink {
 public:
  // `on_event` (optional) runs after each event is stored, without the lock.
  explicit CollectingSink(std::function<void(size_t count)> on_event = nullptr)
      : on_event_(std::move(on_event)) {}

  void Publish(absl::Span<v1::FlowEvent> events) override {
    size_t count;
    {
      absl::MutexLock lock(&mu_);
      for (const v1::FlowEvent& e : events) events_.push_back(e);
      count = events_.size();
    }
    if (on_event_) on_event_(count);
  }

  // Returns a copy of everything received so far.
  std::vector<v1::FlowEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return events_.size();
  }
  // Returns true once at least n events arrived, false after `timeout`.
  bool WaitFor(size_t n, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return events_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

 private:
  const std::function<void(size_t)> on_event_;
  mutable absl::Mutex mu_;
  std::vector<v1::FlowEvent> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_FAKE_SINKS_H_
