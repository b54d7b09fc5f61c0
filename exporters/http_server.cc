#include "exporters/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/endpoint.h"

namespace flowtop::exporters {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    default: return "Error";
  }
}

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

// Compares without stopping at the first difference.
bool SameToken(absl::string_view a, absl::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

}  // namespace

HttpResponse HandleHttpRequest(absl::string_view request, const std::string& token,
                               const std::function<std::string()>& metrics) {
  const size_t eol = request.find("\r\n");
  if (eol == absl::string_view::npos) return Text(400, "malformed request\n");
  std::vector<absl::string_view> parts =
      absl::StrSplit(request.substr(0, eol), ' ', absl::SkipEmpty());
  if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1.")) {
    return Text(400, "malformed request line\n");
  }
  const bool head = parts[0] == "HEAD";
  if (parts[0] != "GET" && !head) {
    HttpResponse r = Text(405, "only GET and HEAD\n");
    return r;
  }
  if (!token.empty()) {
    bool ok = false;
    for (absl::string_view line : absl::StrSplit(request.substr(eol + 2), "\r\n")) {
      const size_t colon = line.find(':');
      if (colon == absl::string_view::npos) continue;
      if (!absl::EqualsIgnoreCase(line.substr(0, colon), "authorization")) continue;
      absl::string_view v = absl::StripAsciiWhitespace(line.substr(colon + 1));
      ok = absl::ConsumePrefix(&v, "Bearer ") && SameToken(v, token);
    }
    if (!ok) return Text(401, "authorization: Bearer <token> required\n");
  }
  absl::string_view path = parts[1];
  path = path.substr(0, path.find('?'));
  HttpResponse r;
  if (path == "/metrics") {
    r.body = metrics();
  } else if (path == "/") {
    r = Text(200, "flowtopd: Prometheus metrics at /metrics\n");
  } else {
    r = Text(404, "not found: try /metrics\n");
  }
  r.head = head;
  return r;
}

std::string SerializeHttpResponse(const HttpResponse& r) {
  std::string out = absl::StrCat("HTTP/1.1 ", r.status, " ", Reason(r.status),
                                 "\r\nContent-Type: ", r.content_type,
                                 "\r\nContent-Length: ", r.body.size(),
                                 "\r\nConnection: close\r\n");
  if (r.status == 401) out += "WWW-Authenticate: Bearer\r\n";
  out += "\r\n";
  if (!r.head) out += r.body;
  return out;
}

std::string MetricsListenAddress(const std::string& value) {
  const std::string address =
      !value.empty() && absl::c_all_of(value, absl::ascii_isdigit)
          ? absl::StrCat(":", value)
          : value;
  absl::StatusOr<cli::Endpoint> e =
      cli::ParseEndpoint(address, {.empty_host = true, .port_zero = true});
  if (e.ok() && e->host.empty()) return cli::FormatEndpoint("127.0.0.1", e->port);
  return value;  // as written; binding it reports what is wrong
}

struct HttpServer::Tls {
  SSL_CTX* ctx = nullptr;
  ~Tls() {
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
  // Loads a certificate chain and key from PEM text. Returns false on error.
  bool Load(const std::string& cert_pem, const std::string& key_pem) {
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) return false;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    BIO* cert = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
    X509* leaf = PEM_read_bio_X509(cert, nullptr, nullptr, nullptr);
    bool ok = leaf != nullptr && SSL_CTX_use_certificate(ctx, leaf) == 1;
    X509_free(leaf);
    while (ok) {  // the rest of the chain
      X509* extra = PEM_read_bio_X509(cert, nullptr, nullptr, nullptr);
      if (extra == nullptr) break;
      if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) {
        X509_free(extra);
        ok = false;
      }
    }
    ERR_clear_error();
    BIO_free(cert);
    BIO* key = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(key, nullptr, nullptr, nullptr);
    ok = ok && pkey != nullptr && SSL_CTX_use_PrivateKey(ctx, pkey) == 1 &&
         SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(pkey);
    BIO_free(key);
    return ok;
  }
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, std::function<std::string()> metrics) {
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->options_ = options;
  s->metrics_ = std::move(metrics);
  const std::string address = MetricsListenAddress(options.listen);
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics: '", options.listen, "' is not ADDR:PORT or PORT"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = address.substr(colon + 1);
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics: cannot resolve '", options.listen, "'"));
  }
  const int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool bound = fd >= 0 && bind(fd, res->ai_addr, res->ai_addrlen) == 0 &&
                     ::listen(fd, 16) == 0;
  freeaddrinfo(res);
  if (!bound) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) close(fd);
    return absl::UnavailableError(
        absl::StrCat("--metrics: cannot listen on ", address, ": ", why));
  }
  s->listen_fd_ = fd;
  sockaddr_storage addr = {};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  s->port_ = ntohs(addr.ss_family == AF_INET6
                       ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (!options.tls_cert_pem.empty()) {
    s->tls_ = std::make_unique<Tls>();
    if (!s->tls_->Load(options.tls_cert_pem, options.tls_key_pem)) {
      return absl::InvalidArgumentError(
          "--metrics: cannot use the TLS certificate and key (--tls-cert, --tls-key)");
    }
  }
  s->stop_fd_ = eventfd(0, EFD_CLOEXEC);
  HttpServer* self = s.get();
  s->thread_ = std::thread([self] { self->Serve(); });
  return s;
}

HttpServer::~HttpServer() {
  if (stop_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

void HttpServer::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval tv = absl::ToTimeval(options_.io_timeout);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    HandleConnection(fd);
    close(fd);
  }
}

void HttpServer::HandleConnection(int fd) {
  SSL* ssl = nullptr;
  if (tls_ != nullptr) {
    ssl = SSL_new(tls_->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      SSL_free(ssl);
      return;
    }
  }
  auto read_some = [&](char* buf, size_t n) -> ssize_t {
    if (ssl != nullptr) return SSL_read(ssl, buf, static_cast<int>(n));
    return recv(fd, buf, n, 0);
  };
  auto write_all = [&](const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ssl != nullptr
                            ? SSL_write(ssl, data.data() + off,
                                        static_cast<int>(data.size() - off))
                            : send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  };
  std::string request;
  char buf[2048];
  HttpResponse response;
  bool complete = false;
  while (request.size() <= options_.max_request_bytes) {
    const ssize_t n = read_some(buf, sizeof(buf));
    if (n <= 0) break;
    request.append(buf, static_cast<size_t>(n));
    if (request.find("\r\n\r\n") != std::string::npos) {
      complete = true;
      break;
    }
  }
  if (complete) {
    response = HandleHttpRequest(request, options_.token, metrics_);
  } else if (request.size() > options_.max_request_bytes) {
    response = HttpResponse{431, "text/plain; charset=utf-8", "request too large\n"};
  } else {
    response = HttpResponse{400, "text/plain; charset=utf-8", "incomplete request\n"};
  }
  write_all(SerializeHttpResponse(response));
  if (ssl != nullptr) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
}

}  // namespace flowtop::exporters
