// Summary: the offline report of `flowtop replay FILE --summary`.
//
// Fed every event of a recording in order, it answers the questions one asks
// of a capture after the fact: who talked most (bytes per address), which
// processes and countries, which protocols, how flows ended (state counts),
// and what was lost (kernel, ring, client, damaged recording blocks). Bytes
// are a flow's final counters (at DESTROY, or at the end of the recording).
#ifndef FLOWTOP_REPLAY_SUMMARY_H_
#define FLOWTOP_REPLAY_SUMMARY_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "core/flow_table.h"
#include "flowtop/v1/flowtop.pb.h"
#include "flowtop/v1/recording.pb.h"

namespace flowtop::replay {

struct Tally {
  uint64_t flows = 0;
  uint64_t bytes = 0;
};

class Summary {
 public:
  // Adds one event (in recording order).
  void Add(const v1::FlowEvent& event);
  // Counts flows still open at the end; call once after the last Add.
  void Finish();

  // Returns the report as text: at most `top` rows per ranking.
  // `header` and `file_size` describe the recording; `damaged_blocks` comes
  // from the reader.
  std::string Report(const v1::RecordingHeader& header, uint64_t file_size,
                     int top) const;

  uint64_t events() const { return events_; }
  const std::map<std::string, Tally>& by_talker() const { return talkers_; }
  const std::map<std::string, Tally>& by_process() const { return processes_; }
  const std::map<std::string, Tally>& by_country() const { return countries_; }
  const std::map<std::string, Tally>& by_protocol() const { return protocols_; }
  const std::map<std::string, uint64_t>& by_state() const { return states_; }
  const std::map<std::string, uint64_t>& lost() const { return lost_; }

 private:
  void Fold(const v1::Flow& flow);

  core::FlowTable table_;
  uint64_t events_ = 0;
  std::map<std::string, uint64_t> types_;
  uint64_t flows_seen_ = 0;
  uint64_t flows_closed_ = 0;
  uint64_t flows_open_at_end_ = 0;
  int64_t first_time_ = 0;
  int64_t last_time_ = 0;
  std::map<std::string, Tally> talkers_;
  std::map<std::string, Tally> processes_;
  std::map<std::string, Tally> countries_;
  std::map<std::string, Tally> protocols_;
  std::map<std::string, uint64_t> states_;
  std::map<std::string, uint64_t> lost_;      // by LossSource name
  std::map<std::string, uint64_t> lost_events_;  // LOST events by source
  bool finished_ = false;
};

// Returns the printable form of a raw IPv4/IPv6 address ("?" when malformed).
std::string FormatIp(const std::string& raw);

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_SUMMARY_H_
