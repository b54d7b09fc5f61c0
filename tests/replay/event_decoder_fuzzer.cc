// Differential fuzzer: EventDecoder must give exactly what protobuf's own
// parser gives, for any bytes: the same verdict and, for valid records, the
// same message (serialized forms compare presence and unknown fields).
// Decodes into one reused message, as the reader does, so stale contents
// from an earlier input would show too. Built by event_decoder_fuzz_test.sh.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "flowtop/v1/flowtop.pb.h"
#include "replay/event_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* decoder = new flowtop::replay::EventDecoder;
  static auto* reused = new flowtop::v1::FlowEvent;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  flowtop::v1::FlowEvent fresh;
  const bool want = fresh.ParseFromArray(data, static_cast<int>(size));
  const bool got = decoder->Decode(bytes, reused);
  if (got != want) {
    std::fprintf(stderr, "EventDecoder says %d, ParseFromArray says %d\n", got, want);
    std::abort();
  }
  if (want && reused->SerializeAsString() != fresh.SerializeAsString()) {
    std::fprintf(stderr, "EventDecoder's message differs:\n%s\nprotobuf's:\n%s\n",
                 reused->DebugString().c_str(), fresh.DebugString().c_str());
    std::abort();
  }
  return 0;
}
