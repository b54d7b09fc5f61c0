// Transport: where IPFIX messages go. A narrow seam over the socket calls
// so that the session's logic (templates, sequence numbers, loss counts)
// is unit-tested against FakeTransport, and the real sockets only in the
// integration tests against real collectors.
#ifndef FLOWTOP_EXPORTERS_TRANSPORT_H_
#define FLOWTOP_EXPORTERS_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace flowtop::exporters {

// Where a transport sends: the flows that carry flowtop's own export.
struct Peer {
  bool tcp = false;
  std::string ip;  // 4 or 16 bytes, network order; empty: unknown
  uint16_t port = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Makes sure the transport can send: a stream transport that is down
  // tries to connect, at most every few seconds (`now` says when), and
  // returns false while it stays down. Datagrams: always true.
  virtual bool Ready(absl::Time now) = 0;
  // Sends one whole IPFIX message. Returns OK once the kernel took it;
  // otherwise the error (the message is lost and counted as not sent).
  virtual absl::Status Send(absl::string_view message) = 0;
  // True for a byte stream (TCP): templates go once per connection instead
  // of being refreshed.
  virtual bool stream() const = 0;
  // Grows by one each time a stream connection comes up (templates must be
  // sent again on it). Always 0 for datagrams.
  virtual uint64_t connection() const = 0;
  // "udp://HOST:PORT" or "tcp://HOST:PORT".
  virtual std::string name() const = 0;
  // The collector's resolved address.
  virtual Peer peer() const { return {}; }
};

// A collector's address as given on the command line: "HOST:PORT",
// "[V6ADDR]:PORT", optionally prefixed "udp://" (default) or "tcp://".
struct CollectorAddress {
  bool tcp = false;
  std::string host;
  uint16_t port = 0;
};

// Returns the parsed address or INVALID_ARGUMENT naming what is wrong, e.g.
// "'collector' has no port: use HOST:PORT (e.g. 127.0.0.1:4739)".
absl::StatusOr<CollectorAddress> ParseCollectorAddress(absl::string_view text);

// Opens a socket to the collector (resolving HOST). UDP: a connected
// datagram socket. TCP: connects now; a collector that is down is not an
// error here (the session reports it as loss and reconnects).
// Errors: INVALID_ARGUMENT for a host that does not resolve.
absl::StatusOr<std::unique_ptr<Transport>> OpenTransport(
    const CollectorAddress& address);

}  // namespace flowtop::exporters

#endif  // FLOWTOP_EXPORTERS_TRANSPORT_H_
