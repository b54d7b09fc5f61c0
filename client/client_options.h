// ClientOptions: how a client (the TUI's --connect, the recorder, tests)
// reaches a flowtopd: endpoint, TLS and bearer token. One struct and one set
// of flag names, so every flowtop client spells them the same way:
//
//   --connect HOST:PORT       the endpoint (repeatable in the TUI)
//   --tls                     use TLS with the system's trusted CAs
//   --tls-ca FILE             use TLS, trusting this CA (PEM); implies --tls
//   --tls-cert FILE           client certificate for mutual TLS (PEM)
//   --tls-key FILE            its private key (PEM)
//   --tls-server-name NAME    expected server name when it differs from HOST
//   --token-file FILE         send "authorization: Bearer <first line>"
#ifndef FLOWTOP_SERVICE_CLIENT_OPTIONS_H_
#define FLOWTOP_SERVICE_CLIENT_OPTIONS_H_

#include <getopt.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace flowtop::client {

inline constexpr char kFlagConnect[] = "connect";
inline constexpr char kFlagTls[] = "tls";
inline constexpr char kFlagTlsCa[] = "tls-ca";
inline constexpr char kFlagTlsCert[] = "tls-cert";
inline constexpr char kFlagTlsKey[] = "tls-key";
inline constexpr char kFlagTlsServerName[] = "tls-server-name";
inline constexpr char kFlagTokenFile[] = "token-file";

// The client flags as one group for getopt_long tables: each long option
// returns its id, and ApplyClientOption stores it. Ids start at 0x1000 so
// they never meet a short option or a binary's own long-only ids.
enum ClientFlag {
  kClientFlagConnect = 0x1000,
  kClientFlagTls,
  kClientFlagTlsCa,
  kClientFlagTlsCert,
  kClientFlagTlsKey,
  kClientFlagTlsServerName,
  kClientFlagTokenFile,
};

inline constexpr option kClientLongOptions[] = {
    {kFlagConnect, required_argument, nullptr, kClientFlagConnect},
    {kFlagTls, no_argument, nullptr, kClientFlagTls},
    {kFlagTlsCa, required_argument, nullptr, kClientFlagTlsCa},
    {kFlagTlsCert, required_argument, nullptr, kClientFlagTlsCert},
    {kFlagTlsKey, required_argument, nullptr, kClientFlagTlsKey},
    {kFlagTlsServerName, required_argument, nullptr, kClientFlagTlsServerName},
    {kFlagTokenFile, required_argument, nullptr, kClientFlagTokenFile},
};

struct ClientOptions;

// Stores client flag `opt` (a ClientFlag) with its argument in *options
// (--tls-ca implies --tls). Returns false, changing nothing, for any other
// option.
bool ApplyClientOption(int opt, const char* arg, ClientOptions* options);

struct ClientOptions {
  std::string endpoint;  // HOST:PORT
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
  std::string token_file;
  // The token itself; LoadToken() fills it from token_file.
  std::string token;
};

// Reads the first line of token_file into options->token (no-op without a
// file). Returns NOT_FOUND naming the file, or INVALID_ARGUMENT when empty.
absl::Status LoadToken(ClientOptions* options);

// The largest token file read (a token is one line).
inline constexpr size_t kMaxTokenFileBytes = 4096;

// Returns the token in a token file: its first line, trimmed. Errors as
// LoadToken, and INVALID_ARGUMENT for a file that is not regular or is larger
// than kMaxTokenFileBytes.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// Returns a warning when other users may read the token file (like ssh
// for private keys: mode 0644 hands the token to every local user), else "".
std::string TokenFileWarning(const std::string& path);

// Returns a channel to options.endpoint with the options' credentials
// (reads the PEM files); INVALID_ARGUMENT for a missing endpoint or a cert
// without key, NOT_FOUND naming an unreadable file.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const ClientOptions& options);

// Adds the bearer token (if any) to a call's metadata.
void AddCredentials(const ClientOptions& options,
                    grpc::ClientContext* context);

}  // namespace flowtop::client

#endif  // FLOWTOP_SERVICE_CLIENT_OPTIONS_H_
