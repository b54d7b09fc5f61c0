#include "service/daemon.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "check/check.h"
#include "cli/endpoint.h"
#include "collector/enrich/enricher.h"
#include "core/version.h"
#include "client/client_options.h"
#include "service/privileges.h"
#include "service/protobuf_log.h"

namespace flowtop::service {
namespace {

// The write end of the self-pipe. A signal handler can reach nothing else,
// so this is the one piece of process-wide state flowtopd has.
int g_signal_pipe = -1;
constexpr unsigned char kSourceEnded = 0xff;

void OnSignal(int sig) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(sig);
  (void)!write(g_signal_pipe, &byte, 1);
  errno = saved;
}

// Returns "ADDR:PORT" with the port replaced by the bound one.
std::string BoundAddress(const std::string& listen, int port) {
  absl::StatusOr<cli::Endpoint> e =
      cli::ParseEndpoint(listen, {.empty_host = true, .port_zero = true});
  return e.ok() ? cli::FormatEndpoint(e->host, static_cast<uint16_t>(port))
                : listen;
}

// Returns the port of a --listen or --metrics value (0 when it has none).
int ListenPort(const std::string& listen) {
  absl::StatusOr<cli::Endpoint> e =
      cli::ParseEndpoint(listen, {.empty_host = true, .port_zero = true});
  return e.ok() ? e->port : 0;
}

// Returns the options that changed between a and b and only take effect at
// start-up, e.g. "--listen, --ring-size" (empty when none did).
std::string NeedsRestart(const DaemonConfig& a, const DaemonConfig& b) {
  std::vector<std::string> changed;
  auto check = [&](bool differs, const char* name) {
    if (differs) changed.push_back(name);
  };
  check(a.server.listen != b.server.listen, "--listen");
  check(a.server.tls_cert_file != b.server.tls_cert_file, "--tls-cert");
  check(a.server.tls_key_file != b.server.tls_key_file, "--tls-key");
  check(a.server.tls_client_ca_file != b.server.tls_client_ca_file,
        "--tls-client-ca");
  check(a.server.insecure != b.server.insecure, "--insecure");
  check(a.node_name != b.node_name, "--node-name");
  check(a.ring_size != b.ring_size, "--ring-size");
  check(a.max_streams != b.max_streams, "--max-streams");
  check(a.user != b.user, "--user");
  const CollectorFlags& x = a.collector;
  const CollectorFlags& y = b.collector;
  check(x.ipv4 != y.ipv4 || x.ipv6 != y.ipv6 || x.tcp != y.tcp ||
            x.udp != y.udp || x.dccp != y.dccp || x.icmp != y.icmp ||
            x.sctp != y.sctp || x.interval != y.interval ||
            x.max_flows != y.max_flows || x.rcvbuf != y.rcvbuf,
        "collector options");
  return absl::StrJoin(changed, ", ");
}

}  // namespace

// The pipeline's enrichment sink, whose Enricher can be replaced while events
// flow (SIGHUP re-reads GeoIP databases and service names).
class EnrichSlot final : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    absl::ReaderMutexLock lock(&mu_);
    if (enricher_ != nullptr) enricher_->Publish(events);
  }
  // The process attribution in use (GetStatus).
  collector::enrich::AttributionMode attribution() const {
    absl::ReaderMutexLock lock(&mu_);
    return enricher_ != nullptr ? enricher_->attribution_mode()
                                : collector::enrich::AttributionMode{};
  }
  collector::enrich::EnricherStats stats() {
    absl::ReaderMutexLock lock(&mu_);
    return enricher_ != nullptr ? enricher_->stats()
                                : collector::enrich::EnricherStats{};
  }
  // Installs `next`; the previous one is stopped after the swap (its
  // workers may still publish into the pipeline meanwhile).
  void Replace(std::unique_ptr<collector::enrich::Enricher> next) {
    {
      absl::MutexLock lock(&mu_);
      enricher_.swap(next);
    }
    next.reset();
  }

 private:
  mutable absl::Mutex mu_;
  std::unique_ptr<collector::enrich::Enricher> enricher_ ABSL_GUARDED_BY(mu_);
};

