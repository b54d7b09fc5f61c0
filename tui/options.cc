#include "tui/options.h"

#include <getopt.h>

#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/cli_util.h"
#include "cli/endpoint.h"
#include "client/client_options.h"
#include "tui/table.h"

namespace flowtop::tui {
namespace {

constexpr char kUsage[] =
    "Usage: flowtop [options]\n"
    "       flowtop record [options]      (see flowtop record --help)\n"
    "       flowtop replay [options] FILE (see flowtop replay --help)\n"
    "A top-like view of the flows the kernel's connection tracking knows:\n"
    "locally (the default, needs CAP_NET_ADMIN), from flowtopd endpoints\n"
    "(--connect) or from a recording (--replay).\n"
    "\n"
    "What to show (additive: naming a protocol shows only those named;\n"
    "default IPv4 and IPv6, TCP):\n"
    "  -4, --ipv4            IPv4 flows\n"
    "  -6, --ipv6            IPv6 flows\n"
    "  -T, --tcp             TCP flows\n"
    "  -U, --udp             UDP and UDP-lite flows\n"
    "  -D, --dccp            DCCP flows\n"
    "  -I, --icmp            ICMP and ICMPv6 flows\n"
    "  -S, --sctp            SCTP flows\n"
    "  -s, --show-src        also show the source of each flow\n"
    "  -b, --bits            sizes and rates in bits, not bytes\n"
    "  -n, --no-dns          numeric addresses, no reverse DNS\n"
    "  -G, --no-geoip        no geo-location column or lookups\n"
    "      --no-bpf          find processes without eBPF (sock_diag only:\n"
    "                        short-lived clients may show \"-\")\n"
    "  -t, --interval SEC    refresh interval: seconds or a duration (500ms, 2s;\n"
    "                        default 1)\n"
    "      --filter EXPR     start with this filter, e.g. 'dport 443 and country != DE'\n"
    "      --sort COLUMN     sort by process, pid, unit, proto, state, age, address, port,\n"
    "                        geo, bytes, rate (default), node; --reverse flips it\n"
    "\n"
    "Where flows come from:\n"
    "      --connect HOST:PORT  watch a flowtopd (repeatable, or a comma list;\n"
    "                        several endpoints add a NODE column)\n"
    "      --tls, --tls-ca FILE, --tls-cert FILE, --tls-key FILE,\n"
    "      --tls-server-name NAME, --token-file FILE\n"
    "                        TLS and bearer token, as for flowtopd\n"
    "      --replay FILE     show a recording made by 'flowtop record'\n"
    "\n"
    "Without a terminal:\n"
    "      --batch           print text frames (like top -b)\n"
    "      --json            print one JSON object per flow per interval\n"
    "      --count N         stop after N snapshots\n"
    "      --width N         --batch line width (default: unlimited)\n"
    "\n"
    "      --enable-conntrack  local mode: make the kernel track this namespace's\n"
    "                        flows while flowtop runs (a minimal nftables table,\n"
    "                        removed on exit); for hosts without firewall rules\n"
    "      --check           say what works here and what to do, then exit\n"
    "                        (non-zero when flowtop cannot work)\n"
    "  -u, --update          update the GeoIP databases and exit\n"
    "  -v, --version         print the version and exit\n"
    "  -h, --help            print this help and exit\n"
    "\n"
    "Keys: q quit, ? help, TAB flows/processes, < > sort column, r reverse,\n"
    "/ filter, Enter details, space pause, b a s n, T U D I S protocols.\n";

absl::StatusOr<Column> ParseSort(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  static constexpr std::pair<const char*, Column> kNames[] = {
      {"process", Column::kProcess}, {"pid", Column::kPid},     {"proto", Column::kProto},
      {"unit", Column::kUnit},       {"protocol", Column::kProto},  {"state", Column::kState}, {"age", Column::kAge},
      {"address", Column::kAddress}, {"dst", Column::kAddress}, {"port", Column::kPort},
      {"geo", Column::kGeo},         {"country", Column::kGeo}, {"bytes", Column::kBytes},
      {"rate", Column::kRate},       {"node", Column::kNode},   {"flows", Column::kFlows}};
  for (const auto& [key, column] : kNames) {
    if (n == key) return column;
  }
  return absl::InvalidArgumentError(absl::StrCat("--sort: unknown column '", name,
                          "' (process, pid, unit, proto, state, age, address, port, geo, "
                          "bytes, rate, node)"));
}

// What the command line gives, before it is checked as a whole.
struct Parsed {
  Options options;
  cli::ProtocolSelection selection;  // -4 -6 -T -U -D -I -S
};

using Setter = absl::Status (*)(Parsed& p, const std::string& arg);

// One of flowtop's own flags: its names and what it sets. The protocol
// group (cli/cli_util.h) and the client group (client/client_options.h) are
// shared with the other binaries and apply themselves.
struct Flag {
  const char* name;
  char short_name;  // 0: long only
  bool has_arg;
  Setter set;
};

absl::Status SetInterval(Parsed& p, const std::string& arg) {
  // Plain seconds (-t 2) or a duration (-t 500ms), as every binary.
  absl::Duration d;
  if (!cli::ReadDuration(arg, &d) || d < absl::Milliseconds(100) || d > absl::Hours(1)) {
    return cli::Bad("interval", arg, "is not a number of seconds between 0.1 and 3600");
  }
  p.options.interval = d;
  return absl::OkStatus();
}

absl::Status AddEndpoints(Parsed& p, const std::string& arg) {
  const size_t before = p.options.connect.size();
  for (absl::string_view ep : absl::StrSplit(arg, ',', absl::SkipWhitespace())) {
    ep = absl::StripAsciiWhitespace(ep);
    if (!cli::ParseEndpoint(ep).ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--connect: '", ep, "' needs HOST:PORT"));
    }
    p.options.connect.emplace_back(ep);
  }
  if (p.options.connect.size() == before) {
    return absl::InvalidArgumentError("--connect: needs HOST:PORT");
  }
  return absl::OkStatus();
}

absl::Status SetCount(Parsed& p, const std::string& arg) {
  if (!absl::SimpleAtoi(arg, &p.options.count) || p.options.count == 0) {
    return cli::Bad("count", arg, "is not a positive number");
  }
  return absl::OkStatus();
}

absl::Status SetWidth(Parsed& p, const std::string& arg) {
  if (!absl::SimpleAtoi(arg, &p.options.width) || p.options.width < 40) {
    return cli::Bad("width", arg, "is not a width of 40 or more");
  }
  return absl::OkStatus();
}

absl::Status SetFilterFlag(Parsed& p, const std::string& arg) {
  if (absl::Status s = SetFilter(p.options.view, arg); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--filter: ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status SetSort(Parsed& p, const std::string& arg) {
  absl::StatusOr<Column> c = ParseSort(arg);
  if (!c.ok()) return c.status();
  (*c == Column::kFlows ? p.options.view.process_sort : p.options.view.flow_sort) = *c;
  return absl::OkStatus();
}

// Setters of flags without a value.
template <Options::Action kAction>
absl::Status SetAction(Parsed& p, const std::string&) {
  p.options.action = kAction;
  return absl::OkStatus();
}
template <OutputMode kMode>
absl::Status SetOutput(Parsed& p, const std::string&) {
  p.options.output = kMode;
  return absl::OkStatus();
}
template <bool Options::*kField>
absl::Status SetTrue(Parsed& p, const std::string&) {
  p.options.*kField = true;
  return absl::OkStatus();
}
template <bool ViewState::*kField, bool kValue>
absl::Status SetView(Parsed& p, const std::string&) {
  p.options.view.*kField = kValue;
  return absl::OkStatus();
}
absl::Status SetNoDns(Parsed& p, const std::string&) {
  p.options.no_dns = true;
  p.options.view.names = false;
  return absl::OkStatus();
}
absl::Status SetNoGeoIp(Parsed& p, const std::string&) {
  p.options.no_geoip = true;
  p.options.view.geo = false;
  return absl::OkStatus();
}
absl::Status SetReplay(Parsed& p, const std::string& arg) {
  p.options.replay_file = arg;
  return absl::OkStatus();
}

using A = Options::Action;
constexpr Flag kFlags[] = {
    {"no-dns", 'n', false, SetNoDns},
    {"no-geoip", 'G', false, SetNoGeoIp},
    {"show-src", 's', false, SetView<&ViewState::show_src, true>},
    {"bits", 'b', false, SetView<&ViewState::bits, true>},
    {"update", 'u', false, SetAction<A::kUpdateGeoIp>},
    {"interval", 't', true, SetInterval},
    {"version", 'v', false, SetAction<A::kVersion>},
    {"help", 'h', false, SetAction<A::kHelp>},
    {"replay", 0, true, SetReplay},
    {"batch", 0, false, SetOutput<OutputMode::kBatch>},
    {"json", 0, false, SetOutput<OutputMode::kJson>},
    {"count", 0, true, SetCount},
    {"width", 0, true, SetWidth},
    {"filter", 0, true, SetFilterFlag},
    {"sort", 0, true, SetSort},
    {"reverse", 0, false, SetView<&ViewState::reverse, true>},
    {"check", 0, false, SetAction<A::kCheck>},
    {"enable-conntrack", 0, false, SetTrue<&Options::enable_conntrack>},
    {"no-bpf", 0, false, SetTrue<&Options::no_bpf>},
};

// getopt's id of kFlags[i]: its letter, or 1000 + i when it has none (the
// client group's ids start at 0x1000).
int FlagId(size_t i) {
  return kFlags[i].short_name != 0 ? kFlags[i].short_name : 1000 + static_cast<int>(i);
}

// The getopt_long table: flowtop's own flags, the protocol group, the
// client group.
const std::vector<option>& LongOptions() {
  static const std::vector<option>* const table = [] {
    std::vector<option> own;
    for (size_t i = 0; i < std::size(kFlags); ++i) {
      own.push_back({kFlags[i].name, kFlags[i].has_arg ? required_argument : no_argument, nullptr,
                     FlagId(i)});
    }
    return new std::vector<option>(cli::LongOptionTable(
        {own, cli::Group(cli::kProtocolLongOptions), cli::Group(client::kClientLongOptions)}));
  }();
  return *table;
}

// The short options: ':' first (report missing values), the protocol
// group's letters, then each own flag's.
std::string ShortOptions() {
  std::string s = absl::StrCat(":", cli::kProtocolShortOptions);
  for (const Flag& f : kFlags) {
    if (f.short_name == 0) continue;
    s += f.short_name;
    if (f.has_arg) s += ':';
  }
  return s;
}

// Applies option `opt` (getopt's id) with `arg`: a group's own setter, or
// the flag's.
absl::Status ApplyOption(int opt, const std::string& arg, Parsed& p) {
  if (cli::ApplyProtocolOption(opt, &p.selection)) return absl::OkStatus();
  // --connect (repeatable here, a list) is flowtop's own; the rest of the
  // client group (TLS, token) sets ClientOptions.
  if (opt == client::kClientFlagConnect) return AddEndpoints(p, arg);
  if (client::ApplyClientOption(opt, arg.c_str(), &p.options.tls)) return absl::OkStatus();
  for (size_t i = 0; i < std::size(kFlags); ++i) {
    if (FlagId(i) == opt) return kFlags[i].set(p, arg);
  }
  return absl::InvalidArgumentError("unknown option");  // not reached: getopt knows only the table
}

// getopt's ':' (a value is missing) or '?' (unknown), as one line.
absl::Status GetoptError(int opt, char** argv) {
  if (opt == ':') {
    return absl::InvalidArgumentError(
        absl::StrCat("option '", argv[optind - 1], "' needs a value"));
  }
  const std::string name = optopt != 0
                               ? absl::StrCat("-", std::string(1, static_cast<char>(optopt)))
                               : std::string(argv[optind - 1]);
  return absl::InvalidArgumentError(absl::StrCat("unknown option '", name, "'"));
}

// The positional arguments: with `file_argument` (flowtop replay FILE) one
// names the recording; nothing else is accepted.
absl::Status TakePositional(int argc, char** argv, bool file_argument, Options& o) {
  if (file_argument && optind < argc && o.replay_file.empty()) o.replay_file = argv[optind++];
  if (optind < argc) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", argv[optind], "'"));
  }
  if (file_argument && o.replay_file.empty()) {
    return absl::InvalidArgumentError("replay: name the recording to show (flowtop replay FILE)");
  }
  return absl::OkStatus();
}

// Checks the flags together and settles what depends on several: the
// protocol selection, one source, a sort column that exists.
absl::Status Validate(Parsed& p) {
  Options& o = p.options;
  const cli::ProtocolSelection& sel = p.selection;
  if (sel.any_protocol()) o.view.protocols = {sel.tcp, sel.udp, sel.dccp, sel.icmp, sel.sctp};
  if (sel.any_family()) o.view.families = {sel.ipv4, sel.ipv6};
  if (!o.connect.empty() && !o.replay_file.empty()) {
    return absl::InvalidArgumentError(
        "--connect and --replay exclude each other: choose one source");
  }
  if (o.view.flow_sort == Column::kNode && o.connect.size() < 2) {
    o.view.flow_sort = Column::kRate;  // no node column to sort by
  }
  if (!o.view.geo && o.view.flow_sort == Column::kGeo) o.view.flow_sort = Column::kRate;
  return absl::OkStatus();
}

}  // namespace

const char* Usage() { return kUsage; }

absl::StatusOr<Options> ParseOptions(int argc, char** argv, bool file_argument) {
  static const std::string kShort = ShortOptions();
  Parsed p;
  optind = 0;  // reset getopt (tests call this more than once)
  opterr = 0;  // we print our own messages
  int opt;
  while ((opt = getopt_long(argc, argv, kShort.c_str(), LongOptions().data(), nullptr)) != -1) {
    if (opt == ':' || opt == '?') return GetoptError(opt, argv);
    if (absl::Status s = ApplyOption(opt, optarg != nullptr ? optarg : "", p); !s.ok()) return s;
  }
  if (absl::Status s = TakePositional(argc, argv, file_argument, p.options); !s.ok()) return s;
  if (absl::Status s = Validate(p); !s.ok()) return s;
  return p.options;
}

}  // namespace flowtop::tui
