#include "client/client_options.h"

#include <grpc/support/log.h>

#include <cstdlib>

#include "absl/base/call_once.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/files.h"

namespace flowtop::client {

using ::flowtop::core::ReadFile;

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text =
      core::ReadBoundedFile(path, kMaxTokenFileBytes);
  if (!text.ok()) return text.status();
  std::string token = text->substr(0, text->find('\n'));
  absl::StripAsciiWhitespace(&token);
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("token file '", path, "' is empty"));
  }
  return token;
}

std::string TokenFileWarning(const std::string& path) {
  absl::StatusOr<mode_t> mode = core::FileMode(path);
  if (!mode.ok() || (*mode & 0077) == 0) return "";
  return absl::StrFormat(
      "warning: token file '%s' has mode %04o: other users may read the "
      "token; run chmod 600 '%s'",
      path, *mode & 0777, path);
}

bool ApplyClientOption(int opt, const char* arg, ClientOptions* options) {
  const std::string value = arg != nullptr ? arg : "";
  switch (opt) {
    case kClientFlagConnect: options->endpoint = value; return true;
    case kClientFlagTls: options->tls = true; return true;
    case kClientFlagTlsCa:
      options->tls_ca_file = value;
      options->tls = true;
      return true;
    case kClientFlagTlsCert: options->tls_cert_file = value; return true;
    case kClientFlagTlsKey: options->tls_key_file = value; return true;
    case kClientFlagTlsServerName: options->tls_server_name = value; return true;
    case kClientFlagTokenFile: options->token_file = value; return true;
    default: return false;
  }
}

absl::Status LoadToken(ClientOptions* options) {
  if (options->token_file.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> token = ReadTokenFile(options->token_file);
  if (!token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat("--token-file: ", token.status().message()));
  }
  options->token = *token;
  return absl::OkStatus();
}

namespace {

// gRPC core writes its own lines to stderr (a failed TLS handshake logs
// "E1203 ... Handshake failed ..."), which break a client's one-line error
// and the curses screen. Every failure reaches the user through the call's
// status ("got no data from HOST:PORT (Ssl handshake failed ...)"), so the
// client drops them, unless GRPC_VERBOSITY or GRPC_TRACE asks for them.
void QuietGrpcLogs() {
  static absl::once_flag once;
  absl::call_once(once, [] {
    if (std::getenv("GRPC_VERBOSITY") != nullptr || std::getenv("GRPC_TRACE") != nullptr) {
      return;
    }
    gpr_set_log_function([](gpr_log_func_args*) {});
  });
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const ClientOptions& options) {
  QuietGrpcLogs();
  if (options.endpoint.empty()) {
    return absl::InvalidArgumentError("--connect needs HOST:PORT");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: give both or neither");
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // Ping an idle link every 20 s so that a dead one is noticed within 30 s.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  const bool tls = options.tls || !options.tls_ca_file.empty() ||
                   !options.tls_cert_file.empty();
  if (!tls) {
    return grpc::CreateCustomChannel(options.endpoint,
                                     grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  if (!options.tls_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(options.tls_ca_file);
    if (!ca.ok()) return ca.status();
    // gRPC would log raw errors and retry forever on a file that is not PEM.
    if (ca->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--tls-ca: '", options.tls_ca_file,
          "' is not a PEM CA certificate (no '-----BEGIN CERTIFICATE-----' "
          "block)"));
    }
    ssl.pem_root_certs = *ca;
  }
  if (!options.tls_cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadFile(options.tls_cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(options.tls_key_file);
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
  }
  if (!options.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls_server_name);
  }
  return grpc::CreateCustomChannel(options.endpoint,
                                   grpc::SslCredentials(ssl), args);
}

void AddCredentials(const ClientOptions& options,
                    grpc::ClientContext* context) {
  if (!options.token.empty()) {
    context->AddMetadata("authorization",
                         absl::StrCat("Bearer ", options.token));
  }
}

}  // namespace flowtop::client
