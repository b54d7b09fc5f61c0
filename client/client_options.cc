#include "client/client_options.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/files.h"

namespace flowtop::service {

using ::flowtop::collector::ReadFile;

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::string token = text->substr(0, text->find('\n'));
  absl::StripAsciiWhitespace(&token);
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("token file '", path, "' is empty"));
  }
  return token;
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
  if (!token.ok()) return token.status();
  options->token = *token;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const ClientOptions& options) {
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

}  // namespace flowtop::service
