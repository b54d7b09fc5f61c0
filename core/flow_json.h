// FlowJsonWriter: a flow's JSON line straight from its FlowRecord.
//
// flowtop --json prints every flow of the table as one JSON object per
// line: the v1::Flow in protobuf's JSON mapping (lowerCamelCase names,
// enums as names, 64-bit integers as strings, fields at their default
// left out) after MakeReadable (proto/flow_text.h: addresses as text
// instead of base64 bytes, no empty sub-objects in the enrichment).
// Building a v1::Flow per row and printing it through protobuf's JSON
// printer (which serialises the message and reads it back through its type
// resolver) cost ~40 us a flow: 40 s at a million flows. This writer reads
// the record's fields and appends the same text: no message, no printer,
// no allocation per flow once its buffers have grown.
//
// The text is protobuf's, byte for byte (core/flow_json_test.cc compares
// both over every field and over random records), with one exception:
// strings that are not valid UTF-8 get U+FFFD for each bad byte
// (core/json_text.h), where the printer would drop bytes. A record with a
// wire tail (fields the record does not model: conntrack labels, an id not
// derived from node and key, values too wide for its fields; see
// core/flow_record.h) is rare, and is written the long way (ToFlow, then
// protobuf's printer) so that every field of the tail is printed as the
// printer prints it.
#ifndef FLOWTOP_CORE_FLOW_JSON_H_
#define FLOWTOP_CORE_FLOW_JSON_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/flow_record.h"
#include "core/string_pool.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::core {

class FlowJsonWriter {
 public:
  // The pool must keep the ids of the records written alive while the
  // writer lives (a snapshot's records do): the writer keeps the text of
  // each pooled Geo and Process it has written, by id.
  explicit FlowJsonWriter(const StringPool& pool) : pool_(pool) {}
  FlowJsonWriter(const FlowJsonWriter&) = delete;
  FlowJsonWriter& operator=(const FlowJsonWriter&) = delete;

  // Appends the JSON object of `record` (without a newline) to `out`.
  // `node` is written as the flow's node when the record names none (the
  // label of the source it came from). Fails only for a record with a tail
  // that protobuf's printer refuses.
  absl::Status Append(const FlowRecord& record, absl::string_view node, std::string& out);

 private:
  void AppendFields(const FlowRecord& r, absl::string_view node, std::string& out);
  void AppendTuple(const FlowRecord& r, const CompactTuple& t, int first_slot,
                   std::string& out);
  // Appends the enrichment's object; appends nothing when MakeReadable
  // would drop it (nothing in it to print).
  void AppendEnrichment(const FlowRecord& r, std::string& out);
  // Appends an endpoint's object; returns false (and appends nothing) when
  // it holds nothing to print.
  bool AppendEndpoint(const FlowRecord& r, const CompactEndpoint& end, uint32_t geo_bit,
                      uint32_t process_bit, std::string& out);
  // The JSON object of a pooled Geo / Process ("" when it holds nothing).
  const std::string& GeoJson(StringPool::Id id);
  const std::string& ProcessJson(StringPool::Id id);

  const StringPool& pool_;
  absl::flat_hash_map<StringPool::Id, std::string> geos_;
  absl::flat_hash_map<StringPool::Id, std::string> processes_;
  // Scratch, reused from flow to flow.
  std::string id_;
  std::string enrichment_;
  std::string endpoint_;
};

// The same object the long way, as flowtop printed it before the writer:
// ToFlow, `node` when the record has none, invalid UTF-8 repaired as the
// writer does, MakeReadable, protobuf's MessageToJsonString. The writer's
// path for records with a tail, and its reference in tests and benchmarks.
absl::Status AppendFlowJsonByPrinter(const FlowRecord& record, const StringPool& pool,
                                     absl::string_view node, std::string& out);

// A FlowEvent's JSON line (flowtop replay --json), written straight from
// the message: the event in protobuf's JSON mapping after MakeReadable,
// byte for byte as the printer writes it (strings that are not UTF-8 as
// above). LOST and STATUS events (a few per recording; NodeStatus has some
// thirty fields) go through protobuf's printer.
absl::Status AppendFlowEventJson(const v1::FlowEvent& event, std::string& out);

// The same through protobuf's printer: MakeReadable (after repairing
// invalid UTF-8), MessageToJsonString.
absl::Status AppendFlowEventJsonByPrinter(const v1::FlowEvent& event, std::string& out);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_FLOW_JSON_H_
