// ConntrackEnabler: --enable-conntrack. Installs a minimal nftables table
// (see ConntrackRuleset) that makes the kernel track every flow of this
// network namespace, for as long as flowtop runs, and takes it away on every
// exit path.
//
// The table is created with nftables' `owner` flag through a libnftables
// context that stays open: the kernel ties the table to that netlink socket
// and deletes it when the socket closes. So it goes on a normal exit (the
// destructor deletes it and closes the socket), on SIGTERM (the binaries'
// handlers end the process, which closes the socket), on an error, and
// even on SIGKILL or a crash, with no handler of ours involved. Nothing
// else of the namespace's ruleset is touched, and no other program can
// change the table while it is owned.
#ifndef FLOWTOP_CHECK_CONNTRACK_ENABLER_H_
#define FLOWTOP_CHECK_CONNTRACK_ENABLER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct nft_ctx;

namespace flowtop::check {

class ConntrackEnabler {
 public:
  // Installs the table `flowtop_conntrack_<pid>` in the calling thread's
  // network namespace. PERMISSION_DENIED without CAP_NET_ADMIN; INTERNAL
  // with nftables' message otherwise.
  static absl::StatusOr<std::unique_ptr<ConntrackEnabler>> Create();
  ~ConntrackEnabler();
  ConntrackEnabler(const ConntrackEnabler&) = delete;
  ConntrackEnabler& operator=(const ConntrackEnabler&) = delete;

  const std::string& table() const { return table_; }

 private:
  ConntrackEnabler(nft_ctx* ctx, std::string table) : ctx_(ctx), table_(std::move(table)) {}
  nft_ctx* ctx_;
  std::string table_;
};

}  // namespace flowtop::check

#endif  // FLOWTOP_CHECK_CONNTRACK_ENABLER_H_
