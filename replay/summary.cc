#include "replay/summary.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "core/flow_key.h"
#include "proto/flow_text.h"

namespace flowtop::replay {
namespace {

uint64_t FlowBytes(const v1::Flow& flow) {
  return flow.original_counters().bytes() + flow.reply_counters().bytes();
}

std::string ProtocolName(const v1::Flow& flow) {
  if (flow.protocol() != v1::L4_PROTOCOL_UNSPECIFIED &&
      v1::L4Protocol_IsValid(flow.protocol())) {
    return v1::L4Protocol_Name(flow.protocol());
  }
  return absl::StrCat("proto ", flow.protocol_number() != 0
                                    ? flow.protocol_number()
                                    : static_cast<uint32_t>(flow.protocol()));
}

std::string StateName(const v1::Flow& flow) {
  switch (flow.state_case()) {
    case v1::Flow::kTcpState:
      return std::string(
          absl::StripPrefix(v1::TcpState_Name(flow.tcp_state()), "TCP_"));
    case v1::Flow::kSctpState:
      return absl::StrCat("SCTP ", absl::StripPrefix(
                                       v1::SctpState_Name(flow.sctp_state()), "SCTP_"));
    case v1::Flow::kDccpState:
      return absl::StrCat("DCCP ", absl::StripPrefix(
                                       v1::DccpState_Name(flow.dccp_state()), "DCCP_"));
    default:
      return absl::StrCat(ProtocolName(flow), " (no state)");
  }
}

template <typename Map>
std::vector<std::pair<std::string, Tally>> Ranked(const Map& map, int top) {
  std::vector<std::pair<std::string, Tally>> rows(map.begin(), map.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.second.bytes != b.second.bytes) return a.second.bytes > b.second.bytes;
    if (a.second.flows != b.second.flows) return a.second.flows > b.second.flows;
    return a.first < b.first;
  });
  if (top >= 0 && rows.size() > static_cast<size_t>(top)) rows.resize(top);
  return rows;
}

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrCat(bytes, " B") : absl::StrFormat("%.1f %s", v, units[u]);
}

std::string FormatTime(int64_t unix_nanos) {
  if (unix_nanos == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%E3S UTC", absl::FromUnixNanos(unix_nanos),
                          absl::UTCTimeZone());
}

}  // namespace

std::string FormatIp(const std::string& raw) {
  const std::string text = AddressText(raw);  // proto/flow_text.h: the one formatter
  if (!text.empty()) return text;
  return raw.empty() ? "-" : "?";
}

void Summary::Fold(const v1::Flow& flow) {
  const uint64_t bytes = FlowBytes(flow);
  auto tally = [&](std::map<std::string, Tally>& map, const std::string& key) {
    Tally& t = map[key];
    ++t.flows;
    t.bytes += bytes;
  };
  const std::string src = FormatIp(flow.original().src_ip());
  const std::string dst = FormatIp(flow.original().dst_ip());
  tally(talkers_, src);
  if (dst != src) tally(talkers_, dst);
  tally(protocols_, ProtocolName(flow));
  ++states_[StateName(flow)];
  const v1::Enrichment& e = flow.enrichment();
  std::string process = e.src().process().name();
  if (process.empty()) process = e.dst().process().name();
  tally(processes_, process.empty() ? "(unknown)" : process);
  // A flow's country is the remote end's: the end with geo data.
  std::string country = e.dst().geo().country_code();
  if (country.empty()) country = e.src().geo().country_code();
  tally(countries_, country.empty() ? "(unknown)" : country);
}

