#include "core/flow_key.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace flowtop::core {
namespace {

// FNV-1a, 64 bits: simple and stable across processes (absl::Hash is seeded
// per process, and keys travel in recordings and over gRPC).
class Fnv {
 public:
  void Add(absl::string_view bytes) {
    for (unsigned char c : bytes) {
      h_ ^= c;
      h_ *= 0x100000001b3ull;
    }
  }
  void Add(uint32_t v) {
    char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8),
                 static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
    Add(absl::string_view(b, 4));
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
};

}  // namespace

uint64_t ComputeFlowKey(const v1::Flow& flow) {
  Fnv h;
  h.Add(flow.zone());
  h.Add(static_cast<uint32_t>(flow.family()));
  h.Add(flow.protocol_number());
  const v1::Tuple& t = flow.original();
  h.Add(static_cast<uint32_t>(t.src_ip().size()));
  h.Add(t.src_ip());
  h.Add(static_cast<uint32_t>(t.dst_ip().size()));
  h.Add(t.dst_ip());
  h.Add(t.src_port());
  h.Add(t.dst_port());
  h.Add(t.icmp_type());
  h.Add(t.icmp_code());
  h.Add(t.icmp_id());
  uint32_t high = static_cast<uint32_t>(h.value() ^ (h.value() >> 32));
  if (high == 0) high = 1;  // 0 means "no key"
  return (uint64_t{high} << 32) | flow.conntrack_id();
}

std::string FlowIdFor(absl::string_view node, const v1::Flow& flow) {
  if (flow.key() == 0) return absl::StrCat(node, "/", flow.conntrack_id());
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x",
                static_cast<unsigned>(flow.key() >> 32));
  return absl::StrCat(node, "/", flow.conntrack_id(), ".", hex);
}

}  // namespace flowtop::core
