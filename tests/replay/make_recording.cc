// make_recording: writes a synthetic recording for tests (not a kernel
// capture: see make_fixture.sh for that).
// Usage: make_recording OUT EVENTS [ZSTD_LEVEL]
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "core/clock.h"
#include "replay/recorder.h"
#include "replay/sample_events.h"

int main(int argc, char** argv) {
  size_t events = 0;
  int level = 0;
  if (argc < 3 || !absl::SimpleAtoi(argv[2], &events) ||
      (argc > 3 && !absl::SimpleAtoi(argv[3], &level))) {
    std::fprintf(stderr, "usage: make_recording OUT EVENTS [ZSTD_LEVEL]\n");
    return 2;
  }
  flowtop::replay::RecorderOptions options;
  options.path = argv[1];
  options.header.set_node("r1");
  options.writer.zstd_level = level;
  options.writer.block_size = 4096;
  options.keyframe_interval = absl::Seconds(1);
  auto recorder =
      flowtop::replay::Recorder::Create(options, flowtop::core::RealClock::Get());
  if (!recorder.ok()) {
    std::fprintf(stderr, "make_recording: %s\n",
                 std::string(recorder.status().message()).c_str());
    return 1;
  }
  std::vector<flowtop::v1::FlowEvent> stream = flowtop::replay::SyntheticStream(events);
  (*recorder)->Publish(absl::MakeSpan(stream));
  absl::Status status = (*recorder)->Close();
  if (!status.ok()) {
    std::fprintf(stderr, "make_recording: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