// GetStatus' node figures: the source's, and which process attribution
// the enrichment uses.
class DaemonStatus final : public SourceStatus {
 public:
  DaemonStatus(const SourceStatus* source, const EnrichSlot* enrich, std::string off_reason)
      : source_(source), enrich_(enrich), off_reason_(std::move(off_reason)) {}
  void FillStatus(v1::NodeStatus* status) const override {
    if (source_ != nullptr) source_->FillStatus(status);
    collector::enrich::AttributionMode mode;
    if (enrich_ != nullptr) {
      mode = enrich_->attribution();
    } else {
      mode.detail = off_reason_;
    }
    status->set_process_attribution(mode.mode);
    status->set_process_attribution_detail(mode.detail);
  }

 private:
  const SourceStatus* const source_;
  const EnrichSlot* const enrich_;
  const std::string off_reason_;
};

namespace {

// Returns an Enricher for the configuration, its hints printed on stderr.
std::unique_ptr<collector::enrich::Enricher> MakeEnricher(
    const DaemonConfig& config, core::EventSink& pipeline,
    const core::Clock& clock) {
  collector::enrich::EnricherOptions options;
  options.no_dns = config.enrich.no_dns;
  options.no_geoip = config.enrich.no_geoip;
  options.no_process = config.enrich.no_process;
  options.no_bpf = config.enrich.no_bpf;
  options.geoip.files = config.enrich.geoip_files;
  if (!config.enrich.geoip_dirs.empty()) {
    options.geoip.dirs = config.enrich.geoip_dirs;
  }
  auto enricher = collector::enrich::Enricher::Create(options, pipeline, clock);
  for (const std::string& hint : enricher->hints()) {
    std::fprintf(stderr, "flowtopd: enrichment: %s\n", hint.c_str());
  }
  // The fallback is among the hints; say which mode is in use in any case.
  if (enricher->attribution_mode().mode == "ebpf") {
    std::fprintf(stderr, "flowtopd: enrichment: %s\n",
                 collector::enrich::DescribeAttribution(enricher->attribution_mode()).c_str());
  }
  return enricher;
}

}  // namespace

absl::StatusOr<std::string> LoadServerToken(const DaemonConfig& config) {
  if (config.token_file.empty()) return std::string();
  absl::StatusOr<std::string> token = client::ReadTokenFile(config.token_file);
  if (!token.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token-file: ", token.status().message()));
  }
  return token;
}

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(
    const DaemonConfig& config, SourceBundle source,
    const core::Clock& clock, const AddonFactory& addons) {
  absl::StatusOr<std::string> token =
      config.token.empty() ? LoadServerToken(config) : config.token;
  if (!token.ok()) return token.status();
  std::unique_ptr<Daemon> d(new Daemon());
  // The ring is the pipeline's only sink here, so it may take the events.
  auto ring = EventRing::Create(config.ring_size, /*move_events=*/true);
  if (!ring.ok()) return ring.status();
  d->ring_ = *std::move(ring);
  d->pipeline_ = std::make_unique<core::Pipeline>(
      core::PipelineOptions{.node = config.node_name,
                                 .max_flows = config.collector.max_flows,
                                 .keep_source_seq = source.keep_source_seq,
                                 .stamp_node = source.rename_node},
      clock);
  d->clock_ = &clock;
  if (!config.enrich.off && source.enrich) {
    if (absl::Status s = d->AddEnrichment(config, clock); !s.ok()) return s;
  }
  if (absl::Status s = d->AddAddons(config, clock, addons); !s.ok()) return s;
  // Last: the ring takes the events (move mode).
  d->pipeline_->AddSink(d->ring_.get());
  d->source_ = std::move(source);
  if (absl::Status s = d->Serve(config, *token, clock); !s.ok()) return s;
  for (auto& addon : d->addons_) {
    if (absl::Status s = addon->Start(); !s.ok()) return s;
  }
  d->StartSource();
  return d;
}

