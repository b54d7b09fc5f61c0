// Memory per flow in the FlowTable: inserts N flows built from real captured
// events (unique ids, counters, timestamps, as after a dump) and prints the
// heap growth per flow (glibc mallinfo2). Target: < 400 bytes per flow.
//   bazel run -c opt //bench/collector:flow_table_memory -- 200000
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "collector/conntrack_parser.h"
#include "core/flow_table.h"
#include "collector/netlink_capture.h"

int main(int argc, char** argv) {
  using namespace flowtop::collector;
  const size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200000;
  auto msgs = ReadCaptureFile("tests/fixtures/netlink/dump.nlcap");
  if (!msgs.ok() || msgs->empty()) {
    std::fprintf(stderr, "flow_table_memory: %s\n",
                 std::string(msgs.status().message()).c_str());
    return 1;
  }
  std::vector<flowtop::v1::FlowEvent> samples(msgs->size());
  for (size_t i = 0; i < msgs->size(); ++i) {
    if (!ParseConntrackMessage((*msgs)[i].data(), (*msgs)[i].size(), samples[i])
             .ok()) {
      return 1;
    }
    samples[i].set_type(flowtop::v1::NEW);
    samples[i].set_time_unix_nanos(1);
  }
  malloc_trim(0);
  // In-use heap: small blocks plus mmapped ones (the hash table's slots).
  auto heap = [] {
    const auto m = mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  const size_t before = heap();
  {
    FlowTable table(n + 1);
    flowtop::v1::FlowEvent e;
    for (size_t i = 0; i < n; ++i) {
      e = samples[i % samples.size()];
      e.mutable_flow()->set_conntrack_id(static_cast<uint32_t>(i + 1));
      table.Apply(e);
    }
    const size_t after = heap();
    std::printf("flows: %zu  heap: %zu bytes  per flow: %.1f bytes\n",
                table.size(), after - before,
                static_cast<double>(after - before) / table.size());
  }
  return 0;
}
