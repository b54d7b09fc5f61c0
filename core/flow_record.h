// FlowRecord: one flow in about 200 bytes, and the one rule that merges
// events into it.
//
// A v1::Flow object graph costs ~500 bytes (a heap block per sub-message and
// string) and its wire form must be parsed for every event. A FlowRecord
// keeps what events change as fixed fields (tuples, ids, status and state,
// counters, rates, times) and every string or sub-message many flows share
// (node, secctx, hostnames, the service name, each end's Geo and Process
// whole, IPv6 addresses) as an id into a StringPool (core/string_pool.h).
// Fields it does not model (labels, an id other than FlowIdFor's, a tuple or
// status that does not fit, fields added to the API later) are kept as a
// small wire-format tail: a v1::Flow holding only them. ToFlow rebuilds the
// exact v1::Flow. Unknown fields inside Enrichment, Endpoint, Counters and
// Rate are not kept (the round-trip test, core/flow_record_test.cc,
// fails when the API grows a field there that the record does not model).
//
// ApplyFlowEvent is THE merge rule of flowtop (FlowTable and the TUI's model
// both apply events through it):
//   NEW, SNAPSHOT, UPDATE: the event's flow replaces the kernel's view;
//     kept from before: enrichment (merged with the event's, later values
//     win), first-seen time (else the flow's, else the event's time), and
//     counters, rates and start time where the event carries none.
//   ENRICH: merges the event's enrichment like v1::Enrichment::MergeFrom
//     (nested Geo and Process field by field); ignored when stale
//     (IsStaleEnrichFor: made for an earlier flow with the same key).
//   COUNTERS: replaces the counters and rates the event carries.
//   Others (DESTROY, LOST, ...): no change; removing a flow is the owner's.
// An enrichment is present when it holds anything (an empty one is absent).
//
// A record holds pool references: Release it before dropping it. Copies
// (a table's copy-on-write) share references and are not released again.
#ifndef FLOWTOP_CORE_FLOW_RECORD_H_
#define FLOWTOP_CORE_FLOW_RECORD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/string_pool.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

// One direction's tuple. Addresses are inline IPv4 or pool ids (see
// FlowRecord::addr_kinds); ports and ICMP fields are as narrow as the
// kernel's. A tuple that does not fit stays in the tail.
struct CompactTuple {
  uint32_t src = 0;
  uint32_t dst = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t icmp_id = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
};

// Enrichment of one end: pool ids of the hostname and of the serialized
// Geo and Process (whole messages: many flows share them).
struct CompactEndpoint {
  StringPool::Id hostname = 0;
  StringPool::Id geo = 0;
  StringPool::Id process = 0;
};

// The serialized v1::Flow of what the record does not model; usually none.
class WireTail {
 public:
  WireTail() = default;
  WireTail(const WireTail& other) { *this = other; }
  WireTail& operator=(const WireTail& other) {
    if (this != &other) bytes_ = other.bytes_ ? std::make_unique<std::string>(*other.bytes_) : nullptr;
    return *this;
  }
  WireTail(WireTail&&) = default;
  WireTail& operator=(WireTail&&) = default;

  bool empty() const { return bytes_ == nullptr; }
  const std::string& bytes() const { return *bytes_; }
  void Set(std::string bytes);
  void Clear() { bytes_.reset(); }
  size_t HeapBytes() const { return bytes_ ? sizeof(std::string) + bytes_->capacity() : 0; }

 private:
  std::unique_ptr<std::string> bytes_;
};

