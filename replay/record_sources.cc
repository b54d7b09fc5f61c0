#include "replay/record_sources.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "collector/kernel_source.h"
#include "replay/grpc_source.h"
#include "replay/replay_source.h"

namespace flowtop::replay {

absl::StatusOr<RecordSource> MakeRecordSource(const RecordSourceOptions& options,
                                              const collector::Clock& clock) {
  if (!options.connect.empty() && !options.from_file.empty()) {
    return absl::InvalidArgumentError(
        "--connect and --from both name a source: use one of them");
  }
  RecordSource out;
  if (!options.from_file.empty()) {
    ReplayOptions replay;
    replay.speed = 0;
    absl::StatusOr<std::unique_ptr<ReplaySource>> source =
        ReplaySource::Open(options.from_file, replay, clock);
    if (!source.ok()) return source.status();
    out.node = (*source)->header().node();
    out.source = std::move(*source);
    out.keep_source_seq = true;
    out.description = absl::StrCat("file:", options.from_file);
    return out;
  }
  if (!options.connect.empty()) {
    service::ClientOptions client;
    client.endpoint = options.connect;
    client.tls = options.tls;
    client.tls_ca_file = options.tls_ca_file;
    client.tls_cert_file = options.tls_cert_file;
    client.tls_key_file = options.tls_key_file;
    client.tls_server_name = options.tls_server_name;
    client.token_file = options.token_file;
    absl::StatusOr<std::unique_ptr<GrpcFlowSource>> source =
        GrpcFlowSource::Create(std::move(client));
    if (!source.ok()) return source.status();
    out.source = std::move(*source);
    out.keep_source_seq = true;
    out.description = absl::StrCat("connect:", options.connect);
    return out;
  }
  collector::KernelSourceOptions kernel;
  if (options.ipv4_only || options.ipv6_only) {
    kernel.ipv4 = options.ipv4_only;
    kernel.ipv6 = options.ipv6_only;
  }
  kernel.protocols = collector::ProtocolSelection(options.tcp, options.udp,
                                                  options.dccp, options.icmp,
                                                  options.sctp);
  absl::StatusOr<std::unique_ptr<collector::KernelSource>> source =
      collector::KernelSource::Create(std::move(kernel), clock);
  if (!source.ok()) return source.status();
  out.source = std::move(*source);
  out.keep_source_seq = false;
  out.description = "kernel";
  return out;
}

}  // namespace flowtop::replay
