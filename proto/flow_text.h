// Addresses as text and JSON people can read.
//
// The API carries addresses as bytes (4 or 16, network order): cheap to
// make, compare and store. protobuf's JSON renders bytes as base64, which
// nobody can read or jq, so every JSON a person or script sees carries the
// text form too (Tuple.src_addr/dst_addr). These helpers fill it.
#ifndef FLOWTOP_PROTO_FLOW_TEXT_H_
#define FLOWTOP_PROTO_FLOW_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop {

// "192.0.2.1", "2001:db8::1" for 4 or 16 bytes; "" for anything else
// (an empty field stays empty; a malformed one is not guessed at).
std::string AddressText(absl::string_view bytes);
// The same text written at `out` (room for INET6_ADDRSTRLEN, 46 bytes);
// returns its length (0: not 4 or 16 bytes). No allocation: for writers
// that format an address per flow (core/flow_json.h).
size_t FormatAddressText(absl::string_view bytes, char* out);

// Sets src_addr/dst_addr of both tuples from their bytes.
void FillAddressText(v1::Flow* flow);

// The serialized FlowEvent that, appended to `event`'s own serialization,
// adds the text addresses of its flow (protobuf merges repeated
// occurrences of a message field). Empty when there is nothing to add (no
// flow, or no addresses: ENRICH and COUNTERS carry none). Lets a server add
// the text to events it already serialized once for every client.
std::string AddressTextSuffix(const v1::FlowEvent& event);
// The same, appended to `out`; returns the number of bytes appended.
size_t AppendAddressTextSuffix(const v1::FlowEvent& event, std::string* out);

// Makes a flow ready for JSON output: addresses as text only (the bytes
// are cleared), and no empty sub-objects in the enrichment (no
// "process":{} for an end without a process). Counters stay: zero counters
// and absent counters mean different things.
void MakeReadable(v1::Flow* flow);
void MakeReadable(v1::FlowEvent* event);

}  // namespace flowtop

#endif  // FLOWTOP_PROTO_FLOW_TEXT_H_