struct FlowRecord {
  // Presence bits (`flags`).
  enum : uint32_t {
    kHasOriginal = 1u << 0,
    kHasReply = 1u << 1,
    kHasStatus = 1u << 2,
    kHasOriginalCounters = 1u << 3,
    kHasReplyCounters = 1u << 4,
    kHasOriginalRate = 1u << 5,
    kHasReplyRate = 1u << 6,
    kHasStart = 1u << 7,
    kHasStop = 1u << 8,
    kHasSrc = 1u << 9,
    kHasDst = 1u << 10,
    kSrcGeo = 1u << 11,
    kSrcProcess = 1u << 12,
    kDstGeo = 1u << 13,
    kDstProcess = 1u << 14,
    kOwnTraffic = 1u << 15,
    kIdDerived = 1u << 16,  // id == FlowIdFor(node, flow)
  };
  // state_case values.
  enum : uint8_t { kNoState = 0, kTcp = 1, kSctp = 2, kDccp = 3 };
  // Address kinds, two bits per address in addr_kinds (original src, dst,
  // reply src, dst from bit 0 up).
  enum : uint8_t { kAddrEmpty = 0, kAddrV4 = 1, kAddrPooled = 2 };
  // The address slots, for AddressOf.
  enum AddressSlot : int {
    kOriginalSrcAddr = 0,
    kOriginalDstAddr = 1,
    kReplySrcAddr = 2,
    kReplyDstAddr = 3,
  };

  uint64_t key = 0;  // v1::Flow::key
  uint32_t conntrack_id = 0;
  StringPool::Id node = 0;
  uint32_t protocol_number = 0;
  uint32_t mark = 0;
  uint32_t zone = 0;
  uint32_t timeout_seconds = 0;
  StringPool::Id secctx = 0;
  uint32_t status_raw = 0;
  uint32_t flags = 0;
  uint16_t status_bits = 0;  // FlowStatus's named bools, field order
  uint8_t family = 0;
  uint8_t protocol = 0;
  uint8_t state_case = kNoState;
  uint8_t state = 0;
  uint8_t addr_kinds = 0;
  CompactTuple original;
  CompactTuple reply;
  StringPool::Id service = 0;
  // original packets, original bytes, reply packets, reply bytes.
  uint64_t counters[4] = {0, 0, 0, 0};
  // original packets/s, original bytes/s, reply packets/s, reply bytes/s.
  double rates[4] = {0, 0, 0, 0};
  int64_t start_unix_nanos = 0;
  int64_t stop_unix_nanos = 0;
  int64_t first_seen_unix_nanos = 0;
  CompactEndpoint src;
  CompactEndpoint dst;
  WireTail tail;

  bool has(uint32_t bit) const { return (flags & bit) != 0; }
  uint64_t total_bytes() const { return counters[1] + counters[3]; }
  uint64_t total_packets() const { return counters[0] + counters[2]; }
  double total_bytes_per_second() const { return rates[1] + rates[3]; }
};

// Applies one event to `record` (a default record for a flow not seen
// before) by the rule in the file comment.
void ApplyFlowEvent(const v1::FlowEvent& event, StringPool& pool,
                    FlowRecord& record);

// Whether `event` (an ENRICH) was made for an earlier flow than `record`'s:
// it names a first-seen time, and another one.
bool IsStaleEnrichFor(const v1::FlowEvent& event, const FlowRecord& record);

// Builds the flow the record holds into `out` (cleared first).
void ToFlow(const FlowRecord& record, const StringPool& pool, v1::Flow& out);

// The bytes of one address of the record's tuples, as ToFlow sets them
// ("" when absent); an inline IPv4 address is copied into `v4`, so the view
// lives as long as `v4` and the pool entry.
absl::string_view AddressOf(const FlowRecord& record,
                            FlowRecord::AddressSlot slot,
                            const StringPool& pool, char (&v4)[4]);

// Drops the record's pool references and resets it.
void ReleaseRecord(StringPool& pool, FlowRecord& record);

// Appends the pool ids the record holds a reference to (those
// ReleaseRecord drops; zeros may be among them): a holder that copies
// records in blocks takes and drops their references at once
// (StringPool::RefAll / ReleaseAll).
void AppendPoolIds(const FlowRecord& record, std::vector<StringPool::Id>& out);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FLOW_RECORD_H_
