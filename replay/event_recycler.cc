#include "replay/event_recycler.h"

#include <cstdint>

#include "google/protobuf/message_lite.h"

namespace flowtop::replay {
namespace {

constexpr int kMaxField = 32;  // Flow's largest message field is 25

// The length-delimited fields numbered below kMaxField of one message level:
// which occur once (`once`), and where. Only `once` is initialised: the
// scan runs for every record, so it stays cheap.
struct Fields {
  uint32_t once = 0;
  uint32_t more = 0;  // occurring again: protobuf merges them, not reused
  const char* data[kMaxField];
  uint32_t size[kMaxField];

  bool Once(int field) const { return (once >> field) & 1; }
  absl::string_view Bytes(int field) const {
    return absl::string_view(data[field], size[field]);
  }
};

// Reads a varint of at most 10 bytes; returns false past `end`.
inline bool ReadVarint(const uint8_t*& p, const uint8_t* end, uint64_t* value) {
  if (p != end && *p < 0x80) {
    *value = *p++;
    return true;
  }
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p == end) return false;
    const uint8_t byte = *p++;
    v |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *value = v;
      return true;
    }
  }
  return false;
}

// Walks one message level. Returns false for malformed bytes (the caller
// then leaves it to the parser to find and report the problem).
bool ScanFields(absl::string_view wire, Fields* fields) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(wire.data());
  const uint8_t* const end = p + wire.size();
  while (p != end) {
    uint64_t tag;
    if (!ReadVarint(p, end, &tag)) return false;
    const uint64_t field = tag >> 3;
    switch (tag & 7) {
      case 0: {
        int n = 0;
        do {
          if (p == end || ++n > 10) return false;
        } while (*p++ & 0x80);
        break;
      }
      case 1:
        if (end - p < 8) return false;
        p += 8;
        break;
      case 5:
        if (end - p < 4) return false;
        p += 4;
        break;
      case 2: {
        uint64_t length;
        if (!ReadVarint(p, end, &length) ||
            length > static_cast<uint64_t>(end - p)) {
          return false;
        }
        if (field < kMaxField) {
          const uint32_t bit = uint32_t{1} << field;
          if ((fields->once & bit) != 0) fields->more |= bit;
          fields->once |= bit;
          fields->data[field] = reinterpret_cast<const char*>(p);
          fields->size[field] = static_cast<uint32_t>(length);
        }
        p += length;
        break;
      }
      default:
        return false;  // groups are not used by flowtop.proto
    }
  }
  fields->once &= ~fields->more;
  return true;
}

// Returns the sub-message for a field: `old` (detached from the parent) or
// one from the pool, reset by `reset`, when the record holds the field
// exactly once; otherwise gives `old` back to the pool and returns nullptr
// (the parser creates the field if the record holds it).
template <typename T, typename Reset>
T* Prepare(T* old, const Fields& fields, int field,
           EventRecycler::Pool<T>& pool, Reset reset) {
  if (!fields.Once(field)) {
    if (old != nullptr) pool.Give(old);
    return nullptr;
  }
  T* m = old != nullptr ? old : pool.Take();
  reset(*m, fields.Bytes(field));
  return m;
}

// Leaf messages: Clear() keeps their strings' capacity.
template <typename T>
void ResetLeaf(T& m, absl::string_view) {
  m.Clear();
}

}  // namespace

void EventRecycler::ResetEndpoint(v1::Endpoint& endpoint,
                                  absl::string_view wire) {
  Fields fields;
  if (!ScanFields(wire, &fields)) {
    endpoint.Clear();
    return;
  }
  v1::Geo* geo = endpoint.has_geo() ? endpoint.release_geo() : nullptr;
  v1::Process* process =
      endpoint.has_process() ? endpoint.release_process() : nullptr;
  endpoint.Clear();
  if (v1::Geo* m = Prepare(geo, fields, 2, geos_, ResetLeaf<v1::Geo>)) {
    endpoint.set_allocated_geo(m);
  }
  if (v1::Process* m =
          Prepare(process, fields, 3, processes_, ResetLeaf<v1::Process>)) {
    endpoint.set_allocated_process(m);
  }
}

