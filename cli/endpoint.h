// The one HOST:PORT grammar of flowtop: --connect, --listen, --metrics and
// --ipfix all split an endpoint here. Forms: "host:port", "[v6]:port" and,
// where the caller allows it, ":port" (no host). An IPv6 address must be in
// brackets; the port is 1 to 5 digits (no sign) from 1 (or 0 where allowed)
// to 65535, never wrapped (70000 is an error, not 4464).
#ifndef FLOWTOP_CLI_ENDPOINT_H_
#define FLOWTOP_CLI_ENDPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowtop::cli {

// What a caller accepts beyond "host:port" with a port from 1.
struct EndpointRules {
  bool empty_host = false;  // ":9100" (the caller picks the host)
  bool port_zero = false;   // ":0" (bind to any free port)
};

struct Endpoint {
  std::string host;  // without the brackets; "" only under empty_host
  uint16_t port = 0;
};

// Returns the endpoint of `text`, or INVALID_ARGUMENT "'text' what", where
// what is one of "has no address", "has no port", "has a port that is not a
// number from 1 to 65535" (0 under port_zero), "has an IPv6 address without
// [brackets]", "has no ':' after ']'". Callers prefix their flag and may add
// an example.
absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view text,
                                       EndpointRules rules = {});

// Returns "host:port", with brackets when the host is an IPv6 address.
std::string FormatEndpoint(absl::string_view host, uint16_t port);

}  // namespace flowtop::cli

#endif  // FLOWTOP_CLI_ENDPOINT_H_
