// flowtopd: serves the kernel's conntrack flow events over gRPC.
#include "service/daemon.h"
#include "service/sources.h"

int main(int argc, char** argv) {
  return flowtop::service::RunDaemon(argc, argv, flowtop::service::MakeSource);
}
