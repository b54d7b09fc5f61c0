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

// One option: a command-line flag that is also a config-file key (unless
// command_line_only), with its line in --help.
struct Option {
  const char* name;
  char short_name;  // 0: long only
  const char* arg;  // the value's name in --help; null: a flag without one
  bool command_line_only;
  Setter set;
  std::string help;  // '\n' starts a continuation line; empty: not listed
  bool has_arg() const { return arg != nullptr; }
};

// Options shown together in --help under `heading` (none when empty),
// after `preamble` (lines written by hand for options listed together).
struct Group {
  std::string heading;
  std::string preamble;
  std::vector<Option> options;
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

// Setters by kind of value. `name` is the option's, for the error line.
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

// A repeatable option: each value is appended.
Setter Append(std::vector<std::string>* (*field)(DaemonConfig*)) {
  return [field](DaemonConfig* c, const std::string& v) {
    field(c)->push_back(v);
    return absl::OkStatus();
  };
}

// A flag; in the config file `name = false` turns it off.
Setter Switch(const char* name, bool* (*field)(DaemonConfig*)) {
  return [name, field](DaemonConfig* c, const std::string& v) -> absl::Status {
    absl::StatusOr<bool> b = ParseBool(v);
    if (!b.ok()) return Bad(name, v, "is not true/false");
    *field(c) = *b;
    return absl::OkStatus();
  };
}

// A command-line-only flag that sets *field(c) to true.
Setter Set(bool* (*field)(DaemonConfig*)) {
  return [field](DaemonConfig* c, const std::string&) {
    *field(c) = true;
    return absl::OkStatus();
  };
}

// A whole number in [min, max]; `what` says what a good value is.
Setter Count(const char* name, uint64_t min, uint64_t max, const char* what,
             void (*set)(DaemonConfig*, uint64_t)) {
  return [=](DaemonConfig* c, const std::string& v) -> absl::Status {
    uint64_t n;
    if (!absl::SimpleAtoi(v, &n) || n < min || n > max) return Bad(name, v, what);
    set(c, n);
    return absl::OkStatus();
  };
}

// A duration (cli::ReadDuration) in [min, max]; `examples` for the error.
Setter DurationIn(const char* name, absl::Duration min, absl::Duration max,
                  const char* examples, absl::Duration* (*field)(DaemonConfig*)) {
  return [=](DaemonConfig* c, const std::string& v) -> absl::Status {
    absl::Duration d;
    if (!cli::ReadDuration(v, &d)) {
      return Bad(name, v, absl::StrCat("is not a duration (e.g. ", examples, ")"));
    }
    if (d < min || d > max) {
      return Bad(name, v,
                 absl::StrCat("must be between ", absl::FormatDuration(min),
                              " and ", absl::FormatDuration(max)));
    }
    *field(c) = d;
    return absl::OkStatus();
  };
}

absl::Status SetRingSize(DaemonConfig* c, const std::string& v) {
  uint64_t n;
  if (!absl::SimpleAtoi(v, &n)) return Bad("ring-size", v, "is not a number");
  if (!EventRing::Create(n).ok()) {
    return Bad("ring-size", v,
               absl::StrCat("is not a power of two between 2 and ",
                            EventRing::kMaxCapacity));
  }
  c->ring_size = n;
  return absl::OkStatus();
}

absl::Status SetReplaySpeed(DaemonConfig* c, const std::string& v) {
  absl::StatusOr<double> speed = cli::ParseSpeed(v);
  if (!speed.ok()) {
    return Bad("replay-speed", v, "is not a positive factor (1, 4) or 'max'");
  }
  c->replay_speed = *speed;
  return absl::OkStatus();
}

// Where and how flowtopd serves: address, node, ring, TLS, token, limits.
Group ServeGroup() {
  return {"", "", {
      {"listen", 0, "ADDR:PORT", false, Text(&ServerOptions::listen),
       absl::StrCat("where to serve (default ", kDefaultListen,
                    "; port 0 picks one and prints it)")},
      {"node-name", 0, "NAME", false, Text(&DaemonConfig::node_name),
       "node name in every event (default: host name)"},
      {"ring-size", 0, "N", false, SetRingSize,
       "events kept for clients, a power of two (default 65536)"},
      {"config", 0, "FILE", true, Text(&DaemonConfig::config_file),
       absl::StrCat("config file (default ", kDefaultConfigFile, " if it exists)")},
      {"tls-cert", 0, "FILE", false, Text(&ServerOptions::tls_cert_file),
       "TLS certificate chain (PEM)"},
      {"tls-key", 0, "FILE", false, Text(&ServerOptions::tls_key_file),
       "TLS private key (PEM)"},
      {"tls-client-ca", 0, "FILE", false, Text(&ServerOptions::tls_client_ca_file),
       "require client certificates from this CA (mutual TLS)"},
      {"token-file", 0, "FILE", false, Text(&DaemonConfig::token_file),
       "require 'authorization: Bearer <token>' (first line of FILE)"},
      {"insecure", 0, nullptr, false,
       Switch("insecure", [](DaemonConfig* c) { return &c->server.insecure; }),
       "allow a non-loopback --listen without TLS or token"},
      {"max-streams", 0, "N", false,
       Count("max-streams", 1, 10000, "is not a number from 1 to 10000",
             [](DaemonConfig* c, uint64_t n) { c->max_streams = static_cast<int>(n); }),
       "concurrent GetFlows streams (default 64)"},
      {"user", 0, "NAME", false, Text(&DaemonConfig::user),
       "run as this user after start-up"},
  }};
}

// The kernel source: protocol selection (cli::kProtocolLongOptions, listed
// by hand), refresh, table and socket sizes.
Group CollectorGroup() {
  Group group{"Collector:",
              "  -4, --ipv4  -6, --ipv6  only these address families (default both)\n"
              "  -T, --tcp  -U, --udp  -D, --dccp  -I, --icmp  -S, --sctp\n"
              "                          only these protocols (default all)\n",
              {}};
  for (const option& o : cli::kProtocolLongOptions) {
    group.options.push_back({o.name, static_cast<char>(o.val), nullptr, false,
                             ProtocolSetter(o.val), ""});
  }
  group.options.insert(group.options.end(), {
      {"interval", 0, "DURATION", false,
       DurationIn("interval", absl::Milliseconds(100), absl::Hours(1), "1s, 500ms",
                  [](DaemonConfig* c) { return &c->collector.interval; }),
       "counter refresh (default 1s)"},
      {"max-flows", 0, "N", false,
       Count("max-flows", 1, UINT64_MAX, "is not a positive number",
             [](DaemonConfig* c, uint64_t n) { c->collector.max_flows = n; }),
       "flow table limit (default 1048576)"},
      {"rcvbuf", 0, "BYTES", false,
       Count("rcvbuf", 4096, INT32_MAX, "is not a byte count of at least 4096",
             [](DaemonConfig* c, uint64_t n) { c->collector.rcvbuf = static_cast<int>(n); }),
       "netlink receive buffer (default 67108864)"},
  });
  return group;
}

Group ReplayGroup() {
  return {"Replay (serve a recording made by 'flowtop record' as a live node):", "", {
      {"replay", 0, "FILE", false, Text(&DaemonConfig::replay_file),
       "serve FILE instead of the kernel"},
      {"replay-speed", 0, "S", false, SetReplaySpeed,
       "1 = as recorded (default), 4, max"},
      {"replay-loop", 0, nullptr, false,
       Switch("replay-loop", [](DaemonConfig* c) { return &c->replay_loop; }),
       "start over at the end (default: keep the final table)"},
  }};
}

Group EnrichmentGroup() {
  return {"Enrichment (off the event path):", "", {
      {"no-dns", 'n', nullptr, false,
       Switch("no-dns", [](DaemonConfig* c) { return &c->enrich.no_dns; }),
       "no reverse DNS"},
      {"no-geoip", 'G', nullptr, false,
       Switch("no-geoip", [](DaemonConfig* c) { return &c->enrich.no_geoip; }),
       "no GeoIP"},
      {"no-process", 0, nullptr, false,
       Switch("no-process", [](DaemonConfig* c) { return &c->enrich.no_process; }),
       "no process attribution"},
      {"no-bpf", 0, nullptr, false,
       Switch("no-bpf", [](DaemonConfig* c) { return &c->enrich.no_bpf; }),
       "process attribution without eBPF (sock_diag\n"
       "only: short-lived clients may show \"-\")"},
      {"no-enrich", 0, nullptr, false,
       Switch("no-enrich", [](DaemonConfig* c) { return &c->enrich.off; }),
       "none of the three (nor service names)"},
      {"geoip-db", 0, "FILE", false,
       Append([](DaemonConfig* c) { return &c->enrich.geoip_files; }),
       "a GeoIP .mmdb database (repeatable)"},
      {"geoip-dir", 0, "DIR", false,
       Append([](DaemonConfig* c) { return &c->enrich.geoip_dirs; }),
       "use every *.mmdb in DIR (repeatable; default\n"
       "/usr/share/GeoIP, /var/lib/GeoIP, ~/.local/share/flowtop)"},
  }};
}

Group HostGroup() {
  return {"Host:", "", {
      {"enable-conntrack", 0, nullptr, false,
       Switch("enable-conntrack", [](DaemonConfig* c) { return &c->enable_conntrack; }),
       "make the kernel track this namespace's flows\n"
       "while flowtopd runs (a minimal nftables table,\n"
       "removed on exit); for hosts without firewall rules"},
      {"check", 0, nullptr, true, Set([](DaemonConfig* c) { return &c->check; }),
       "say what works here and what to do, then exit\n"
       "(non-zero when flowtopd cannot work)"},
  }};
}

Group ExportGroup() {
  return {"Export (see docs/export.md):", "", {
      {"ipfix", 0, "HOST:PORT", false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         if (v.find(':') == std::string::npos) {
           return Bad("ipfix", v, "is not HOST:PORT (e.g. 127.0.0.1:4739)");
         }
         c->exports.ipfix.push_back(v);
         return absl::OkStatus();
       },
       "send IPFIX flow records to a collector; UDP,\n"
       "or tcp://HOST:PORT (repeatable)"},
      {"ipfix-active-timeout", 0, "D", false,
       DurationIn("ipfix-active-timeout", absl::Seconds(1), absl::Hours(24), "60s, 5m",
                  [](DaemonConfig* c) { return &c->exports.active_timeout; }),
       "a record for long flows this often (default 60s)"},
      {"ipfix-template-refresh", 0, "D", false,
       DurationIn("ipfix-template-refresh", absl::Seconds(1), absl::Hours(24), "60s",
                  [](DaemonConfig* c) { return &c->exports.template_refresh; }),
       "UDP: templates again this often (default 60s)"},
      {"ipfix-process", 0, nullptr, false,
       Switch("ipfix-process", [](DaemonConfig* c) { return &c->exports.process_fields; }),
       "add process, user, unit and container (enterprise elements)"},
      {"ipfix-pen", 0, "N", false,
       Count("ipfix-pen", 1, UINT32_MAX, "is not a Private Enterprise Number",
             [](DaemonConfig* c, uint64_t n) { c->exports.pen = static_cast<uint32_t>(n); }),
       "their Private Enterprise Number (default 32473)"},
      {"ipfix-domain", 0, "N", false,
       Count("ipfix-domain", 1, UINT32_MAX, "is not a number from 1 to 4294967295",
             [](DaemonConfig* c, uint64_t n) {
               c->exports.observation_domain = static_cast<uint32_t>(n);
             }),
       "observation domain (default: from the node name)"},
      {"ipfix-mtu", 0, "BYTES", false,
       Count("ipfix-mtu", 512, 65535, "is not a message size from 512 to 65535",
             [](DaemonConfig* c, uint64_t n) { c->exports.max_message = n; }),
       "IPFIX message size at most (default 1400)"},
      {"metrics", 0, "ADDR:PORT", false,
       [](DaemonConfig* c, const std::string& v) -> absl::Status {
         if (v.empty()) return Bad("metrics", v, "is not ADDR:PORT or PORT");
         c->exports.metrics = v;
         return absl::OkStatus();
       },
       "serve Prometheus metrics over HTTP at /metrics\n"
       "(PORT alone: loopback; elsewhere the --listen rules\n"
       "apply: --tls-cert/--tls-key, --token-file or --insecure)"},
  }};
}

