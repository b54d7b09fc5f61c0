#include "service/flowtopd_addons.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "exporters/ipfix_exporter.h"

namespace flowtop::service {
namespace {

class IpfixAddon final : public Addon {
 public:
  explicit IpfixAddon(std::unique_ptr<exporters::IpfixExporter> exporter)
      : exporter_(std::move(exporter)) {}
  collector::EventSink* sink() override { return exporter_.get(); }
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

}  // namespace

absl::StatusOr<std::vector<std::unique_ptr<Addon>>> MakeFlowtopdAddons(
    const DaemonConfig& config, const AddonContext& context) {
  std::vector<std::unique_ptr<Addon>> addons;
  if (!config.exports.ipfix.empty()) {
    auto ipfix = MakeIpfix(config, context);
    if (!ipfix.ok()) return ipfix.status();
    addons.push_back(*std::move(ipfix));
  }
  return addons;
}

}  // namespace flowtop::service
