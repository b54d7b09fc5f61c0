// FakeConntrack: a conntrack table behind fake netlink sockets, so that the
// readers of conntrack (KernelSource: reconcile, resync, rates) are unit
// tests without root or a kernel.
//
// Flows are recorded ctnetlink messages (tests/fixtures/netlink, captured
// from the kernel by ctcapture) re-stamped with the conntrack id, source port
// and byte counter a test chooses, so two flows can share a conntrack id the
// way real ones do. A dump walks the table in (id, port) order one part at a
// time and reads the table as it is when each part is taken, as the kernel
// walks its hash buckets: flows added behind the cursor are missed, flows
// removed ahead of it are not listed. A hook runs before every part, so a
// test can change the table and queue events in the middle of a dump.
// Changes queue NEW/UPDATE/DESTROY datagrams on the event sockets;
// Overflow() makes the next receive fail with ENOBUFS and drops events until
// then, as a full netlink socket does.
#ifndef FLOWTOP_COLLECTOR_FAKE_NETLINK_H_
#define FLOWTOP_COLLECTOR_FAKE_NETLINK_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/netlink_socket.h"

namespace flowtop::collector {

class FakeConntrack {
 public:
  // A flow's identity in the fake table: conntrack id and source port.
  using Id = std::pair<uint32_t, uint16_t>;

  // `recorded`: one ctnetlink conntrack message as the kernel sent it (a
  // dump reply with counters is best); every flow is a copy of it.
  explicit FakeConntrack(std::string recorded);
  ~FakeConntrack();

  // Returns `message` with conntrack id `id`, original source port (and
  // reply destination port) `sport` and original byte counter `bytes`
  // written into its attributes (those present).
  static std::string Restamp(const std::string& message, uint32_t id,
                             uint16_t sport, uint64_t bytes);

  // Adds a flow (or changes its byte counter) and queues NEW (UPDATE).
  void Put(Id flow, uint64_t bytes = 100, bool event = true);
  // Removes a flow and queues DESTROY.
  void Remove(Id flow, bool event = true);
  // The event sockets' queues overflow: the next receive returns ENOBUFS,
  // and events are dropped until it has been read.
  void Overflow();
  // Queues a datagram as is (e.g. damaged bytes) on the event sockets.
  void QueueRaw(std::string datagram);
  // Called (without the fake's lock) before each part of every dump, with
  // the part's number (0 first).
  void SetDumpHook(std::function<void(int part)> hook);
  void set_messages_per_part(size_t n);

  std::map<Id, uint64_t> Flows() const;  // flow -> bytes
  bool Contains(Id flow) const;
  size_t dumps() const;  // dump requests so far

  // Blocks until an event socket's reader waits in Receive with nothing
  // queued (KernelSource hands its batch on before it waits), or timeout.
  bool WaitIdle(absl::Duration timeout);

  // New sockets on this table (owned by the caller; the fake must outlive
  // them). Event sockets receive events; dump sockets answer dumps.
  std::unique_ptr<NetlinkSocket> EventSocket();
  std::unique_ptr<NetlinkSocket> DumpSocket();

 private:
  class Socket;
  struct State;
  std::string Message(Id flow, uint64_t bytes, uint16_t type,
                      uint16_t flags) const;
  void QueueEvent(std::string message);
  std::shared_ptr<State> state_;
};

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_FAKE_NETLINK_H_
