#include "core/flow_sort.h"

#include <algorithm>
#include <string>
#include <tuple>

#include "core/flow_filter.h"

namespace flowtop::core {
namespace {

template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

uint64_t Bytes(const v1::Flow& f) {
  return f.original_counters().bytes() + f.reply_counters().bytes();
}
uint64_t Packets(const v1::Flow& f) {
  return f.original_counters().packets() + f.reply_counters().packets();
}
double Rate(const v1::Flow& f) {
  return f.original_rate().bytes_per_second() +
         f.reply_rate().bytes_per_second();
}
const std::string& ProcessName(const v1::Flow& f) {
  const v1::Enrichment& e = f.enrichment();
  return e.src().has_process() ? e.src().process().name()
                               : e.dst().process().name();
}
std::string Country(const v1::Flow& f) {
  return f.enrichment().dst().geo().country_code() + "/" +
         f.enrichment().src().geo().country_code();
}

}  // namespace

int FlowOrder::CompareKey(const v1::Flow& a, const v1::Flow& b) const {
  const v1::Tuple& ta = a.original();
  const v1::Tuple& tb = b.original();
  switch (key_) {
    case v1::SORT_BYTES:
      return Cmp(Bytes(a), Bytes(b));
    case v1::SORT_RATE:
      return Cmp(Rate(a), Rate(b));
    case v1::SORT_PACKETS:
      return Cmp(Packets(a), Packets(b));
    case v1::SORT_AGE:
      // Younger = seen later = smaller age.
      return Cmp(b.first_seen_unix_nanos(), a.first_seen_unix_nanos());
    case v1::SORT_PROTOCOL:
      return Cmp(static_cast<int>(a.protocol()), static_cast<int>(b.protocol()));
    case v1::SORT_STATE:
      return Cmp(FlowStateName(a), FlowStateName(b));
    case v1::SORT_PROCESS:
      return Cmp(ProcessName(a), ProcessName(b));
    case v1::SORT_SRC:
      return Cmp(std::make_tuple(ta.src_ip(), ta.src_port()),
                 std::make_tuple(tb.src_ip(), tb.src_port()));
    case v1::SORT_DST:
      return Cmp(std::make_tuple(ta.dst_ip(), ta.dst_port()),
                 std::make_tuple(tb.dst_ip(), tb.dst_port()));
    case v1::SORT_DST_PORT:
      return Cmp(ta.dst_port(), tb.dst_port());
    case v1::SORT_COUNTRY:
      return Cmp(Country(a), Country(b));
    default:  // SORT_KEY_UNSPECIFIED: by id
      return Cmp(a.id(), b.id());
  }
}

bool FlowOrder::operator()(const v1::Flow& a, const v1::Flow& b) const {
  const int c = CompareKey(a, b);
  if (c != 0) return descending_ ? c > 0 : c < 0;
  if (a.id() != b.id()) return a.id() < b.id();
  return a.conntrack_id() < b.conntrack_id();
}

void SortFlows(v1::SortKey key, bool descending, std::vector<v1::Flow>* flows) {
  std::sort(flows->begin(), flows->end(), FlowOrder(key, descending));
}

}  // namespace flowtop::core