absl::Status Daemon::AddEnrichment(const DaemonConfig& config,
                                   const core::Clock& clock) {
  enrich_ = std::make_unique<EnrichSlot>();
  enrich_->Replace(MakeEnricher(config, *pipeline_, clock));
  pipeline_->AddSink(enrich_.get());
  return absl::OkStatus();
}

absl::Status Daemon::AddAddons(const DaemonConfig& config,
                               const core::Clock& clock,
                               const AddonFactory& addons) {
  if (!addons) return absl::OkStatus();
  AddonContext context;
  context.pipeline = pipeline_.get();
  context.status = [this] { return service_->Status(); };
  context.clock = &clock;
  auto made = addons(config, context);
  if (!made.ok()) return made.status();
  addons_ = *std::move(made);
  for (auto& addon : addons_) {
    if (addon->sink() != nullptr) pipeline_->AddSink(addon->sink());
  }
  return absl::OkStatus();
}

void Daemon::FillEnrichmentStatus(v1::NodeStatus* status) const {
  if (enrich_ != nullptr) {
    const collector::enrich::EnricherStats e = enrich_->stats();
    v1::EnrichmentStatus* out = status->mutable_enrichment();
    out->set_queued(e.queued);
    out->set_skipped(e.skipped);
    out->set_enriched(e.enriched);
    out->set_hostname_events(e.hostname_events);
    out->set_stale(e.stale);
  }
  for (const auto& addon : addons_) addon->FillStatus(status);
}

absl::Status Daemon::Serve(const DaemonConfig& config, const std::string& token,
                           const core::Clock& clock) {
  ServiceOptions service_options;
  service_options.max_streams = config.max_streams;
  service_options.token = token;
  service_options.source = source_.name;
  service_options.stream_clock = source_.stream_clock;
  service_options.fill_status = [this](v1::NodeStatus* status) {
    FillEnrichmentStatus(status);
  };
  status_ = std::make_unique<DaemonStatus>(
      source_.status, enrich_.get(),
      config.enrich.off ? "--no-enrich" : "the source's flows are not enriched here");
  service_ = std::make_unique<FlowTopService>(
      service_options, *pipeline_, *ring_, clock, status_.get());
  ServerOptions server_options = config.server;
  server_options.has_token = !token.empty();
  absl::StatusOr<RunningServer> running =
      StartServer(server_options, service_.get());
  if (!running.ok()) return running.status();
  server_ = std::move(running->server);
  port_ = running->port;
  return absl::OkStatus();
}

void Daemon::StartSource() {
  source_thread_ = std::thread([this] {
    const absl::Status result = source_.source->Run(*pipeline_);
    std::function<void()> fn;
    {
      absl::MutexLock lock(&mu_);
      source_ended_ = true;
      source_result_ = result;
      fn = on_source_end_;
    }
    if (fn) fn();
  });
}

void Daemon::OnSourceEnd(std::function<void()> fn) {
  bool ended;
  {
    absl::MutexLock lock(&mu_);
    on_source_end_ = fn;
    ended = source_ended_;
  }
  if (ended && fn) fn();
}

absl::Status Daemon::Reload(const DaemonConfig& config) {
  absl::StatusOr<std::string> token = LoadServerToken(config);
  if (!token.ok()) return token.status();
  if (token->empty() && !config.server.insecure &&
      config.server.tls_cert_file.empty() &&
      !IsLoopbackListen(config.server.listen)) {
    return absl::FailedPreconditionError(
        "reload would remove the token from a non-loopback listener; "
        "keeping the old token");
  }
  service_->SetToken(*token);
  if (enrich_ != nullptr) {
    enrich_->Replace(MakeEnricher(config, *pipeline_, *clock_));
  }
  return absl::OkStatus();
}

absl::Status Daemon::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return source_result_;
    stopped_ = true;
  }
  // Start may have failed half way: any part may be missing.
  if (service_ != nullptr) service_->Shutdown();
  if (source_.source != nullptr) source_.source->Stop();
  if (source_thread_.joinable()) source_thread_.join();
  // Every event is in: the exporters send their last records.
  for (auto& addon : addons_) addon->Stop();
  if (ring_ != nullptr) ring_->Close();
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  }
  absl::MutexLock lock(&mu_);
  return source_result_;
}

