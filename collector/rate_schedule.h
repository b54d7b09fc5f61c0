// RateSchedule: when the next rate dump may start, under a CPU budget.
//
// A rate dump walks the whole conntrack table, so its cost follows the
// table's size, not its events: about half a second of a core for a million
// flows. Run once a second that is half a core spent on idle flows. The
// schedule stretches the period so that dumps use at most `budget` of one
// core: after a dump that cost `cost` of CPU time, the next one starts
// max(interval, cost / budget) after the last one began. A small table keeps
// the configured interval; a table that shrinks gets it back at once. The
// rates stay right whatever the period (RateTracker divides by the real time
// between samples); they are averages over the longer period.
#ifndef FLOWTOP_COLLECTOR_RATE_SCHEDULE_H_
#define FLOWTOP_COLLECTOR_RATE_SCHEDULE_H_

#include "absl/time/time.h"

namespace flowtop::collector {

class RateSchedule {
 public:
  // The longest period the budget can stretch to: rates older than this
  // are not rates any more.
  static constexpr absl::Duration kMaxPeriod = absl::Minutes(5);

  // `interval` > 0: the configured period. `budget`: the fraction of one
  // core the dumps may use, in (0, 1]; 0 or less: no budget.
  RateSchedule(absl::Duration interval, double budget);

  // A dump began at `start` and used `cost` of CPU time. Returns when the
  // next dump may begin and remembers the period that makes.
  absl::Time Next(absl::Time start, absl::Duration cost);

  // The period in force: the configured interval until a dump stretched it.
  absl::Duration period() const { return period_; }
  // True when the budget has stretched the period beyond the interval.
  bool stretched() const { return period_ > interval_; }

 private:
  const absl::Duration interval_;
  const double budget_;
  absl::Duration period_;
};

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_RATE_SCHEDULE_H_
