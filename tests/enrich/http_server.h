// HttpServer: a real HTTP server on 127.0.0.1 for tests (Python's
// http.server serving one directory on a port the kernel picks).
#ifndef FLOWTOP_TESTS_ENRICH_HTTP_SERVER_H_
#define FLOWTOP_TESTS_ENRICH_HTTP_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace flowtop::testing {

class HttpServer {
 public:
  // Starts `python3 -m http.server` on 127.0.0.1, port 0, serving `dir`.
  // Returns the running server, or INTERNAL when python3 is missing or does
  // not report its port.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& dir);
  ~HttpServer();  // stops the server

  int port() const { return port_; }
  // Returns "http://127.0.0.1:PORT/" + path.
  std::string Url(const std::string& path) const;

 private:
  HttpServer() = default;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace flowtop::testing

#endif  // FLOWTOP_TESTS_ENRICH_HTTP_SERVER_H_
