// flowtop_fixture: the flowtop program with --replay reading a JSON-lines
// fixture of FlowEvents, for end-to-end tests (batch, json, tmux).
#include "tests/tui/fixture_source.h"
#include "tui/cli.h"

int main(int argc, char** argv) {
  flowtop::tui::FixtureSourceFactory factory;
  flowtop::tui::Program program;
  program.factory = &factory;
  return flowtop::tui::RunFlowtop(argc, argv, program);
}