Daemon::~Daemon() {
  Stop().IgnoreError();
  server_.reset();
  service_.reset();
  enrich_.reset();  // joins its workers while the pipeline still exists
  addons_.clear();
}

namespace {

// --check: what works here for this configuration; 0 when flowtopd can
// work (a replay needs no kernel).
int RunCheck(const DaemonConfig& config) {
  check::CheckOptions options;
  options.program = "flowtopd";
  options.dns = !config.enrich.no_dns && !config.enrich.off;
  options.rcvbuf = config.collector.rcvbuf;
  options.geoip_files = config.enrich.geoip_files;
  options.geoip_dirs = config.enrich.geoip_dirs;
  options.enable_conntrack = config.enable_conntrack;
  const check::CheckReport report = check::RunChecks(options);
  std::fputs(check::FormatReport(report, options).c_str(), stdout);
  return report.CanWork() || !config.replay_file.empty() ? 0 : 1;
}

}  // namespace

namespace {

// Prints "flowtopd: <message>" on stderr.
void PrintError(absl::string_view message) {
  std::fprintf(stderr, "flowtopd: %s\n", std::string(message).c_str());
}

// Answers --help, --version and --check, and refuses an exposure
// CheckExposure forbids. Returns the exit code when flowtopd ends here.
std::optional<int> AnswerWithoutServing(const DaemonConfig& config) {
  if (config.help) {
    std::fputs(Usage().c_str(), stdout);
    return 0;
  }
  if (config.version) {
    std::printf("flowtopd %s\n%s\n", kVersion, kGeoAttribution);
    return 0;
  }
  if (config.check) return RunCheck(config);
  ServerOptions exposure = config.server;
  exposure.has_token = !config.token_file.empty();
  if (absl::Status s = CheckExposure(exposure); !s.ok()) {
    PrintError(s.message());
    return 2;
  }
  return std::nullopt;
}

// Signals become bytes on a pipe that the main thread reads (the self-pipe
// pattern): whichever thread the kernel picks to run the handler, the
// request reaches ServeUntilStopped, which does the real work.
bool InstallSignalPipe(int signal_pipe[2]) {
  if (pipe2(signal_pipe, O_CLOEXEC) != 0) {
    std::perror("flowtopd: pipe");
    return false;
  }
  g_signal_pipe = signal_pipe[1];
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}

// Reads what root alone may read (the token, the TLS keys, for gRPC and
// --metrics) into `config`, before privileges go.
absl::Status ReadSecrets(DaemonConfig* config) {
  absl::StatusOr<std::string> token = LoadServerToken(*config);
  if (!token.ok()) return token.status();
  config->token = *token;
  if (const std::string w = client::TokenFileWarning(config->token_file); !w.empty()) {
    PrintError(w);
  }
  auto credentials = MakeServerCredentials(config->server);
  if (!credentials.ok()) return credentials.status();
  config->server.credentials = *credentials;
  if (!config->exports.metrics.empty() && !config->server.tls_cert_file.empty()) {
    // The metrics endpoint serves TLS with the same files as gRPC.
    absl::StatusOr<std::string> cert = ReadFile(config->server.tls_cert_file);
    absl::StatusOr<std::string> key = ReadFile(config->server.tls_key_file);
    if (!cert.ok() || !key.ok()) {
      return absl::Status((!cert.ok() ? cert : key).status().code(),
                          absl::StrCat("--metrics: ",
                                       (!cert.ok() ? cert : key).status().message()));
    }
    config->exports.tls_cert_pem = *cert;
    config->exports.tls_key_pem = *key;
  }
  return absl::OkStatus();
}

// Drops root's privileges (or becomes --user), keeping what the listeners
// need.
absl::Status DropPrivilegesFor(const DaemonConfig& config) {
  if (geteuid() != 0 && config.user.empty()) return absl::OkStatus();
  PrivilegeOptions privileges;
  privileges.keep = DefaultKeptCapabilities(ListenPort(config.server.listen));
  const int metrics_port = ListenPort(config.exports.metrics);
  if (metrics_port > 0 && metrics_port < 1024) {
    privileges.keep.push_back(CAP_NET_BIND_SERVICE);
  }
  privileges.user = config.user;
  if (absl::Status s = DropPrivileges(privileges); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("dropping privileges: ", s.message()));
  }
  return absl::OkStatus();
}

