// Writes the fuzzer's seed corpus: every event kind, one event per field of
// the FlowEvent tree, one with every field, and a synthetic stream,
// serialized, one file each, into the directory given.
#include <cstdio>
#include <string>
#include <vector>

#include "replay/sample_events.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::vector<flowtop::v1::FlowEvent> events = flowtop::replay::EveryKindOfEvent();
  for (const auto& named : flowtop::replay::EventsWithEachField()) events.push_back(named.second);
  events.push_back(flowtop::replay::EventWithEveryField());
  for (const auto& e : flowtop::replay::SyntheticStream(200, 3)) events.push_back(e);
  int n = 0;
  for (const auto& e : events) {
    const std::string path = std::string(argv[1]) + "/seed-" + std::to_string(n++);
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 1;
    const std::string bytes = e.SerializeAsString();
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  std::printf("corpus: %d events\n", n);
  return 0;
}
