// flowtopd: serves the kernel's conntrack flow events over gRPC, and feeds
// IPFIX collectors and Prometheus when asked to.
#include "service/daemon.h"
#include "service/flowtopd_addons.h"
#include "service/sources.h"

int main(int argc, char** argv) {
  return flowtop::service::RunDaemon(argc, argv, flowtop::service::MakeSource,
                                     flowtop::service::MakeFlowtopdAddons);
}
