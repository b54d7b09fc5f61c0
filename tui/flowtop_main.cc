// flowtop: a top-like view of the kernel's connection tracking, locally, on
// several flowtopd endpoints, or from a recording.
#include <memory>

#include "tui/cli.h"
#include "tui/real_sources.h"

int main(int argc, char** argv) {
  std::unique_ptr<flowtop::tui::SourceFactory> factory =
      flowtop::tui::NewRealSourceFactory();
  flowtop::tui::Program program;
  program.factory = factory.get();
  return flowtop::tui::RunFlowtop(argc, argv, program);
}
