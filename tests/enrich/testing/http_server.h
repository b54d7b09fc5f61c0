// HttpServer: a real HTTP or HTTPS server on 127.0.0.1 for tests (Python's
// http.server serving one directory on a port the kernel picks; HTTPS with a
// self-signed certificate for 127.0.0.1 made by openssl).
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
  // The same over TLS: writes a self-signed certificate for IP 127.0.0.1 to
  // `cert_dir`/cert.pem (the CA a client must trust) and serves HTTPS.
  // Returns INTERNAL when openssl or python3 fails.
  static absl::StatusOr<std::unique_ptr<HttpServer>> StartTls(const std::string& dir,
                                                              const std::string& cert_dir);
  ~HttpServer();  // stops the server

  int port() const { return port_; }
  // Returns "http(s)://127.0.0.1:PORT/" + path.
  std::string Url(const std::string& path) const;

 private:
  HttpServer() = default;
  static absl::StatusOr<std::unique_ptr<HttpServer>> Spawn(const char* const argv[]);
  pid_t pid_ = -1;
  bool tls_ = false;
  int port_ = 0;
};

}  // namespace flowtop::testing

#endif  // FLOWTOP_TESTS_ENRICH_HTTP_SERVER_H_
