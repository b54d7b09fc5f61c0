// Clock: where flowtop reads the time.
//
// Time is injected so that replay and tests see the recorded or hand-moved
// time and produce the same numbers every run; live code uses RealClock.
#ifndef FLOWTOP_COLLECTOR_CLOCK_H_
#define FLOWTOP_COLLECTOR_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace flowtop::collector {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time. Thread-safe.
  virtual absl::Time Now() const = 0;
};

// The system's wall clock.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // Returns a process-wide instance (stateless, so sharing it is safe).
  static Clock& Get() {
    static RealClock* const clock = new RealClock();
    return *clock;
  }
};

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_CLOCK_H_