// SIGHUP: parses the command line and the config file again and applies
// what can change while running; says what needs a restart.
void ReloadOnSighup(int argc, char** argv, const DaemonConfig& running,
                    Daemon& daemon) {
  absl::StatusOr<DaemonConfig> reloaded = ParseCommandLine(argc, argv);
  absl::Status s = reloaded.ok() ? daemon.Reload(*reloaded) : reloaded.status();
  std::fprintf(stderr, "flowtopd: SIGHUP: %s\n",
               s.ok() ? "configuration reloaded" : std::string(s.message()).c_str());
  if (!s.ok()) return;
  const std::string changed = NeedsRestart(running, *reloaded);
  if (!changed.empty()) {
    std::fprintf(stderr,
                 "flowtopd: SIGHUP: %s changed; restart flowtopd to apply it\n",
                 changed.c_str());
  }
}

// Serves until a signal (or the source's end) arrives on the pipe; reloads
// on SIGHUP. Returns the exit code.
int ServeUntilStopped(int argc, char** argv, const DaemonConfig& config,
                      int signal_read_fd, std::unique_ptr<Daemon> daemon) {
  while (true) {
    unsigned char byte = 0;
    const ssize_t n = read(signal_read_fd, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    const int sig = n == 1 ? byte : SIGTERM;
    if (sig == SIGHUP) {
      ReloadOnSighup(argc, argv, config, *daemon);
      continue;
    }
    const absl::Status result = daemon->Stop();
    daemon.reset();
    if (sig == kSourceEnded && !result.ok()) {
      std::fprintf(stderr, "flowtopd: the event source failed: %s\n",
                   std::string(result.message()).c_str());
      return 1;
    }
    std::fprintf(stderr, "flowtopd: stopped\n");
    return 0;
  }
}

}  // namespace

int RunDaemon(int argc, char** argv, const SourceFactory& make_source,
              const AddonFactory& make_addons) {
  absl::StatusOr<DaemonConfig> config = ParseCommandLine(argc, argv);
  if (!config.ok()) {
    PrintError(config.status().message());
    return 2;
  }
  if (std::optional<int> code = AnswerWithoutServing(*config)) return *code;
  BoundProtobufLog();
  int signal_pipe[2];
  if (!InstallSignalPipe(signal_pipe)) return 1;
  absl::StatusOr<SourceBundle> source = make_source(*config);
  if (!source.ok()) {
    PrintError(source.status().message());
    return 1;
  }
  if (absl::Status s = ReadSecrets(&*config); !s.ok()) {
    PrintError(s.message());
    return 1;
  }
  if (absl::Status s = DropPrivilegesFor(*config); !s.ok()) {
    PrintError(s.message());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Daemon>> daemon =
      Daemon::Start(*config, *std::move(source), core::RealClock::Get(),
                    make_addons);
  if (!daemon.ok()) {
    PrintError(daemon.status().message());
    return absl::IsInvalidArgument(daemon.status()) ? 2 : 1;
  }
  const int source_end_fd = signal_pipe[1];
  (*daemon)->OnSourceEnd([source_end_fd] {
    const unsigned char byte = kSourceEnded;
    (void)!write(source_end_fd, &byte, 1);
  });
  std::printf("flowtopd: listening on %s\n",
              BoundAddress(config->server.listen, (*daemon)->port()).c_str());
  std::fflush(stdout);
  return ServeUntilStopped(argc, argv, *config, signal_pipe[0],
                           *std::move(daemon));
}

}  // namespace flowtop::service
