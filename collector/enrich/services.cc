#include "collector/enrich/services.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "core/files.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace flowtop::collector::enrich {
namespace {

// tcp.conf/udp.conf and /etc/services are tens of kilobytes.
constexpr size_t kMaxConfBytes = 4 << 20;

// Drops a trailing "# comment" and surrounding blanks.
absl::string_view StripComment(absl::string_view line) {
  const size_t hash = line.find('#');
  if (hash != absl::string_view::npos) line = line.substr(0, hash);
  return absl::StripAsciiWhitespace(line);
}

bool ParsePort(absl::string_view text, uint32_t* port) {
  return absl::SimpleAtoi(text, port) && *port >= 1 && *port <= 65535 &&
         text.find_first_not_of("0123456789") == absl::string_view::npos;
}

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (absl::ascii_isspace(c) || absl::ascii_iscntrl(c) || c == ',') {
      return false;
    }
  }
  return true;
}

}  // namespace

int ServiceNames::TableFor(v1::L4Protocol protocol) {
  switch (protocol) {
    case v1::TCP: return kTcp;
    case v1::UDP:
    case v1::UDPLITE: return kUdp;
    case v1::SCTP: return kSctp;
    case v1::DCCP: return kDccp;
    default: return -1;
  }
}

ServiceNames ServiceNames::Load(const ServiceFiles& files,
                                std::vector<std::string>* problems) {
  ServiceNames names;
  auto note = [problems](const absl::Status& status) {
    if (!status.ok()) problems->push_back(std::string(status.message()));
  };
  if (!files.tcp_conf.empty()) note(names.AddConf(files.tcp_conf, v1::TCP, problems));
  if (!files.udp_conf.empty()) note(names.AddConf(files.udp_conf, v1::UDP, problems));
  if (!files.etc_services.empty()) {
    note(names.AddEtcServices(files.etc_services, problems));
  }
  return names;
}

absl::Status ServiceNames::AddConf(const std::string& path,
                                   v1::L4Protocol protocol,
                                   std::vector<std::string>* problems) {
  const int table = TableFor(protocol);
  if (table < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": service tables exist for TCP and UDP only"));
  }
  absl::StatusOr<std::string> text = core::ReadBoundedFile(path, kMaxConfBytes);
  if (!text.ok()) {
    return absl::Status(
        text.status().code(),
        absl::StrCat("cannot read service names: ", text.status().message(),
                     " (format: one \"<port>, <name>\" per line)"));
  }
  std::istringstream in(*text);
  absl::flat_hash_map<uint32_t, int> first_line;
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    const absl::string_view line = StripComment(raw);
    if (line.empty()) continue;
    const std::string where = absl::StrCat(path, ":", line_no, ": ");
    std::vector<absl::string_view> parts = absl::StrSplit(line, ',');
    if (parts.size() != 2) {
      problems->push_back(absl::StrCat(where, "expected \"<port>, <name>\", got \"",
                                       line, "\"; line skipped"));
      continue;
    }
    const absl::string_view port_text = absl::StripAsciiWhitespace(parts[0]);
    const absl::string_view name = absl::StripAsciiWhitespace(parts[1]);
    uint32_t port = 0;
    if (!ParsePort(port_text, &port)) {
      problems->push_back(absl::StrCat(where, "port \"", port_text,
                                       "\" is not a number from 1 to 65535; line skipped"));
      continue;
    }
    if (!ValidName(name)) {
      problems->push_back(absl::StrCat(where, "service name \"", name,
                                       "\" is empty or has blanks; line skipped"));
      continue;
    }
    auto [it, inserted] = first_line.emplace(port, line_no);
    if (!inserted) {
      problems->push_back(absl::StrCat(where, "port ", port,
                                       " was already named on line ", it->second,
                                       "; this line skipped"));
      continue;
    }
    tables_[table][port] = std::string(name);
  }
  return absl::OkStatus();
}

absl::Status ServiceNames::AddEtcServices(const std::string& path,
                                          std::vector<std::string>* problems) {
  absl::StatusOr<std::string> text = core::ReadBoundedFile(path, kMaxConfBytes);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat(text.status().message(),
                                     ": service names fall back to numbers"));
  }
  std::istringstream in(*text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    const absl::string_view line = StripComment(raw);
    if (line.empty()) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    uint32_t port = 0;
    std::vector<absl::string_view> port_proto;
    if (fields.size() >= 2) port_proto = absl::StrSplit(fields[1], '/');
    if (fields.size() < 2 || port_proto.size() != 2 ||
        !ParsePort(port_proto[0], &port) || !ValidName(fields[0])) {
      problems->push_back(absl::StrCat(path, ":", line_no,
                                       ": expected \"name port/protocol\"; line skipped"));
      continue;
    }
    int table = -1;
    if (port_proto[1] == "tcp") table = kTcp;
    if (port_proto[1] == "udp") table = kUdp;
    if (port_proto[1] == "sctp") table = kSctp;
    if (port_proto[1] == "dccp") table = kDccp;
    if (table < 0) continue;  // ddp and friends: not flows conntrack tracks
    tables_[table].emplace(port, std::string(fields[0]));  // conf wins
  }
  return absl::OkStatus();
}

absl::string_view ServiceNames::Name(v1::L4Protocol protocol,
                                     uint32_t port) const {
  const int table = TableFor(protocol);
  if (table < 0) return "";
  auto it = tables_[table].find(port);
  return it == tables_[table].end() ? absl::string_view() : it->second;
}

std::string ServiceNames::Guess(v1::L4Protocol protocol, uint32_t src_port,
                                uint32_t dst_port) const {
  const absl::string_view src = Name(protocol, src_port);
  const absl::string_view dst = Name(protocol, dst_port);
  if (src.empty()) return std::string(dst);
  if (dst.empty()) return std::string(src);
  const bool src_low = src_port < 1024;
  const bool dst_low = dst_port < 1024;
  if (src_low != dst_low) return std::string(src_low ? src : dst);
  return std::string(src_port < dst_port ? src : dst);
}

size_t ServiceNames::size() const {
  size_t n = 0;
  for (const auto& table : tables_) n += table.size();
  return n;
}

}  // namespace flowtop::collector::enrich
