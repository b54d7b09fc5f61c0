#include "tests/enrich/testing/http_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace flowtop::testing {

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Spawn(const char* const argv[]) {
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[0], const_cast<char* const*>(argv));
    _exit(127);
  }
  close(fds[1]);
  auto server = std::unique_ptr<HttpServer>(new HttpServer());
  server->pid_ = pid;
  // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
  FILE* in = fdopen(fds[0], "r");
  char line[512] = {0};
  const bool got = in != nullptr && fgets(line, sizeof(line), in) != nullptr;
  if (in != nullptr) fclose(in);  // the server's later output goes nowhere
  const char* at = got ? std::strstr(line, " port ") : nullptr;
  if (at == nullptr || std::sscanf(at, " port %d", &server->port_) != 1) {
    return absl::InternalError(absl::StrCat(
        "the python3 HTTP server did not report its port (got \"", line,
        "\"); is python3 installed?"));
  }
  return server;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& dir) {
  const char* const argv[] = {"python3", "-u", "-m", "http.server", "0", "--bind",
                              "127.0.0.1", "--directory", dir.c_str(), nullptr};
  return Spawn(argv);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::StartTls(const std::string& dir,
                                                                const std::string& cert_dir) {
  const std::string cert = cert_dir + "/cert.pem", key = cert_dir + "/key.pem";
  const std::string openssl = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout '", key, "' -out '", cert,
      "' >/dev/null 2>&1");
  if (std::system(openssl.c_str()) != 0) {
    return absl::InternalError("openssl could not make a test certificate");
  }
  const std::string script = absl::StrCat(
      "import functools, http.server, ssl\n"
      "handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory='", dir,
      "')\n"
      "httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)\n"
      "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
      "ctx.load_cert_chain('", cert, "', '", key, "')\n"
      "httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)\n"
      "print('Serving HTTPS on 127.0.0.1 port %d' % httpd.server_address[1], flush=True)\n"
      "httpd.serve_forever()\n");
  const char* const argv[] = {"python3", "-u", "-c", script.c_str(), nullptr};
  absl::StatusOr<std::unique_ptr<HttpServer>> server = Spawn(argv);
  if (server.ok()) (*server)->tls_ = true;
  return server;
}

HttpServer::~HttpServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::string HttpServer::Url(const std::string& path) const {
  return absl::StrCat(tls_ ? "https" : "http", "://127.0.0.1:", port_, "/", path);
}

}  // namespace flowtop::testing