void Summary::Add(const v1::FlowEvent& event) {
  ++events_;
  ++types_[v1::EventType_IsValid(event.type()) ? v1::EventType_Name(event.type())
                                               : absl::StrCat(event.type())];
  if (event.time_unix_nanos() != 0) {
    if (first_time_ == 0) first_time_ = event.time_unix_nanos();
    last_time_ = event.time_unix_nanos();
  }
  const uint64_t id = core::FlowKey(event.flow());
  switch (event.type()) {
    case v1::NEW:
    case v1::SNAPSHOT:
    case v1::UPDATE:
      if (table_.Find(id) == nullptr) ++flows_seen_;
      break;
    case v1::DESTROY: {
      const v1::Flow* stored = table_.Find(id);
      v1::Flow final_flow = stored != nullptr ? *stored : event.flow();
      if (stored != nullptr) {
        // The kernel's last word: final counters and state.
        const v1::Flow& last = event.flow();
        if (last.has_original_counters()) {
          *final_flow.mutable_original_counters() = last.original_counters();
        }
        if (last.has_reply_counters()) {
          *final_flow.mutable_reply_counters() = last.reply_counters();
        }
        if (last.state_case() == v1::Flow::kTcpState) {
          final_flow.set_tcp_state(last.tcp_state());
        }
      } else {
        ++flows_seen_;
      }
      Fold(final_flow);
      ++flows_closed_;
      break;
    }
    case v1::LOST: {
      const std::string source = v1::LossSource_IsValid(event.lost().source())
                                     ? v1::LossSource_Name(event.lost().source())
                                     : "UNKNOWN";
      lost_[source] += event.lost().count();
      ++lost_events_[source];
      break;
    }
    default:
      break;
  }
  table_.Apply(event);
}

void Summary::Finish() {
  if (finished_) return;
  finished_ = true;
  table_.ForEach([&](const v1::Flow& flow) {
    Fold(flow);
    ++flows_open_at_end_;
  });
}

std::string Summary::Report(const v1::RecordingHeader& header,
                            uint64_t file_size, int top) const {
  std::string out;
  absl::StrAppend(&out, "Recording\n");
  absl::StrAppendFormat(&out, "  node            %s (recorded on %s by %s)\n",
                        header.node().empty() ? "-" : header.node(),
                        header.hostname().empty() ? "-" : header.hostname(),
                        header.tool_version().empty() ? "-" : header.tool_version());
  absl::StrAppendFormat(&out, "  source          %s\n",
                        header.options().source().empty() ? "-"
                                                          : header.options().source());
  absl::StrAppendFormat(&out, "  first event     %s\n", FormatTime(first_time_));
  absl::StrAppendFormat(&out, "  last event      %s\n", FormatTime(last_time_));
  absl::StrAppendFormat(
      &out, "  duration        %s\n",
      absl::FormatDuration(absl::Nanoseconds(last_time_ - first_time_)));
  absl::StrAppendFormat(&out, "  events          %d (%s on disk, %.1f bytes/event)\n",
                        events_, HumanBytes(file_size),
                        events_ == 0 ? 0.0
                                     : static_cast<double>(file_size) / events_);
  std::string types;
  for (const auto& [name, count] : types_) {
    absl::StrAppend(&types, types.empty() ? "" : ", ", name, " ", count);
  }
  absl::StrAppendFormat(&out, "  by type         %s\n", types.empty() ? "-" : types);
  absl::StrAppendFormat(&out, "  flows           %d seen, %d closed, %d open at end\n",
                        flows_seen_, flows_closed_, flows_open_at_end_);

  absl::StrAppend(&out, "\nLost events\n");
  if (lost_events_.empty()) {
    absl::StrAppend(&out, "  none reported\n");
  } else {
    for (const auto& [source, n] : lost_events_) {
      const uint64_t count = lost_.at(source);
      absl::StrAppendFormat(&out, "  %-15s %d lost (%d reports%s)\n", source, count, n,
                            count == 0 ? "; count unknown" : "");
    }
  }

  auto section = [&](const char* title, const std::map<std::string, Tally>& map) {
    absl::StrAppendFormat(&out, "\n%s\n", title);
    if (map.empty()) {
      absl::StrAppend(&out, "  -\n");
      return;
    }
    absl::StrAppendFormat(&out, "  %-40s %8s %12s\n", "", "flows", "bytes");
    for (const auto& [key, t] : Ranked(map, top)) {
      absl::StrAppendFormat(&out, "  %-40s %8d %12s\n", key, t.flows, HumanBytes(t.bytes));
    }
  };
  section("Top talkers (addresses, by bytes)", talkers_);
  section("Top processes", processes_);
  section("Countries", countries_);
  section("Protocols", protocols_);

  absl::StrAppend(&out, "\nFlows by final state\n");
  if (states_.empty()) absl::StrAppend(&out, "  -\n");
  std::vector<std::pair<std::string, uint64_t>> states(states_.begin(), states_.end());
  std::sort(states.begin(), states.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (const auto& [state, n] : states) {
    absl::StrAppendFormat(&out, "  %-40s %8d\n", state, n);
  }
  return out;
}

}  // namespace flowtop::replay
