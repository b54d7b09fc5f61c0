#include "tui/options.h"

#include <getopt.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/cli_util.h"
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

enum LongOnly {
  kReplay = 1000,
  kBatch,
  kJson,
  kCount,
  kWidth,
  kFilter,
  kSort,
  kReverse,
  kCheck,
  kEnableConntrack,
  kNoBpf,
};

absl::Status Bad(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

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
  return Bad(absl::StrCat("--sort: unknown column '", name,
                          "' (process, pid, unit, proto, state, age, address, port, geo, "
                          "bytes, rate, node)"));
}

}  // namespace

const char* Usage() { return kUsage; }

absl::StatusOr<Options> ParseOptions(int argc, char** argv, bool file_argument) {
  static const std::vector<option> kOwn = {
      {"no-dns", no_argument, nullptr, 'n'},
      {"no-geoip", no_argument, nullptr, 'G'},
      {"show-src", no_argument, nullptr, 's'},
      {"bits", no_argument, nullptr, 'b'},
      {"update", no_argument, nullptr, 'u'},
      {"interval", required_argument, nullptr, 't'},
      {"version", no_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, 'h'},
      {"replay", required_argument, nullptr, kReplay},
      {"batch", no_argument, nullptr, kBatch},
      {"json", no_argument, nullptr, kJson},
      {"count", required_argument, nullptr, kCount},
      {"width", required_argument, nullptr, kWidth},
      {"filter", required_argument, nullptr, kFilter},
      {"sort", required_argument, nullptr, kSort},
      {"reverse", no_argument, nullptr, kReverse},
      {"check", no_argument, nullptr, kCheck},
      {"enable-conntrack", no_argument, nullptr, kEnableConntrack},
      {"no-bpf", no_argument, nullptr, kNoBpf},
  };
  static const std::vector<option> kLong = cli::LongOptionTable(
      {kOwn, cli::Group(cli::kProtocolLongOptions),
       cli::Group(client::kClientLongOptions)});
  Options o;
  cli::ProtocolSelection selection;
  optind = 0;  // reset getopt (tests call this more than once)
  opterr = 0;  // we print our own messages
  int opt;
  while ((opt = getopt_long(argc, argv, ":46TUDISnGsbut:vh", kLong.data(), nullptr)) != -1) {
    const std::string arg = optarg != nullptr ? optarg : "";
    // TLS and token: the client group's own setter (--connect, repeatable
    // here, is parsed below).
    if (opt != client::kClientFlagConnect &&
        client::ApplyClientOption(opt, arg.c_str(), &o.tls)) {
      continue;
    }
    switch (opt) {
      case '4': case '6': case 'T': case 'U': case 'D': case 'I': case 'S':
        cli::ApplyProtocolOption(opt, &selection);
        break;
      case 'n':
        o.no_dns = true;
        o.view.names = false;
        break;
      case 'G':
        o.no_geoip = true;
        o.view.geo = false;
        break;
      case 's': o.view.show_src = true; break;
      case 'b': o.view.bits = true; break;
      case 'u': o.action = Options::Action::kUpdateGeoIp; break;
      case 'v': o.action = Options::Action::kVersion; break;
      case 'h': o.action = Options::Action::kHelp; break;
      case 't': {
        // Plain seconds (-t 2) or a duration (-t 500ms), as every binary.
        absl::Duration d;
        if (!cli::ReadDuration(arg, &d) || d < absl::Milliseconds(100) ||
            d > absl::Hours(1)) {
          return cli::Bad("interval", arg,
                          "is not a number of seconds between 0.1 and 3600");
        }
        o.interval = d;
        break;
      }
      case client::kClientFlagConnect:
        for (absl::string_view ep : absl::StrSplit(arg, ',', absl::SkipWhitespace())) {
          ep = absl::StripAsciiWhitespace(ep);
          const size_t colon = ep.rfind(':');
          uint32_t port;
          if (colon == absl::string_view::npos || colon == 0 ||
              !absl::SimpleAtoi(ep.substr(colon + 1), &port) || port == 0 || port > 65535) {
            return Bad(absl::StrCat("--connect: '", ep, "' needs HOST:PORT"));
          }
          o.connect.emplace_back(ep);
        }
        if (o.connect.empty()) return Bad("--connect: needs HOST:PORT");
        break;
      case kReplay: o.replay_file = arg; break;
      case kBatch: o.output = OutputMode::kBatch; break;
      case kJson: o.output = OutputMode::kJson; break;
      case kCount:
        if (!absl::SimpleAtoi(arg, &o.count) || o.count == 0) {
          return cli::Bad("count", arg, "is not a positive number");
        }
        break;
      case kWidth:
        if (!absl::SimpleAtoi(arg, &o.width) || o.width < 40) {
          return cli::Bad("width", arg, "is not a width of 40 or more");
        }
        break;
      case kFilter: {
        auto f = FilterExpr::Parse(arg);
        if (!f.ok()) return Bad(absl::StrCat("--filter: ", f.status().message()));
        o.view.filter_text = arg;
        o.view.filter = (*f)->kind() == FilterExpr::Kind::kTrue ? nullptr : *f;
        break;
      }
      case kSort: {
        auto c = ParseSort(arg);
        if (!c.ok()) return c.status();
        if (*c == Column::kFlows) o.view.process_sort = *c;
        else o.view.flow_sort = *c;
        break;
      }
      case kReverse: o.view.reverse = true; break;
      case kCheck: o.action = Options::Action::kCheck; break;
      case kEnableConntrack: o.enable_conntrack = true; break;
      case kNoBpf: o.no_bpf = true; break;
      case ':':
        return Bad(absl::StrCat("option '", argv[optind - 1], "' needs a value"));
      default: {
        const std::string name = optopt != 0 ? absl::StrCat("-", std::string(1, static_cast<char>(optopt)))
                                             : std::string(argv[optind - 1]);
        return Bad(absl::StrCat("unknown option '", name, "'"));
      }
    }
  }
  if (file_argument && optind < argc && o.replay_file.empty()) {
    o.replay_file = argv[optind++];
  }
  if (optind < argc) {
    return Bad(absl::StrCat("unexpected argument '", argv[optind], "'"));
  }
  if (file_argument && o.replay_file.empty()) {
    return Bad("replay: name the recording to show (flowtop replay FILE)");
  }
  if (selection.any_protocol()) {
    o.view.protocols = {selection.tcp, selection.udp, selection.dccp, selection.icmp,
                        selection.sctp};
  }
  if (selection.any_family()) o.view.families = {selection.ipv4, selection.ipv6};
  if (!o.connect.empty() && !o.replay_file.empty()) {
    return Bad("--connect and --replay exclude each other: choose one source");
  }
  if (o.view.flow_sort == Column::kNode && o.connect.size() < 2) {
    o.view.flow_sort = Column::kRate;  // no node column to sort by
  }
  if (!o.view.geo && o.view.flow_sort == Column::kGeo) o.view.flow_sort = Column::kRate;
  return o;
}

}  // namespace flowtop::tui
