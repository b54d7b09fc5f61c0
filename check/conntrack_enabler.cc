#include "check/conntrack_enabler.h"

#include <nftables/libnftables.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "check/conntrack_probe.h"

namespace flowtop::check {

absl::StatusOr<std::unique_ptr<ConntrackEnabler>> ConntrackEnabler::Create() {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr) return absl::InternalError("--enable-conntrack: cannot start libnftables");
  nft_ctx_buffer_error(ctx);
  nft_ctx_buffer_output(ctx);
  std::string table = absl::StrCat("flowtop_conntrack_", getpid());
  const std::string ruleset = ConntrackRuleset(table);
  if (nft_run_cmd_from_buffer(ctx, ruleset.c_str()) != 0) {
    std::string error(absl::StripTrailingAsciiWhitespace(nft_ctx_get_error_buffer(ctx)));
    nft_ctx_free(ctx);
    const bool denied = error.find("Operation not permitted") != std::string::npos;
    std::string message = absl::StrCat(
        "--enable-conntrack: cannot install the nftables table ", table, ": ",
        error.substr(0, error.find('\n')),
        denied ? " (needs CAP_NET_ADMIN: run as root)" : "");
    return denied ? absl::PermissionDeniedError(message) : absl::InternalError(message);
  }
  return std::unique_ptr<ConntrackEnabler>(new ConntrackEnabler(ctx, std::move(table)));
}

ConntrackEnabler::~ConntrackEnabler() {
  // Closing the context's socket alone removes an owned table; deleting it
  // first makes that explicit and immediate.
  const std::string command = absl::StrCat("delete table inet ", table_);
  nft_run_cmd_from_buffer(ctx_, command.c_str());
  nft_ctx_free(ctx_);
}

}  // namespace flowtop::check
