#include "tests/enrich/dns_server.h"

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/enrich/testing/fixtures.h"

namespace flowtop::testing {

absl::StatusOr<std::unique_ptr<DnsServer>> DnsServer::Start(
    NetNs& ns, const std::vector<std::string>& records) {
  auto server = std::unique_ptr<DnsServer>(new DnsServer());
  server->dir_ = MakeTempDir("dnsmasq");
  std::string cmd = absl::StrCat(
      "dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll --bogus-priv "
      "--listen-address=127.0.0.1 --bind-interfaces --port=53 --local-ttl=600 "
      "--user=root --log-queries --log-facility=", server->dir_, "/queries.log ",
      "--pid-file=", server->dir_, "/dnsmasq.pid");
  for (const std::string& record : records) {
    absl::StrAppend(&cmd, " --host-record=", record);
  }
  // dnsmasq daemonises once its socket is bound: when Run returns, it answers.
  absl::StatusOr<std::string> out = ns.Run(cmd);
  if (!out.ok()) {
    return absl::InternalError(absl::StrCat("cannot start dnsmasq (apt-get install dnsmasq-base): ",
                                            out.status().message()));
  }
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(server->dir_ + "/dnsmasq.pid")),
                        &pid)) {
    return absl::InternalError("dnsmasq wrote no pid file");
  }
  server->pid_ = pid;
  return server;
}

DnsServer::~DnsServer() {
  if (pid_ > 0) kill(pid_, SIGKILL);
}

int DnsServer::QueriesFor(const std::string& name) const {
  std::ifstream in(dir_ + "/queries.log");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (absl::StrContains(line, "query[PTR] " + name + " ")) ++n;
  }
  return n;
}

}  // namespace flowtop::testing
