#include "proto/flow_text.h"

#include <arpa/inet.h>

namespace flowtop {
namespace {

void FillTuple(v1::Tuple* t) {
  if (!t->src_ip().empty()) t->set_src_addr(AddressText(t->src_ip()));
  if (!t->dst_ip().empty()) t->set_dst_addr(AddressText(t->dst_ip()));
}

void ReadableTuple(v1::Tuple* t) {
  FillTuple(t);
  t->clear_src_ip();
  t->clear_dst_ip();
}

// Clears `end`'s sub-objects that hold nothing; returns whether `end` is
// empty afterwards.
bool PruneEndpoint(v1::Endpoint* end) {
  if (end->has_process() && end->process().ByteSizeLong() == 0) end->clear_process();
  if (end->has_geo() && end->geo().ByteSizeLong() == 0) end->clear_geo();
  return end->ByteSizeLong() == 0;
}

}  // namespace

std::string AddressText(absl::string_view bytes) {
  char buf[INET6_ADDRSTRLEN];
  const int family = bytes.size() == 4 ? AF_INET : bytes.size() == 16 ? AF_INET6 : 0;
  if (family == 0 || inet_ntop(family, bytes.data(), buf, sizeof(buf)) == nullptr) {
    return "";
  }
  return buf;
}

void FillAddressText(v1::Flow* flow) {
  if (flow->has_original()) FillTuple(flow->mutable_original());
  if (flow->has_reply()) FillTuple(flow->mutable_reply());
}

std::string AddressTextSuffix(const v1::FlowEvent& event) {
  if (!event.has_flow()) return "";
  const v1::Flow& f = event.flow();
  if (!f.has_original() && !f.has_reply()) return "";
  v1::FlowEvent text;
  auto add = [](const v1::Tuple& from, v1::Tuple* to) {
    if (!from.src_ip().empty()) to->set_src_addr(AddressText(from.src_ip()));
    if (!from.dst_ip().empty()) to->set_dst_addr(AddressText(from.dst_ip()));
  };
  if (f.has_original()) add(f.original(), text.mutable_flow()->mutable_original());
  if (f.has_reply()) add(f.reply(), text.mutable_flow()->mutable_reply());
  return text.SerializeAsString();
}

void MakeReadable(v1::Flow* flow) {
  if (flow->has_original()) ReadableTuple(flow->mutable_original());
  if (flow->has_reply()) ReadableTuple(flow->mutable_reply());
  if (!flow->has_enrichment()) return;
  v1::Enrichment* e = flow->mutable_enrichment();
  if (e->has_src() && PruneEndpoint(e->mutable_src())) e->clear_src();
  if (e->has_dst() && PruneEndpoint(e->mutable_dst())) e->clear_dst();
  if (e->ByteSizeLong() == 0) flow->clear_enrichment();
}

void MakeReadable(v1::FlowEvent* event) {
  if (event->has_flow()) MakeReadable(event->mutable_flow());
}

}  // namespace flowtop
