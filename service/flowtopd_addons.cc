#include "service/flowtopd_addons.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collector/conntrack_stats.h"
#include "exporters/flow_counts.h"
#include "exporters/http_server.h"
#include "exporters/ipfix_exporter.h"
#include "exporters/metrics.h"
#include "client/client_options.h"
#include "service/server.h"

namespace flowtop::service {
namespace {

class IpfixAddon final : public Addon {
 public:
  explicit IpfixAddon(std::unique_ptr<exporters::IpfixExporter> exporter)
      : exporter_(std::move(exporter)) {}
  core::EventSink* sink() override { return exporter_.get(); }
  void FillStatus(v1::NodeStatus* status) const override {
    exporter_->FillStatus(status);
  }
  absl::Status Start() override {
    exporter_->Start();
    return absl::OkStatus();
  }
  void Stop() override { exporter_->Finish(); }

 private:
  std::unique_ptr<exporters::IpfixExporter> exporter_;
};

absl::StatusOr<std::unique_ptr<Addon>> MakeIpfix(const DaemonConfig& config,
                                                 const AddonContext& context) {
  exporters::IpfixOptions o;
  o.collectors = config.exports.ipfix;
  o.active_timeout = config.exports.active_timeout;
  o.template_refresh = config.exports.template_refresh;
  o.process_fields = config.exports.process_fields;
  o.pen = config.exports.pen;
  o.observation_domain = config.exports.observation_domain;
  o.max_message = config.exports.max_message;
  o.node = config.node_name;
  auto exporter = exporters::IpfixExporter::Create(o, *context.clock);
  if (!exporter.ok()) {
    return absl::Status(exporter.status().code(),
                        absl::StrCat("--ipfix: ", exporter.status().message()));
  }
  return std::unique_ptr<Addon>(std::make_unique<IpfixAddon>(*std::move(exporter)));
}

// --metrics: Prometheus text over HTTP(S). Flows by protocol and state come
// from its own FlowCounts sink; the rest from GetStatus and, for the kernel
// source, the kernel's conntrack statistics read at each scrape.
class MetricsAddon final : public Addon {
 public:
  MetricsAddon(exporters::HttpServerOptions options, AddonContext context,
               bool kernel)
      : options_(std::move(options)), context_(std::move(context)), kernel_(kernel) {}
  core::EventSink* sink() override { return &counts_; }
  absl::Status Start() override {
    auto server = exporters::HttpServer::Start(options_, [this] { return Render(); });
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    const std::string address = exporters::MetricsListenAddress(options_.listen);
    std::fprintf(stderr, "flowtopd: metrics on %s://%s:%d/metrics\n",
                 options_.tls_cert_pem.empty() ? "http" : "https",
                 address.substr(0, address.rfind(':')).c_str(), server_->port());
    return absl::OkStatus();
  }
  void Stop() override { server_.reset(); }

 private:
  std::string Render() {
    exporters::MetricsSnapshot snapshot;
    snapshot.status = context_.status();
    snapshot.flows = counts_.Counts();
    if (kernel_) {
      auto stats = collector::ReadConntrackStats();
      if (stats.ok()) {
        exporters::KernelConntrackCounters& k = snapshot.kernel.emplace();
        k.found = stats->found;
        k.invalid = stats->invalid;
        k.insert = stats->insert;
        k.insert_failed = stats->insert_failed;
        k.drop = stats->drop;
        k.early_drop = stats->early_drop;
        k.error = stats->error;
        k.search_restart = stats->search_restart;
        k.clash_resolve = stats->clash_resolve;
        k.chaintoolong = stats->chaintoolong;
      }
    }
    return exporters::RenderMetrics(snapshot);
  }

  const exporters::HttpServerOptions options_;
  const AddonContext context_;
  const bool kernel_;
  exporters::FlowCounts counts_;
  std::unique_ptr<exporters::HttpServer> server_;
};

absl::StatusOr<std::unique_ptr<Addon>> MakeMetrics(const DaemonConfig& config,
                                                   const AddonContext& context) {
  // The gRPC port's rules: off loopback only with TLS, a token or --insecure.
  ServerOptions exposure = config.server;
  exposure.listen = exporters::MetricsListenAddress(config.exports.metrics);
  exposure.has_token = !config.token_file.empty();
  exposure.tls_client_ca_file.clear();
  if (absl::Status s = CheckExposure(exposure); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--metrics: ", s.message()));
  }
  exporters::HttpServerOptions options;
  options.listen = config.exports.metrics;
  options.token = config.token;
  if (options.token.empty() && !config.token_file.empty()) {
    auto token = client::ReadTokenFile(config.token_file);
    if (!token.ok()) return token.status();
    options.token = *token;
  }
  options.tls_cert_pem = config.exports.tls_cert_pem;
  options.tls_key_pem = config.exports.tls_key_pem;
  return std::unique_ptr<Addon>(std::make_unique<MetricsAddon>(
      std::move(options), context, config.replay_file.empty()));
}

}  // namespace

absl::StatusOr<std::vector<std::unique_ptr<Addon>>> MakeFlowtopdAddons(
    const DaemonConfig& config, const AddonContext& context) {
  std::vector<std::unique_ptr<Addon>> addons;
  if (!config.exports.ipfix.empty()) {
    auto ipfix = MakeIpfix(config, context);
    if (!ipfix.ok()) return ipfix.status();
    addons.push_back(*std::move(ipfix));
  }
  if (!config.exports.metrics.empty()) {
    auto metrics = MakeMetrics(config, context);
    if (!metrics.ok()) return metrics.status();
    addons.push_back(*std::move(metrics));
  }
  return addons;
}

}  // namespace flowtop::service
