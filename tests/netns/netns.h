// NetNs: a throw-away network namespace for tests against the real kernel.
//
// The namespace is anonymous: a small holder process unshares it and waits,
// and it is destroyed with the holder. The holder gets SIGKILL when the test
// process dies (PR_SET_PDEATHSIG), so even a crashed test leaves nothing
// behind (no /run/netns entries, no stale nft rules on the host). Inside,
// loopback is up and one nft rule makes conntrack track every flow.
//
// Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); tests using it are tagged
// `local` so that they run outside Bazel's sandbox.
#ifndef FLOWTOP_TESTS_NETNS_NETNS_H_
#define FLOWTOP_TESTS_NETNS_NETNS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace flowtop::testing {

class NetNs {
 public:
  // Creates the namespace, brings lo up and activates conntrack. Returns
  // FAILED_PRECONDITION when not root or a tool (nsenter, ip, nft) is
  // missing, naming the fix; INTERNAL for other failures.
  static absl::StatusOr<std::unique_ptr<NetNs>> Create();

  NetNs(const NetNs&) = delete;
  NetNs& operator=(const NetNs&) = delete;
  // Kills every process spawned inside and the holder.
  ~NetNs();

  // Runs `shell_cmd` with sh inside the namespace and returns its standard
  // output. Returns INTERNAL with the exit status and standard error when
  // the command fails.
  absl::StatusOr<std::string> Run(const std::string& shell_cmd) const;

  // Starts `shell_cmd` in the background inside the namespace, in its own
  // process group; it is killed (the whole group) by Kill or ~NetNs.
  absl::StatusOr<pid_t> Spawn(const std::string& shell_cmd);

  // Sends SIGKILL to a process group started by Spawn and reaps it.
  void Kill(pid_t pid);

  // Runs fn on a new thread that has joined this namespace, and waits for
  // it. Sockets fn opens stay in the namespace after it returns, so a test
  // can open a netlink socket here and use it from any thread.
  absl::Status RunInside(const std::function<void()>& fn) const;

  // "nsenter --net=/proc/PID/ns/net": a prefix that runs a command inside.
  std::string ExecPrefix() const;
  // /proc/PID/ns/net of the holder.
  std::string Path() const;

 private:
  explicit NetNs(pid_t holder) : holder_(holder) {}

  pid_t holder_;
  std::vector<pid_t> spawned_;
};

}  // namespace flowtop::testing

#endif  // FLOWTOP_TESTS_NETNS_NETNS_H_
