// HttpServer: the small HTTP/1.1 responder behind `flowtopd --metrics`.
// One request per connection (Connection: close), GET /metrics only;
// requests are bounded (max_request_bytes, io_timeout) so a slow or hostile
// client cannot hold it. Optional TLS (OpenSSL, the same certificate files
// as the gRPC port) and bearer token (the same --token-file).
//
// The request handling is a pure function (HandleHttpRequest); the server
// only moves bytes.
#ifndef FLOWTOP_EXPORTERS_HTTP_SERVER_H_
#define FLOWTOP_EXPORTERS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace flowtop::exporters {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; version=0.0.4; charset=utf-8";
  std::string body;
  bool head = false;  // HEAD: no body sent
};

// Answers one request (everything up to and including the blank line).
// GET or HEAD /metrics: 200 with metrics(); "/": a pointer to /metrics;
// other paths 404, other methods 405, malformed requests 400; with a token,
// a missing or wrong "Authorization: Bearer" is 401.
HttpResponse HandleHttpRequest(absl::string_view request, const std::string& token,
                               const std::function<std::string()>& metrics);

// Returns the response's bytes (status line, headers, body).
std::string SerializeHttpResponse(const HttpResponse& response);

struct HttpServerOptions {
  std::string listen;  // "ADDR:PORT", "[V6]:PORT", or "PORT" (loopback)
  std::string token;   // empty: no authorization needed
  // PEM contents (read before privileges are dropped); both: HTTPS.
  std::string tls_cert_pem, tls_key_pem;
  size_t max_request_bytes = 8192;
  absl::Duration io_timeout = absl::Seconds(5);
};

// Returns "ADDR:PORT" for a --metrics value ("9100" -> "127.0.0.1:9100").
std::string MetricsListenAddress(const std::string& value);

class HttpServer {
 public:
  // Binds and starts serving on its own thread. Errors: INVALID_ARGUMENT for
  // a bad address or TLS files, UNAVAILABLE when the port is taken.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, std::function<std::string()> metrics);
  ~HttpServer();
  int port() const { return port_; }

 private:
  struct Tls;
  HttpServer() = default;
  void Serve();
  void HandleConnection(int fd);

  HttpServerOptions options_;
  std::function<std::string()> metrics_;
  std::unique_ptr<Tls> tls_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd that ends Serve
  int port_ = 0;
  std::thread thread_;
};

}  // namespace flowtop::exporters

#endif  // FLOWTOP_EXPORTERS_HTTP_SERVER_H_