Group ProgramGroup() {
  return {"", "", {
      {"version", 'v', nullptr, true, Set([](DaemonConfig* c) { return &c->version; }),
       "print the version and exit"},
      {"help", 'h', nullptr, true, Set([](DaemonConfig* c) { return &c->help; }),
       "print this help and exit"},
  }};
}

// Every option, in --help's order.
const std::vector<Group>& Groups() {
  static const std::vector<Group>* const groups = new std::vector<Group>{
      ServeGroup(),      CollectorGroup(), ReplayGroup(), EnrichmentGroup(),
      HostGroup(),       ExportGroup(),    ProgramGroup(),
  };
  return *groups;
}

// Every option of every group, in one table (getopt's order).
const std::vector<Option>& Options() {
  static const std::vector<Option>* const options = [] {
    auto* all = new std::vector<Option>();
    for (const Group& group : Groups()) {
      all->insert(all->end(), group.options.begin(), group.options.end());
    }
    return all;
  }();
  return *options;
}

// Appends option `o`'s --help line: its spellings, padded to a column, and
// its help (continuation lines indented to that column).
void AppendUsageLine(const Option& o, std::string* out) {
  constexpr size_t kColumn = 26;
  std::string left = "  ";
  if (o.short_name != 0) absl::StrAppend(&left, "-", std::string(1, o.short_name), ", ");
  absl::StrAppend(&left, "--", o.name);
  if (o.has_arg()) absl::StrAppend(&left, " ", o.arg);
  left.append(left.size() + 2 <= kColumn ? kColumn - left.size() : 2, ' ');
  bool first = true;
  for (absl::string_view line : absl::StrSplit(o.help, '\n')) {
    absl::StrAppend(out, first ? left : std::string(kColumn, ' '), line, "\n");
    first = false;
  }
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string Usage() {
  std::string usage =
      "Usage: flowtopd [options]\n"
      "Serves the kernel's conntrack flow events over gRPC "
      "(flowtop.v1.FlowTop).\n"
      "Every long option can also be set in the config file as "
      "'name = value'.\n\n";
  for (const Group& group : Groups()) {
    if (!group.heading.empty()) absl::StrAppend(&usage, group.heading, "\n");
    usage += group.preamble;
    for (const Option& o : group.options) {
      if (!o.help.empty()) AppendUsageLine(o, &usage);
    }
  }
  usage +=
      "Signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads the config "
      "file, the token and the GeoIP databases.\n";
  return usage;
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
    if (option->has_arg() && value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "option '", key, "' needs a value"));
    }
    if (absl::Status s = option->set(config, value); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, s.message()));
    }
  }
  return absl::OkStatus();
}

