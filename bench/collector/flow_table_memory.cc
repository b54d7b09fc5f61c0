// Memory per flow in the FlowTable at 100,000 and 1,000,000 flows with a
// router's enrichment (bench/collector/realistic_flows.h: a NEW, then
// process + geo + service, then the hostname), side by side with the layout
// the table had before FlowRecord (a serialized v1::Flow per flow in a
// flat_hash_map, enrichment appended in wire format). Prints the heap
// growth per flow (glibc mallinfo2: small blocks plus mmapped ones), the
// index and the shared strings included. Target: at most 256 bytes a flow
// (the kernel's own nf_conntrack entry), issue 12.
//   bazel run -c opt //bench/collector:flow_table_memory -- 100000 1000000
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "bench/collector/realistic_flows.h"
#include "core/flow_key.h"
#include "core/flow_table.h"

namespace flowtop::bench {
namespace {

size_t Heap() {
  const auto m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// The table's layout before FlowRecord, reduced to its memory: a
// serialized v1::Flow per FlowKey, ENRICH appended as field 25.
class SerializedTable {
 public:
  void Apply(const v1::FlowEvent& e) {
    const uint64_t key = core::FlowKey(e.flow());
    if (e.type() == v1::NEW) {
      e.flow().SerializeToString(&flows_[key]);
    } else if (e.type() == v1::ENRICH) {
      auto it = flows_.find(key);
      if (it == flows_.end()) return;
      const std::string enrichment = e.flow().enrichment().SerializeAsString();
      it->second.push_back(static_cast<char>((25 << 3) | 2));
      it->second.push_back(static_cast<char>(1));  // 25 needs a 2-byte tag
      std::string len;
      for (uint64_t v = enrichment.size(); ; v >>= 7) {
        len.push_back(static_cast<char>((v & 0x7F) | (v >= 0x80 ? 0x80 : 0)));
        if (v < 0x80) break;
      }
      it->second += len + enrichment;
    }
  }
  size_t size() const { return flows_.size(); }

 private:
  absl::flat_hash_map<uint64_t, std::string> flows_;
};

template <typename Table>
double BytesPerFlow(size_t n, Table& table) {
  malloc_trim(0);
  const size_t before = Heap();
  for (uint32_t i = 0; i < n; ++i) {
    for (int part = 0; part < 3; ++part) table.Apply(RealisticEvent(i, part));
  }
  return static_cast<double>(Heap() - before) / static_cast<double>(table.size());
}

}  // namespace
}  // namespace flowtop::bench

int main(int argc, char** argv) {
  using namespace flowtop;
  std::vector<size_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoul(argv[i], nullptr, 10));
  if (sizes.empty()) sizes = {100000, 1000000};
  std::printf("%-10s %-28s %-28s %s\n", "flows", "serialized v1::Flow (before)",
              "FlowRecord table (now)", "target");
  for (size_t n : sizes) {
    double before, now;
    {
      bench::SerializedTable old;
      before = bench::BytesPerFlow(n, old);
    }
    size_t pool_bytes = 0;
    {
      core::FlowTable table(n + 1);
      now = bench::BytesPerFlow(n, table);
      pool_bytes = table.View().pool().MemoryBytes();
    }
    std::printf("%-10zu %-28s %-28s <= 256 B/flow: %s  (shared strings: %.1f MB)\n", n,
                (std::to_string(static_cast<int>(before)) + " B/flow").c_str(),
                (std::to_string(static_cast<int>(now)) + " B/flow").c_str(),
                now <= 256 ? "met" : "NOT met", pool_bytes / 1e6);
  }
  return 0;
}
