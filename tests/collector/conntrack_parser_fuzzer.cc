// libFuzzer target over ParseConntrackMessage: any bytes in, an event or an
// error out, never a crash, hang or out-of-bounds read (built with ASan).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "collector/conntrack_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size copy, so that reading one byte too far is caught.
  std::vector<uint8_t> copy(data, data + size);
  flowtop::v1::FlowEvent event;
  absl::Status s = flowtop::collector::ParseConntrackMessage(
      copy.data(), copy.size(), event);
  // The reader reuses one event for every message: a reused event must give
  // the same result as a fresh one, whatever came before it.
  static flowtop::v1::FlowEvent* reused = new flowtop::v1::FlowEvent();
  absl::Status r = flowtop::collector::ParseConntrackMessage(
      copy.data(), copy.size(), *reused);
  if (r.ok() != s.ok()) std::abort();
  if (s.ok() && reused->SerializeAsString() != event.SerializeAsString()) {
    std::abort();
  }
  if (s.ok()) {
    // A parsed event always names its flow and protocol.
    const auto& flow = event.flow();
    if (flow.protocol_number() > 255) std::abort();
    if (flow.original().src_ip().size() != 4 &&
        flow.original().src_ip().size() != 16) {
      std::abort();
    }
  } else if (s.message().empty()) {
    std::abort();  // every error says what was wrong
  }
  return 0;
}
