#include "tests/enrich/http_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace flowtop::testing {

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& dir) {
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execlp("python3", "python3", "-u", "-m", "http.server", "0", "--bind",
           "127.0.0.1", "--directory", dir.c_str(), static_cast<char*>(nullptr));
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
        "python3 -m http.server did not report its port (got \"", line,
        "\"); is python3 installed?"));
  }
  return server;
}

HttpServer::~HttpServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::string HttpServer::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, "/", path);
}

}  // namespace flowtop::testing
