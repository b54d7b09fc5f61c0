// Real client processes for namespace tests: python3 clients that connect
// (TCP, retrying until the server listens) or send one datagram (UDP),
// report their local port through a FIFO, and keep the socket open.
#ifndef FLOWTOP_TESTS_ENRICH_TEST_CLIENTS_H_
#define FLOWTOP_TESTS_ENRICH_TEST_CLIENTS_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "tests/netns/netns.h"

namespace flowtop::testing {

struct ClientSpec {
  std::string family = "AF_INET";  // or "AF_INET6"
  std::string kind = "SOCK_STREAM";  // or "SOCK_DGRAM"
  std::string host;                 // server address
  int port = 0;
  std::string bind;  // local address to bind first ("" for any)
  std::string proto = "0";  // third socket() argument, e.g. "socket.IPPROTO_UDPLITE"
};

struct Client {
  pid_t pid = -1;
  int port = 0;  // the client's local port
};

// Starts a client inside `ns` (killed by ~NetNs or ns.Kill(pid)) and returns
// once it has connected or sent. `dir` holds the FIFO. Returns INTERNAL when
// the client does not report.
absl::StatusOr<Client> StartClient(NetNs& ns, const std::string& dir,
                                   const ClientSpec& spec);

}  // namespace flowtop::testing

#endif  // FLOWTOP_TESTS_ENRICH_TEST_CLIENTS_H_
