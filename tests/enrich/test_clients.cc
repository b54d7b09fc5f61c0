#include "tests/enrich/test_clients.h"

#include <sys/stat.h>

#include <atomic>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace flowtop::testing {

absl::StatusOr<Client> StartClient(NetNs& ns, const std::string& dir,
                                   const ClientSpec& spec) {
  static std::atomic<int> counter{0};
  const std::string fifo = absl::StrCat(dir, "/client", ++counter);
  if (mkfifo(fifo.c_str(), 0600) != 0) return absl::InternalError("mkfifo failed");
  const std::string bind =
      spec.bind.empty() ? "" : absl::StrCat("    s.bind((\"", spec.bind, "\", 0))\n");
  const std::string cmd = absl::StrCat(
      "exec python3 -c '\n"
      "import socket, time\n"
      "while True:\n"
      "    s = socket.socket(socket.", spec.family, ", socket.", spec.kind, ", ",
      spec.proto, ")\n",
      bind,
      "    try:\n"
      "        if s.type == socket.SOCK_STREAM:\n"
      "            s.connect((\"", spec.host, "\", ", spec.port, "))\n"
      "        else:\n"
      "            s.sendto(b\"hello\", (\"", spec.host, "\", ", spec.port, "))\n"
      "        break\n"
      "    except ConnectionRefusedError:\n"
      "        s.close()\n"
      "        time.sleep(0.05)\n"
      "open(\"", fifo, "\", \"w\").write(str(s.getsockname()[1]) + \"\\n\")\n"
      "time.sleep(600)\n'");
  absl::StatusOr<pid_t> pid = ns.Spawn(cmd);
  if (!pid.ok()) return pid.status();
  std::ifstream in(fifo);  // blocks until the client reports
  std::string line;
  std::getline(in, line);
  Client client;
  client.pid = *pid;
  if (!absl::SimpleAtoi(line, &client.port)) {
    return absl::InternalError(absl::StrCat("the python3 client did not report: ", line));
  }
  return client;
}

}  // namespace flowtop::testing
