#include "service/daemon_config.h"

#include <getopt.h>
#include <unistd.h>

#include <functional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/cli_util.h"
#include "service/event_ring.h"

namespace flowtop::service {
namespace {

using Setter = std::function<absl::Status(DaemonConfig*, const std::string&)>;

struct Option {
  const char* name;
  char short_name;  // 0: long only
  bool has_arg;
  bool command_line_only;
  Setter set;
};

using cli::Bad;

absl::StatusOr<bool> ParseBool(const std::string& value) {
  const std::string v = absl::AsciiStrToLower(value);
  if (v.empty() || v == "true" || v == "yes" || v == "1" || v == "on") {
    return true;
  }
  if (v == "false" || v == "no" || v == "0" || v == "off") return false;
  return absl::InvalidArgumentError("is not true/false");
}

// The setter of protocol-selection option `opt` (cli::ProtocolFlag): the
// flag sets it, the config file may set it true or false.
Setter ProtocolSetter(int opt) {
  return [opt](DaemonConfig* c, const std::string& v) -> absl::Status {
    absl::StatusOr<bool> b = ParseBool(v);
    if (!b.ok()) return b.status();
    *cli::ProtocolFlag(opt, &c->collector) = *b;
    return absl::OkStatus();
  };
}

// Appends the protocol-selection group (cli::kProtocolLongOptions) to
// `options` as flags that are also config keys.
void AddProtocolGroup(std::vector<Option>* options) {
  for (const option& o : cli::kProtocolLongOptions) {
    options->push_back({o.name, static_cast<char>(o.val), false, false,
                        ProtocolSetter(o.val)});
  }
}

Setter Text(std::string ServerOptions::*field) {
  return [field](DaemonConfig* c, const std::string& v) {
    c->server.*field = v;
    return absl::OkStatus();
  };
}

Setter Text(std::string DaemonConfig::*field) {
  return [field](DaemonConfig* c, const std::string& v) {
    c->*field = v;
    return absl::OkStatus();
  };
}

const std::vector<Option>& Options() {
  static const std::vector<Option>* const options = [] {
    auto* list = new std::vector<Option>{
      {"listen", 0, true, false, Text(&ServerOptions::listen)},
      {"node-name", 0, true, false, Text(&DaemonConfig::node_name)},
      {"ring-size", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         uint64_t n;
         if (!absl::SimpleAtoi(v, &n)) return Bad("ring-size", v, "is not a number");
         if (!EventRing::Create(n).ok()) {
           return Bad("ring-size", v,
                      absl::StrCat("is not a power of two between 2 and ",
                                   EventRing::kMaxCapacity));
         }
         c->ring_size = n;
         return absl::OkStatus();
       }},
      {"config", 0, true, true, Text(&DaemonConfig::config_file)},
      {"interval", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::Duration d;
         if (!cli::ReadDuration(v, &d)) {
           return Bad("interval", v, "is not a duration (e.g. 1s, 500ms)");
         }
         if (d < absl::Milliseconds(100) || d > absl::Hours(1)) {
           return Bad("interval", v, "must be between 100ms and 1h");
         }
         c->collector.interval = d;
         return absl::OkStatus();
       }},
      {"max-flows", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         uint64_t n;
         if (!absl::SimpleAtoi(v, &n) || n == 0) {
           return Bad("max-flows", v, "is not a positive number");
         }
         c->collector.max_flows = n;
         return absl::OkStatus();
       }},
      {"rcvbuf", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         int n;
         if (!absl::SimpleAtoi(v, &n) || n < 4096) {
           return Bad("rcvbuf", v, "is not a byte count of at least 4096");
         }
         c->collector.rcvbuf = n;
         return absl::OkStatus();
       }},
      {"no-dns", 'n', false, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::StatusOr<bool> b = ParseBool(v);
         if (!b.ok()) return Bad("no-dns", v, "is not true/false");
         c->enrich.no_dns = *b;
         return absl::OkStatus();
       }},
      {"no-geoip", 'G', false, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::StatusOr<bool> b = ParseBool(v);
         if (!b.ok()) return Bad("no-geoip", v, "is not true/false");
         c->enrich.no_geoip = *b;
         return absl::OkStatus();
       }},
      {"no-process", 0, false, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::StatusOr<bool> b = ParseBool(v);
         if (!b.ok()) return Bad("no-process", v, "is not true/false");
         c->enrich.no_process = *b;
         return absl::OkStatus();
       }},
      {"no-bpf", 0, false, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::StatusOr<bool> b = ParseBool(v);
         if (!b.ok()) return Bad("no-bpf", v, "is not true/false");
         c->enrich.no_bpf = *b;
         return absl::OkStatus();
       }},
      {"no-enrich", 0, false, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::StatusOr<bool> b = ParseBool(v);
         if (!b.ok()) return Bad("no-enrich", v, "is not true/false");
         c->enrich.off = *b;
         return absl::OkStatus();
       }},
      {"geoip-db", 0, true, false,
       [](DaemonConfig* c, const std::string& v) {
         c->enrich.geoip_files.push_back(v);
         return absl::OkStatus();
       }},
      {"geoip-dir", 0, true, false,
       [](DaemonConfig* c, const std::string& v) {
         c->enrich.geoip_dirs.push_back(v);
         return absl::OkStatus();
       }},
      {"tls-cert", 0, true, false, Text(&ServerOptions::tls_cert_file)},
      {"tls-key", 0, true, false, Text(&ServerOptions::tls_key_file)},
      {"tls-client-ca", 0, true, false,
       Text(&ServerOptions::tls_client_ca_file)},
      {"token-file", 0, true, false, Text(&DaemonConfig::token_file)},
      {"insecure", 0, false, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::StatusOr<bool> b = ParseBool(v);
         if (!b.ok()) return Bad("insecure", v, "is not true/false");
         c->server.insecure = *b;
         return absl::OkStatus();
       }},
      {"max-streams", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         int n;
         if (!absl::SimpleAtoi(v, &n) || n < 1 || n > 10000) {
           return Bad("max-streams", v, "is not a number from 1 to 10000");
         }
         c->max_streams = n;
         return absl::OkStatus();
       }},
      {"user", 0, true, false, Text(&DaemonConfig::user)},
      {"replay", 0, true, false, Text(&DaemonConfig::replay_file)},
      {"replay-speed", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::StatusOr<double> speed = cli::ParseSpeed(v);
         if (!speed.ok()) {
           return Bad("replay-speed", v, "is not a positive factor (1, 4) or 'max'");
         }
         c->replay_speed = *speed;
         return absl::OkStatus();
       }},
      {"replay-loop", 0, false, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::StatusOr<bool> b = ParseBool(v);
         if (!b.ok()) return Bad("replay-loop", v, "is not true/false");
         c->replay_loop = *b;
         return absl::OkStatus();
       }},
      {"enable-conntrack", 0, false, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::StatusOr<bool> b = ParseBool(v);
         if (!b.ok()) return Bad("enable-conntrack", v, "is not true/false");
         c->enable_conntrack = *b;
         return absl::OkStatus();
       }},
      {"check", 0, false, true,
       [](DaemonConfig* c, const std::string&) {
         c->check = true;
         return absl::OkStatus();
       }},
      {"ipfix", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         if (v.find(':') == std::string::npos) {
           return Bad("ipfix", v, "is not HOST:PORT (e.g. 127.0.0.1:4739)");
         }
         c->exports.ipfix.push_back(v);
         return absl::OkStatus();
       }},
      {"ipfix-active-timeout", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::Duration d;
         if (!cli::ReadDuration(v, &d)) {
           return Bad("ipfix-active-timeout", v, "is not a duration (e.g. 60s, 5m)");
         }
         if (d < absl::Seconds(1) || d > absl::Hours(24)) {
           return Bad("ipfix-active-timeout", v, "must be between 1s and 24h");
         }
         c->exports.active_timeout = d;
         return absl::OkStatus();
       }},
      {"ipfix-template-refresh", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::Duration d;
         if (!cli::ReadDuration(v, &d)) {
           return Bad("ipfix-template-refresh", v, "is not a duration (e.g. 60s)");
         }
         if (d < absl::Seconds(1) || d > absl::Hours(24)) {
           return Bad("ipfix-template-refresh", v, "must be between 1s and 24h");
         }
         c->exports.template_refresh = d;
         return absl::OkStatus();
       }},
      {"ipfix-process", 0, false, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         absl::StatusOr<bool> b = ParseBool(v);
         if (!b.ok()) return Bad("ipfix-process", v, "is not true/false");
         c->exports.process_fields = *b;
         return absl::OkStatus();
       }},
      {"ipfix-pen", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         uint32_t n;
         if (!absl::SimpleAtoi(v, &n) || n == 0) {
           return Bad("ipfix-pen", v, "is not a Private Enterprise Number");
         }
         c->exports.pen = n;
         return absl::OkStatus();
       }},
      {"ipfix-domain", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         uint32_t n;
         if (!absl::SimpleAtoi(v, &n) || n == 0) {
           return Bad("ipfix-domain", v, "is not a number from 1 to 4294967295");
         }
         c->exports.observation_domain = n;
         return absl::OkStatus();
       }},
      {"ipfix-mtu", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         uint32_t n;
         if (!absl::SimpleAtoi(v, &n) || n < 512 || n > 65535) {
           return Bad("ipfix-mtu", v, "is not a message size from 512 to 65535");
         }
         c->exports.max_message = n;
         return absl::OkStatus();
       }},
      {"metrics", 0, true, false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         if (v.empty()) return Bad("metrics", v, "is not ADDR:PORT or PORT");
         c->exports.metrics = v;
         return absl::OkStatus();
       }},
      {"version", 'v', false, true,
       [](DaemonConfig* c, const std::string&) {
         c->version = true;
         return absl::OkStatus();
       }},
      {"help", 'h', false, true,
       [](DaemonConfig* c, const std::string&) {
         c->help = true;
         return absl::OkStatus();
       }},
    };
    AddProtocolGroup(list);
    return list;
  }();
  return *options;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string Usage() {
  return absl::StrCat(
      "Usage: flowtopd [options]\n"
      "Serves the kernel's conntrack flow events over gRPC "
      "(flowtop.v1.FlowTop).\n"
      "Every long option can also be set in the config file as "
      "'name = value'.\n\n"
      "  --listen ADDR:PORT      where to serve (default ",
      kDefaultListen,
      "; port 0 picks one and prints it)\n"
      "  --node-name NAME        node name in every event (default: host "
      "name)\n"
      "  --ring-size N           events kept for clients, a power of two "
      "(default 65536)\n"
      "  --config FILE           config file (default ",
      kDefaultConfigFile,
      " if it exists)\n"
      "  --tls-cert FILE         TLS certificate chain (PEM)\n"
      "  --tls-key FILE          TLS private key (PEM)\n"
      "  --tls-client-ca FILE    require client certificates from this CA "
      "(mutual TLS)\n"
      "  --token-file FILE       require 'authorization: Bearer <token>' "
      "(first line of FILE)\n"
      "  --insecure              allow a non-loopback --listen without TLS "
      "or token\n"
      "  --max-streams N         concurrent GetFlows streams (default 64)\n"
      "  --user NAME             run as this user after start-up\n"
      "Collector:\n"
      "  -4, --ipv4  -6, --ipv6  only these address families (default "
      "both)\n"
      "  -T, --tcp  -U, --udp  -D, --dccp  -I, --icmp  -S, --sctp\n"
      "                          only these protocols (default all)\n"
      "  --interval DURATION     counter refresh (default 1s)\n"
      "  --max-flows N           flow table limit (default 1048576)\n"
      "  --rcvbuf BYTES          netlink receive buffer (default 67108864)\n"
      "Replay (serve a recording made by 'flowtop record' as a live node):\n"
      "  --replay FILE           serve FILE instead of the kernel\n"
      "  --replay-speed S        1 = as recorded (default), 4, max\n"
      "  --replay-loop           start over at the end (default: keep the "
      "final table)\n"
      "Enrichment (off the event path):\n"
      "  -n, --no-dns            no reverse DNS\n"
      "  -G, --no-geoip          no GeoIP\n"
      "  --no-process            no process attribution\n"
      "  --no-bpf                process attribution without eBPF (sock_diag\n"
      "                          only: short-lived clients may show \"-\")\n"
      "  --no-enrich             none of the three (nor service names)\n"
      "  --geoip-db FILE         a GeoIP .mmdb database (repeatable)\n"
      "  --geoip-dir DIR         use every *.mmdb in DIR (repeatable; default\n"
      "                          /usr/share/GeoIP, /var/lib/GeoIP, "
      "~/.local/share/flowtop)\n"
      "Host:\n"
      "  --enable-conntrack      make the kernel track this namespace's flows\n"
      "                          while flowtopd runs (a minimal nftables table,\n"
      "                          removed on exit); for hosts without firewall rules\n"
      "  --check                 say what works here and what to do, then exit\n"
      "                          (non-zero when flowtopd cannot work)\n"
      "Export (see docs/export.md):\n"
      "  --ipfix HOST:PORT       send IPFIX flow records to a collector; UDP,\n"
      "                          or tcp://HOST:PORT (repeatable)\n"
      "  --ipfix-active-timeout D  a record for long flows this often "
      "(default 60s)\n"
      "  --ipfix-template-refresh D  UDP: templates again this often "
      "(default 60s)\n"
      "  --ipfix-process         add process, user, unit and container "
      "(enterprise elements)\n"
      "  --ipfix-pen N           their Private Enterprise Number (default "
      "32473)\n"
      "  --ipfix-domain N        observation domain (default: from the node "
      "name)\n"
      "  --ipfix-mtu BYTES       IPFIX message size at most (default 1400)\n"
      "  --metrics ADDR:PORT     serve Prometheus metrics over HTTP at "
      "/metrics\n"
      "                          (PORT alone: loopback; elsewhere the "
      "--listen rules\n"
      "                          apply: --tls-cert/--tls-key, --token-file "
      "or --insecure)\n"
      "  -v, --version           print the version and exit\n"
      "  -h, --help              print this help and exit\n"
      "Signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads the config "
      "file, the token and the GeoIP databases.\n");
}

