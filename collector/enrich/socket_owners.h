// SocketOwnerLookup: the process that used a local socket tuple, as the
// kernel recorded it at that moment (BpfOwners), so that a connection is
// attributed after its socket and even its process are gone.
#ifndef FLOWTOP_COLLECTOR_ENRICH_SOCKET_OWNERS_H_
#define FLOWTOP_COLLECTOR_ENRICH_SOCKET_OWNERS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "collector/enrich/sock_diag.h"

namespace flowtop::collector::enrich {

// The process that used a socket, as the kernel saw it at that moment.
struct KernelOwner {
  uint32_t pid = 0;  // the process (thread group) id
  uint32_t tid = 0;  // the thread that connected or sent
  uint32_t uid = 0;
  std::string comm;  // the command name then (up to 15 characters)
  uint64_t cgroup_id = 0;
  uint64_t netns_cookie = 0;
};

class SocketOwnerLookup {
 public:
  virtual ~SocketOwnerLookup() = default;
  // Returns the recorded owner of the local end `key`; nullopt when none
  // was recorded (the socket predates the recorder, or it is no local
  // socket).
  virtual std::optional<KernelOwner> Find(const SocketKey& key) = 0;
};

}  // namespace flowtop::collector::enrich

#endif  // FLOWTOP_COLLECTOR_ENRICH_SOCKET_OWNERS_H_
