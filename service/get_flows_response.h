// GetFlowsResponseWriter: builds one GetFlowsResponse's bytes event by event,
// without building the message.
//
// GetFlows sends the ring's shared events: each stream frames them into its
// response (field 1, `events`) straight from their bytes, serialised once per
// ring batch for every stream (RingView::ForEachWire), and appends the text
// addresses a client asked for (proto/flow_text.h AppendAddressTextSuffix:
// protobuf merges them into the event when the client parses it). The ring
// knows only events; the response's framing lives here.
#ifndef FLOWTOP_SERVICE_GET_FLOWS_RESPONSE_H_
#define FLOWTOP_SERVICE_GET_FLOWS_RESPONSE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "flowtop/v1/flowtop.pb.h"

namespace flowtop::service {

class GetFlowsResponseWriter {
 public:
  // With `text_addresses`, every event gets Tuple.src_addr/dst_addr as text
  // (GetFlowsRequest.binary_addresses_only unset).
  explicit GetFlowsResponseWriter(bool text_addresses)
      : text_addresses_(text_addresses) {}

  // Adds `event`, serialising it.
  void Add(const v1::FlowEvent& event);
  // Adds `event` from `bytes`, its serialisation (as the ring keeps it).
  void AddSerialized(const v1::FlowEvent& event, absl::string_view bytes);

  // Returns how many events the response holds.
  uint32_t events() const { return events_; }

  // Appends the node (field 2) and returns the response's bytes; valid until
  // Clear().
  const std::string& Finish(absl::string_view node);
  // Starts the next response.
  void Clear();

 private:
  // Appends `tag` and the varint `size` (a length-delimited field's head).
  void AppendHead(uint8_t tag, size_t size);
  // Fills text_ with the text addresses for `event` (nothing without
  // text_addresses_).
  void MakeTextSuffix(const v1::FlowEvent& event);

  const bool text_addresses_;
  std::string bytes_;
  std::string text_;  // one reused buffer: no allocation per event
  uint32_t events_ = 0;
};

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_GET_FLOWS_RESPONSE_H_
