// Where `flowtop record` takes its events from: the local kernel (the
// collector's netlink source), a remote flowtopd (--connect: the service's
// RemoteSource, which reconnects with backoff and records the outage as
// STATUS and LOST{CLIENT} events), or another recording (--from: re-record
// with other filters or compression). One factory, so RecordMain stays
// independent of which sources a build links.
#ifndef FLOWTOP_REPLAY_RECORD_SOURCES_H_
#define FLOWTOP_REPLAY_RECORD_SOURCES_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/event_source.h"
#include "client/client_options.h"

namespace flowtop::replay {

struct RecordSourceOptions {
  // A flowtopd: client.endpoint is HOST:PORT (empty: not remote), the rest
  // the TUI's TLS and token flags (client/client_options.h).
  client::ClientOptions client;
  std::string from_file;  // a recording; empty: not a file
  // Kernel-side selection (the -4/-6/-T/-U/-D/-I/-S switches): the kernel
  // source then dumps and reports only these.
  bool ipv4_only = false;
  bool ipv6_only = false;
  bool tcp = false, udp = false, dccp = false, icmp = false, sctp = false;
};

struct RecordSource {
  std::unique_ptr<core::EventSource> source;
  // Remote and file sources carry their node's seq numbers and times.
  bool keep_source_seq = false;
  // For the header: "kernel", "connect:HOST:PORT", "file:PATH".
  std::string description;
  // The node the events come from, when the source knows it ("" otherwise).
  std::string node;
  // Remote sources: after Run, "" when a stream was ever up, otherwise the
  // line saying why no data came ("got no data from HOST:PORT (why)"). Null
  // for sources that cannot fail to connect. Valid while `source` lives.
  std::function<std::string()> no_data_reason;
};

// Returns the source the options ask for. Errors: those of opening it
// (PERMISSION_DENIED without CAP_NET_ADMIN, NOT_FOUND for a missing file,
// UNAVAILABLE for an unreachable flowtopd), UNIMPLEMENTED when this build
// lacks that kind of source, INVALID_ARGUMENT for contradictory options.
absl::StatusOr<RecordSource> MakeRecordSource(const RecordSourceOptions& options,
                                              const core::Clock& clock);

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_RECORD_SOURCES_H_
