#include "tests/enrich/conntrack_flow.h"

#include <arpa/inet.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace flowtop::testing {

std::string IpBytes(const std::string& text) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) {
    return std::string(reinterpret_cast<char*>(buf), 4);
  }
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    return std::string(reinterpret_cast<char*>(buf), 16);
  }
  return "";
}

absl::StatusOr<v1::Flow> ParseConntrackLine(const std::string& line) {
  v1::Flow flow;
  std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (fields.size() < 2) return absl::InvalidArgumentError(absl::StrCat("bad line: ", line));
  uint32_t proto = 0;
  if (!absl::SimpleAtoi(fields[1], &proto)) {
    return absl::InvalidArgumentError(absl::StrCat("no protocol number: ", line));
  }
  flow.set_protocol(static_cast<v1::L4Protocol>(proto));
  flow.set_protocol_number(proto);
  int srcs = 0, dsts = 0, sports = 0, dports = 0;
  for (absl::string_view f : fields) {
    uint32_t port = 0;
    if (absl::ConsumePrefix(&f, "src=")) {
      v1::Tuple* t = srcs++ == 0 ? flow.mutable_original() : flow.mutable_reply();
      t->set_src_ip(IpBytes(std::string(f)));
    } else if (absl::ConsumePrefix(&f, "dst=")) {
      v1::Tuple* t = dsts++ == 0 ? flow.mutable_original() : flow.mutable_reply();
      t->set_dst_ip(IpBytes(std::string(f)));
    } else if (absl::ConsumePrefix(&f, "sport=") && absl::SimpleAtoi(f, &port)) {
      (sports++ == 0 ? flow.mutable_original() : flow.mutable_reply())->set_src_port(port);
    } else if (absl::ConsumePrefix(&f, "dport=") && absl::SimpleAtoi(f, &port)) {
      (dports++ == 0 ? flow.mutable_original() : flow.mutable_reply())->set_dst_port(port);
    }
  }
  if (srcs != 2 || dsts != 2) {
    return absl::InvalidArgumentError(absl::StrCat("no original and reply tuple: ", line));
  }
  flow.set_family(flow.original().src_ip().size() == 4 ? v1::IPV4 : v1::IPV6);
  return flow;
}

absl::StatusOr<v1::Flow> FindFlow(const NetNs& ns, const std::string& filter) {
  absl::StatusOr<std::string> out = ns.Run("conntrack -L " + filter + " 2>/dev/null");
  if (!out.ok()) return out.status();
  std::vector<std::string> lines = absl::StrSplit(*out, '\n', absl::SkipEmpty());
  if (lines.empty()) return absl::NotFoundError("conntrack lists no flow for " + filter);
  if (lines.size() > 1) {
    return absl::FailedPreconditionError("conntrack lists several flows: " + *out);
  }
  return ParseConntrackLine(lines[0]);
}

absl::StatusOr<std::vector<v1::Flow>> ListFlows(const NetNs& ns, const std::string& filter) {
  absl::StatusOr<std::string> out = ns.Run("conntrack -L " + filter + " 2>/dev/null");
  if (!out.ok()) return out.status();
  std::vector<v1::Flow> flows;
  for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
    absl::StatusOr<v1::Flow> flow = ParseConntrackLine(std::string(line));
    if (!flow.ok()) return flow.status();
    flows.push_back(*std::move(flow));
  }
  return flows;
}

}  // namespace flowtop::testing