namespace {

// An option given on the command line, with its value ("" for a flag).
using Given = std::vector<std::pair<const Option*, std::string>>;

// getopt_long's tables for `table`: an option's value is its short name,
// or 256 + its index for a long-only one.
struct GetoptTables {
  std::vector<option> long_options;
  std::string short_options = ":";  // ':' first: report missing arguments
};

GetoptTables MakeGetoptTables(const std::vector<Option>& table) {
  GetoptTables t;
  for (size_t i = 0; i < table.size(); ++i) {
    const int val = table[i].short_name != 0 ? table[i].short_name
                                             : 256 + static_cast<int>(i);
    t.long_options.push_back({table[i].name,
                              table[i].has_arg() ? required_argument : no_argument,
                              nullptr, val});
    if (table[i].short_name != 0) {
      t.short_options += table[i].short_name;
      if (table[i].has_arg()) t.short_options += ':';
    }
  }
  t.long_options.push_back({nullptr, 0, nullptr, 0});
  return t;
}

// Reads argv into the options given, in order, without applying them.
absl::StatusOr<Given> ReadArguments(int argc, char** argv) {
  const std::vector<Option>& table = Options();
  const GetoptTables getopt_tables = MakeGetoptTables(table);
  Given given;
  opterr = 0;
  optind = 0;  // full re-initialisation (SIGHUP parses again)
  int opt;
  while ((opt = getopt_long(argc, argv, getopt_tables.short_options.c_str(),
                            getopt_tables.long_options.data(), nullptr)) != -1) {
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
    given.emplace_back(o, o->has_arg() && optarg != nullptr ? optarg : "");
  }
  if (optind < argc) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", argv[optind],
                     "'; run 'flowtopd --help'"));
  }
  return given;
}

