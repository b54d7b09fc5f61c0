// Server: turns flowtopd's listening options into a running gRPC server that
// serves FlowTopService, server reflection and the standard health service.
//
// The exposure rule lives here: flows show who talks to whom, so listening
// on anything but loopback needs TLS or a bearer token, unless the operator
// says --insecure. TLS may require client certificates (mutual TLS).
#ifndef FLOWTOP_SERVICE_SERVER_H_
#define FLOWTOP_SERVICE_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/files.h"
#include "grpcpp/grpcpp.h"
#include "service/flowtop_service.h"

namespace flowtop::service {

inline constexpr int kDefaultPort = 9781;
inline constexpr char kDefaultListen[] = "127.0.0.1:9781";

struct ServerOptions {
  std::string listen = kDefaultListen;  // ADDR:PORT, [v6]:PORT; port 0 picks
  std::string tls_cert_file;            // PEM certificate chain
  std::string tls_key_file;             // PEM private key
  std::string tls_client_ca_file;       // PEM CA: require client certs
  bool has_token = false;               // a bearer token is configured
  bool insecure = false;                // allow non-loopback without both
  int max_receive_bytes = 1 << 20;      // largest request accepted
  int max_send_bytes = 64 << 20;        // largest response sent
  // Credentials made beforehand (flowtopd reads the PEM files before it
  // drops privileges); when null, StartServer makes them from the files.
  std::shared_ptr<grpc::ServerCredentials> credentials;
};

// Returns OK when `listen` is HOST:PORT or [V6]:PORT with a decimal port in
// 0..65535 (0 picks a free one), else INVALID_ARGUMENT saying what is wrong.
absl::Status CheckListenAddress(const std::string& listen);

// Returns whether the host part of ADDR:PORT is a loopback address
// (127.0.0.0/8, ::1, localhost).
bool IsLoopbackListen(const std::string& listen);

// Returns OK, or the error of CheckListenAddress, or FAILED_PRECONDITION
// explaining why this exposure is refused
// (non-loopback without TLS or token and without --insecure), or
// INVALID_ARGUMENT for an inconsistent TLS setup (cert without key, client CA
// without cert).
absl::Status CheckExposure(const ServerOptions& options);

// Returns the server credentials for the options (reads the PEM files), or
// NOT_FOUND / INVALID_ARGUMENT naming the file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerOptions& options);

struct RunningServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the bound port (useful with port 0)
};

// Builds and starts the server. The port is never shared (SO_REUSEPORT is
// off: another process, maybe of another user, must not receive our
// clients and their tokens). Returns UNAVAILABLE naming the cause when the
// address cannot be bound ("address in use", "permission denied", ...), or
// the errors of CheckExposure and MakeServerCredentials.
absl::StatusOr<RunningServer> StartServer(const ServerOptions& options,
                                          FlowTopService* service);

using ::flowtop::core::ReadFile;  // core/files.h

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_SERVER_H_
