#include "service/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cli/endpoint.h"
#include "core/files.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/reflection_v1.h"

namespace flowtop::service {
namespace {

// Returns the endpoint of a --listen value (port 0: any free port).
absl::StatusOr<cli::Endpoint> ListenEndpoint(const std::string& listen) {
  return cli::ParseEndpoint(listen, {.port_zero = true});
}

// Says why `listen` cannot be bound, by trying what gRPC tried: a TCP socket
// with SO_REUSEADDR (not SO_REUSEPORT) bound to the address. gRPC logs its
// reason but does not return it.
std::string WhyCannotBind(const std::string& listen, bool tls) {
  addrinfo hints = {};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  absl::StatusOr<cli::Endpoint> e = ListenEndpoint(listen);
  if (!e.ok()) return std::string(e.status().message());
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(e->host.c_str(), absl::StrCat(e->port).c_str(),
                             &hints, &found);
  if (rc != 0) return absl::StrCat("cannot resolve it: ", gai_strerror(rc));
  std::string why =
      tls ? "TLS could not start: does --tls-key belong to --tls-cert, and "
            "are they and --tls-client-ca valid PEM?"
          : "gRPC could not start on it";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const int err = bind(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    close(fd);
    if (err == EADDRINUSE) {
      why = "address in use (another flowtopd or program holds this port; "
            "stop it or choose another --listen port)";
      break;
    }
    if (err == EADDRNOTAVAIL) {
      why = "address not available (no interface of this host has it)";
      break;
    }
    if (err != 0) {
      why = std::strerror(err);
      break;
    }
  }
  freeaddrinfo(found);
  return why;
}

}  // namespace

absl::Status CheckListenAddress(const std::string& listen) {
  absl::StatusOr<cli::Endpoint> e = ListenEndpoint(listen);
  if (!e.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen: ", e.status().message(),
        "; give ADDR:PORT such as 127.0.0.1:9781 or [::1]:9781"));
  }
  return absl::OkStatus();
}

bool IsLoopbackListen(const std::string& listen) {
  absl::StatusOr<cli::Endpoint> e = ListenEndpoint(listen);
  if (!e.ok()) return false;
  const std::string& host = e->host;
  if (host == "localhost") return true;
  unsigned char addr[16];
  if (inet_pton(AF_INET, host.c_str(), addr) == 1) return addr[0] == 127;
  if (inet_pton(AF_INET6, host.c_str(), addr) == 1) {
    static const unsigned char kLoop[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                            0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(addr, kLoop, 16) == 0;
  }
  return false;
}

absl::Status CheckExposure(const ServerOptions& options) {
  if (absl::Status s = CheckListenAddress(options.listen); !s.ok()) return s;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: give both or neither");
  }
  const bool tls = !options.tls_cert_file.empty();
  if (!options.tls_client_ca_file.empty() && !tls) {
    return absl::InvalidArgumentError(
        "--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS)");
  }
  if (!IsLoopbackListen(options.listen) && !tls && !options.has_token &&
      !options.insecure) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to listen on ", options.listen,
        " without TLS or a token: anyone who can reach it could watch every "
        "connection of this host; give --tls-cert/--tls-key and/or "
        "--token-file, or --insecure if you really mean it"));
  }
  return absl::OkStatus();
}

static absl::StatusOr<std::string> ReadPem(const std::string& flag,
                                    const std::string& path,
                                    const char* begin_suffix,
                                    const char* what) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  const size_t begin = pem->find("-----BEGIN ");
  if (begin == std::string::npos ||
      pem->find(begin_suffix, begin) == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": '", path, "' is not a PEM ", what,
        " (no '-----BEGIN ...", begin_suffix, "' block)"));
  }
  return pem;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerOptions& options) {
  if (options.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert =
      ReadPem("--tls-cert", options.tls_cert_file, "CERTIFICATE-----",
              "certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key =
      ReadPem("--tls-key", options.tls_key_file, "PRIVATE KEY-----",
              "private key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!options.tls_client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(
        "--tls-client-ca", options.tls_client_ca_file, "CERTIFICATE-----",
        "CA certificate");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

absl::StatusOr<RunningServer> StartServer(const ServerOptions& options,
                                          FlowTopService* service) {
  if (absl::Status s = CheckExposure(options); !s.ok()) return s;
  auto creds = options.credentials != nullptr
                   ? absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>(
                         options.credentials)
                   : MakeServerCredentials(options);
  if (!creds.ok()) return creds.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  RunningServer running;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *creds, &running.port);
  builder.RegisterService(service);
  // v1 reflection beside the library's v1alpha; immutable, shared by every
  // server of the process and never destroyed (servers may outlive any
  // owner we could give it).
  static ReflectionV1Service* const reflection_v1 = new ReflectionV1Service({
      "flowtop.v1.FlowTop",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
  });
  builder.RegisterService(reflection_v1);
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  builder.SetMaxSendMessageSize(options.max_send_bytes);
  // Remote clients (RemoteSource) ping every 20 s to notice dead links;
  // allow that, also between streams.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  running.server = builder.BuildAndStart();
  if (running.server == nullptr || running.port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen, ": ",
        WhyCannotBind(options.listen, !options.tls_cert_file.empty())));
  }
  grpc::HealthCheckServiceInterface* health =
      running.server->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(true);
    health->SetServingStatus("flowtop.v1.FlowTop", true);
  }
  return running;
}

}  // namespace flowtop::service
