#include "collector/rate_schedule.h"

#include <algorithm>

namespace flowtop::collector {

RateSchedule::RateSchedule(absl::Duration interval, double budget)
    : interval_(interval), budget_(budget), period_(interval) {}

absl::Time RateSchedule::Next(absl::Time start, absl::Duration cost) {
  period_ = interval_;
  if (budget_ > 0 && cost > absl::ZeroDuration()) {
    const absl::Duration needed = cost / budget_;
    period_ = std::min(kMaxPeriod, std::max(interval_, needed));
  }
  return start + period_;
}

}  // namespace flowtop::collector