void EventRecycler::ResetEnrichment(v1::Enrichment& enrichment,
                                    absl::string_view wire) {
  Fields fields;
  if (!ScanFields(wire, &fields)) {
    enrichment.Clear();
    return;
  }
  v1::Endpoint* src = enrichment.has_src() ? enrichment.release_src() : nullptr;
  v1::Endpoint* dst = enrichment.has_dst() ? enrichment.release_dst() : nullptr;
  enrichment.Clear();
  auto reset = [this](v1::Endpoint& e, absl::string_view w) {
    ResetEndpoint(e, w);
  };
  if (v1::Endpoint* m = Prepare(src, fields, 1, endpoints_, reset)) {
    enrichment.set_allocated_src(m);
  }
  if (v1::Endpoint* m = Prepare(dst, fields, 2, endpoints_, reset)) {
    enrichment.set_allocated_dst(m);
  }
}

void EventRecycler::ResetFlow(v1::Flow& flow, absl::string_view wire) {
  Fields fields;
  if (!ScanFields(wire, &fields)) {
    flow.Clear();
    return;
  }
  v1::Tuple* original = flow.has_original() ? flow.release_original() : nullptr;
  v1::Tuple* reply = flow.has_reply() ? flow.release_reply() : nullptr;
  v1::FlowStatus* status = flow.has_status() ? flow.release_status() : nullptr;
  v1::Counters* original_counters =
      flow.has_original_counters() ? flow.release_original_counters() : nullptr;
  v1::Counters* reply_counters =
      flow.has_reply_counters() ? flow.release_reply_counters() : nullptr;
  v1::Rate* original_rate =
      flow.has_original_rate() ? flow.release_original_rate() : nullptr;
  v1::Rate* reply_rate = flow.has_reply_rate() ? flow.release_reply_rate() : nullptr;
  v1::Enrichment* enrichment =
      flow.has_enrichment() ? flow.release_enrichment() : nullptr;
  flow.Clear();
  if (auto* m = Prepare(original, fields, 7, tuples_, ResetLeaf<v1::Tuple>)) {
    flow.set_allocated_original(m);
  }
  if (auto* m = Prepare(reply, fields, 8, tuples_, ResetLeaf<v1::Tuple>)) {
    flow.set_allocated_reply(m);
  }
  if (auto* m = Prepare(status, fields, 12, statuses_, ResetLeaf<v1::FlowStatus>)) {
    flow.set_allocated_status(m);
  }
  if (auto* m = Prepare(original_counters, fields, 18, counters_,
                        ResetLeaf<v1::Counters>)) {
    flow.set_allocated_original_counters(m);
  }
  if (auto* m = Prepare(reply_counters, fields, 19, counters_,
                        ResetLeaf<v1::Counters>)) {
    flow.set_allocated_reply_counters(m);
  }
  if (auto* m = Prepare(original_rate, fields, 20, rates_, ResetLeaf<v1::Rate>)) {
    flow.set_allocated_original_rate(m);
  }
  if (auto* m = Prepare(reply_rate, fields, 21, rates_, ResetLeaf<v1::Rate>)) {
    flow.set_allocated_reply_rate(m);
  }
  auto reset = [this](v1::Enrichment& e, absl::string_view w) {
    ResetEnrichment(e, w);
  };
  if (auto* m = Prepare(enrichment, fields, 25, enrichments_, reset)) {
    flow.set_allocated_enrichment(m);
  }
}

bool EventRecycler::Parse(absl::string_view bytes, v1::FlowEvent* event) {
  Fields fields;
  if (ScanFields(bytes, &fields)) {
    v1::Flow* flow = event->has_flow() ? event->release_flow() : nullptr;
    event->Clear();
    auto reset = [this](v1::Flow& f, absl::string_view w) { ResetFlow(f, w); };
    if (v1::Flow* m = Prepare(flow, fields, 5, flows_, reset)) {
      event->set_allocated_flow(m);
    }
    // Merging into the prepared, empty tree: what ParseFromArray does after
    // its Clear() (protobuf 3.21 declares MergeFromImpl in message_lite.h).
    return google::protobuf::internal::MergeFromImpl<false>(
        google::protobuf::StringPiece(bytes.data(), bytes.size()), event,
        google::protobuf::MessageLite::kParse);
  }
  return event->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace flowtop::replay
