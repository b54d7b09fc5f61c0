// The real SourceFactory of the flowtop binary: the in-process collector
// for local mode, RemoteSource for --connect, ReplaySource for --replay.
#ifndef FLOWTOP_TUI_REAL_SOURCES_H_
#define FLOWTOP_TUI_REAL_SOURCES_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tui/sources.h"

namespace flowtop::tui {

// Returns OK when the process may read conntrack (CAP_NET_ADMIN in its
// effective set, parsed from `proc_status`, the text of /proc/self/status);
// otherwise PERMISSION_DENIED saying what to do (sudo, setcap, --connect,
// --replay).
absl::Status CheckLocalPrivileges(absl::string_view proc_status);

// Returns the factory the flowtop binary uses.
std::unique_ptr<SourceFactory> NewRealSourceFactory();

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_REAL_SOURCES_H_