absl::Status ApplyConfigText(const std::string& name, const std::string& text,
                             DaemonConfig* config) {
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view line = raw.substr(0, raw.find('#'));
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const std::string where = absl::StrCat(name, ":", line_number, ": ");
    std::string key, value;
    if (const size_t eq = line.find('='); eq != absl::string_view::npos) {
      key = std::string(absl::StripAsciiWhitespace(line.substr(0, eq)));
      value = std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    } else {
      key = std::string(line);
    }
    const Option* option = nullptr;
    for (const Option& o : Options()) {
      if (key == o.name && !o.command_line_only) option = &o;
    }
    if (option == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "unknown option '", key, "'"));
    }
    if (option->has_arg && value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "option '", key, "' needs a value"));
    }
    if (absl::Status s = option->set(config, value); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, s.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DaemonConfig> ParseCommandLine(int argc, char** argv) {
  const std::vector<Option>& table = Options();
  std::vector<option> long_options;
  std::string short_options = ":";  // ':' first: report missing arguments
  for (size_t i = 0; i < table.size(); ++i) {
    const int val = table[i].short_name != 0 ? table[i].short_name
                                             : 256 + static_cast<int>(i);
    long_options.push_back({table[i].name,
                            table[i].has_arg ? required_argument : no_argument,
                            nullptr, val});
    if (table[i].short_name != 0) {
      short_options += table[i].short_name;
      if (table[i].has_arg) short_options += ':';
    }
  }
  long_options.push_back({nullptr, 0, nullptr, 0});

  std::vector<std::pair<const Option*, std::string>> given;
  opterr = 0;
  optind = 0;  // full re-initialisation (SIGHUP parses again)
  int opt;
  while ((opt = getopt_long(argc, argv, short_options.c_str(),
                            long_options.data(), nullptr)) != -1) {
    if (opt == '?' || opt == ':') {
      const std::string arg = optind > 0 && optind <= argc
                                  ? argv[optind - 1]
                                  : std::string("?");
      return absl::InvalidArgumentError(absl::StrCat(
          opt == ':' ? "option needs a value: '" : "unknown option: '", arg,
          "'; run 'flowtopd --help'"));
    }
    const Option* o = nullptr;
    for (size_t i = 0; i < table.size(); ++i) {
      if (opt == table[i].short_name || opt == 256 + static_cast<int>(i)) {
        o = &table[i];
        break;
      }
    }
    given.emplace_back(o, o->has_arg && optarg != nullptr ? optarg : "");
  }
  if (optind < argc) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", argv[optind],
                     "'; run 'flowtopd --help'"));
  }

  DaemonConfig config;
  for (const auto& [o, value] : given) {
    if (std::string(o->name) == "config") config.config_file = value;
  }
  std::string file = config.config_file;
  const bool explicit_file = !file.empty();
  if (!explicit_file && access(kDefaultConfigFile, F_OK) == 0) {
    file = kDefaultConfigFile;
  }
  if (!file.empty()) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config: ", text.status().message()));
    }
    if (absl::Status s = ApplyConfigText(BaseName(file), *text, &config);
        !s.ok()) {
      return s;
    }
    config.config_file = file;
  }
  for (const auto& [o, value] : given) {
    if (absl::Status s = o->set(&config, value); !s.ok()) {
      if (!o->has_arg) {
        return absl::InvalidArgumentError(absl::StrCat("--", o->name, ": ",
                                                       s.message()));
      }
      return s;
    }
  }
  config.node_name_given = !config.node_name.empty();
  if (config.node_name.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0) config.node_name = host;
    if (config.node_name.empty()) config.node_name = "localhost";
  }
  return config;
}

}  // namespace flowtop::service
