#include "service/get_flows_response.h"

#include "google/protobuf/io/coded_stream.h"
#include "proto/flow_text.h"

namespace flowtop::service {
namespace {

constexpr uint8_t kEventsTag = 0x0A;  // field 1, length-delimited
constexpr uint8_t kNodeTag = 0x12;    // field 2, length-delimited

}  // namespace

void GetFlowsResponseWriter::Add(const v1::FlowEvent& event) {
  MakeTextSuffix(event);
  const size_t size = event.ByteSizeLong();
  AppendHead(kEventsTag, size + text_.size());
  const size_t at = bytes_.size();
  bytes_.resize(at + size);
  event.SerializeWithCachedSizesToArray(
      reinterpret_cast<uint8_t*>(&bytes_[at]));
  bytes_.append(text_);
  ++events_;
}

void GetFlowsResponseWriter::AddSerialized(const v1::FlowEvent& event,
                                           absl::string_view bytes) {
  MakeTextSuffix(event);
  AppendHead(kEventsTag, bytes.size() + text_.size());
  bytes_.append(bytes.data(), bytes.size());
  bytes_.append(text_);
  ++events_;
}

const std::string& GetFlowsResponseWriter::Finish(absl::string_view node) {
  AppendHead(kNodeTag, node.size());
  bytes_.append(node.data(), node.size());
  return bytes_;
}

void GetFlowsResponseWriter::Clear() {
  bytes_.clear();
  events_ = 0;
}

void GetFlowsResponseWriter::AppendHead(uint8_t tag, size_t size) {
  uint8_t head[1 + 10];
  head[0] = tag;
  uint8_t* end =
      google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(size,
                                                                    head + 1);
  bytes_.append(reinterpret_cast<const char*>(head), end - head);
}

void GetFlowsResponseWriter::MakeTextSuffix(const v1::FlowEvent& event) {
  text_.clear();
  if (text_addresses_) AppendAddressTextSuffix(event, &text_);
}

}  // namespace flowtop::service