// Applies the config file: --config's, else kDefaultConfigFile if it
// exists, else none.
absl::Status ApplyConfigFile(const Given& given, DaemonConfig* config) {
  for (const auto& [o, value] : given) {
    if (std::string(o->name) == "config") config->config_file = value;
  }
  std::string file = config->config_file;
  if (file.empty() && access(kDefaultConfigFile, F_OK) == 0) {
    file = kDefaultConfigFile;
  }
  if (file.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> text = ReadFile(file);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--config: ", text.status().message()));
  }
  if (absl::Status s = ApplyConfigText(BaseName(file), *text, config); !s.ok()) {
    return s;
  }
  config->config_file = file;
  return absl::OkStatus();
}

// Applies the command line's options over the config file's.
absl::Status ApplyArguments(const Given& given, DaemonConfig* config) {
  for (const auto& [o, value] : given) {
    if (absl::Status s = o->set(config, value); !s.ok()) {
      if (!o->has_arg()) {
        return absl::InvalidArgumentError(absl::StrCat("--", o->name, ": ",
                                                       s.message()));
      }
      return s;
    }
  }
  return absl::OkStatus();
}

// The node name when none is given: the host name, else "localhost".
std::string DefaultNodeName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') return host;
  return "localhost";
}

}  // namespace

absl::StatusOr<DaemonConfig> ParseCommandLine(int argc, char** argv) {
  absl::StatusOr<Given> given = ReadArguments(argc, argv);
  if (!given.ok()) return given.status();
  DaemonConfig config;
  if (absl::Status s = ApplyConfigFile(*given, &config); !s.ok()) return s;
  if (absl::Status s = ApplyArguments(*given, &config); !s.ok()) return s;
  config.node_name_given = !config.node_name.empty();
  if (config.node_name.empty()) config.node_name = DefaultNodeName();
  return config;
}

}  // namespace flowtop::service
