// fake_flowtopd: the real flowtopd program (options, config, TLS, tokens,
// privileges, signals, gRPC service) over FakeEventSource instead of the
// kernel, for tests that exercise the daemon from outside.
#include <memory>

#include "service/daemon.h"
#include "tests/service/fake_event_source.h"

int main(int argc, char** argv) {
  return flowtop::service::RunDaemon(
      argc, argv,
      [](const flowtop::service::DaemonConfig&)
          -> absl::StatusOr<flowtop::service::SourceBundle> {
        auto source = std::make_unique<flowtop::testing::FakeEventSource>();
        flowtop::service::SourceBundle bundle;
        bundle.status = source.get();
        bundle.source = std::move(source);
        bundle.name = "fake";
        return bundle;
      });
}
