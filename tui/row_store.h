// StoredRow: one flow as the TUI's model keeps it, and what reads it.
//
// The model keeps core's FlowRecord (core/flow_record.h: ~200 bytes, strings
// and enrichment interned in a StringPool) and merges every event into it
// with core's ApplyFlowEvent, the one merge rule FlowTable uses too. Next to
// the record a row keeps the little the screen adds: its source, the
// reconnect generation, when its counters were last set (to derive rates a
// node did not send) and the owner facts the filters read on every frame
// (pid, countries), taken from the pooled Process and Geo when they change.
//
// Rows live in chunks of kRowChunk (tui/row_chunks.h) that snapshots share
// copy-on-write. A RecordChunk owns the pool references of its records: a
// copy (the writer's clone of a chunk a snapshot holds) takes its own, and
// the last holder of a chunk drops them. So a snapshot's records keep
// naming the same strings however the model changes meanwhile, without
// pinning the pool.
//
// RowText reads what the hot fields do not hold (process names, addresses,
// host names, geo) for a pass over many rows: each pooled Process and Geo is
// parsed once per pass, not once per row.
#ifndef FLOWTOP_TUI_ROW_STORE_H_
#define FLOWTOP_TUI_ROW_STORE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/flow_record.h"
#include "core/string_pool.h"
#include "flowtop/v1/flowtop.pb.h"
#include "tui/flow_hot.h"
#include "tui/row_chunks.h"

namespace flowtop::tui {

struct StoredRow {
  enum : uint8_t { kHasProcess = 1, kOutbound = 2 };

  core::FlowRecord record;
  int64_t counters_time_nanos = 0;  // when the counters were last set
  uint32_t pid = 0;                 // FlowHot::pid
  uint32_t other_pid = 0;           // FlowHot::other_pid
  char src_country[2] = {0, 0};
  char dst_country[2] = {0, 0};
  uint16_t source = 0;     // index of the source it came from
  uint8_t generation = 0;  // the source's reconnect generation (mod 256)
  uint8_t owner = 0;       // kHasProcess, kOutbound
};

// The flow's FlowKey (core/flow_key.h) from its record.
inline uint64_t RecordKey(const core::FlowRecord& r) {
  return r.key != 0 ? r.key : r.conntrack_id;
}

// A chunk of rows that owns its records' pool references (see the file
// comment). Rows beyond the owner's size are default (hold none).
class RecordChunk {
 public:
  explicit RecordChunk(std::shared_ptr<core::StringPool> pool) : pool_(std::move(pool)) {}
  RecordChunk(const RecordChunk& other);
  RecordChunk& operator=(const RecordChunk&) = delete;
  ~RecordChunk();

  std::array<StoredRow, kRowChunk> items{};

 private:
  std::vector<core::StringPool::Id> Ids() const;
  std::shared_ptr<core::StringPool> pool_;
};

using StoredRows = FrozenRows<StoredRow, RecordChunk>;

// Sets the row's owner facts (pid, other_pid, countries, kHasProcess,
// kOutbound) from its record's enrichment, as ComputeHot reads a v1::Flow.
void UpdateOwner(const core::StringPool& pool, StoredRow& row);

// The hot fields of a row (what ComputeHot gives for the same flow).
FlowHot HotOf(const StoredRow& row);

// The flow of a row without its counters and rates, and those apart.
void KernelFlowOf(const StoredRow& row, const core::StringPool& pool, v1::Flow& out);
Traffic TrafficOfRecord(const core::FlowRecord& r);

// Text of rows for one pass over them (not thread-safe; the pool must keep
// the rows' ids alive meanwhile, as a snapshot's chunks do).
class RowText {
 public:
  // `labels`: the node label of each source (for rows without a node).
  RowText(const core::StringPool& pool, absl::Span<const std::string> labels)
      : pool_(pool), labels_(labels) {}
  ~RowText() { Detach(); }
  RowText(const RowText&) = delete;
  RowText& operator=(const RowText&) = delete;

  // The row's local process (FlowProcess: the source end's, else the
  // destination's), or nullptr.
  const v1::Process* Process(const StoredRow& row);
  // The destination's Geo (a default Geo when none).
  const v1::Geo& DstGeo(const StoredRow& row);
  // The original direction's destination address bytes (valid until the
  // next call).
  absl::string_view DstIp(const StoredRow& row);
  // The node column's text: the flow's node, else its source's label.
  absl::string_view Node(const StoredRow& row) const;
  // A flow with what the filters read beyond the hot fields (node, the
  // original tuple's addresses, both ends' host names and processes);
  // valid until the next call.
  const v1::Flow& FilterFlow(const StoredRow& row);

 private:
  // FilterFlow lends the parsed processes to its scratch flow instead of
  // copying them; Detach takes them back before the scratch is reused.
  void Detach();

  template <typename Message>
  const Message& Parsed(core::StringPool::Id id,
                        absl::flat_hash_map<core::StringPool::Id,
                                            std::unique_ptr<Message>>& cache);

  const core::StringPool& pool_;
  absl::Span<const std::string> labels_;
  absl::flat_hash_map<core::StringPool::Id, std::unique_ptr<v1::Process>> processes_;
  // Non-const only to be lent (never changed) by FilterFlow.
  v1::Process* Lend(core::StringPool::Id id);
  absl::flat_hash_map<core::StringPool::Id, std::unique_ptr<v1::Geo>> geos_;
  // What the scratch's node and ends were last built from, so that rows
  // naming the same strings (most do) rewrite nothing but their addresses.
  struct EndBuilt {
    bool present = false;
    core::StringPool::Id hostname = 0;
    bool lent = false;
    core::StringPool::Id process = 0;
  };
  void BuildEnd(const core::CompactEndpoint& end, bool present, bool has_process,
                EndBuilt& built, v1::Endpoint& out);
  char ip_[4] = {0, 0, 0, 0};
  v1::Flow scratch_;
  core::StringPool::Id built_node_ = 0;
  EndBuilt built_src_, built_dst_;
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_ROW_STORE_H_
