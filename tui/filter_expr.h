// The filter language typed after `/` in the TUI (and given with --filter):
// a boolean expression over flow fields with the same meaning as the fields
// of the gRPC v1::FlowFilter, so `dport 443` here selects what
// `allow: [{dst_port: 443}]` selects on a flowtopd.
//
//   expr    := term { ("or" | "||") term }
//   term    := factor { ["and" | "&&"] factor }        (juxtaposition is AND)
//   factor  := ("not" | "!") factor | "(" expr ")" | match
//   match   := FIELD [ "==" | "=" | "!=" ] VALUE { "," VALUE }
//            | PROTOCOL | "ipv4" | "ipv6"                    (shorthands)
//
// FIELD (FlowFilter field): proto (protocol), family, src (src_ip),
// dst (dst_ip), host|ip (any_ip), sport (src_port), dport (dst_port),
// port (any_port), state, process (process_name), pid, country
// (country_code, either end), node, name|hostname (hostname substring).
// Several values are an OR: `dport 80,443`. `!=` negates the match.
// Addresses take CIDRs: `src 10.0.0.0/8`, `host 2001:db8::/32`.
//
// Values are parsed by the same functions as the gRPC FlowFilter
// (core/filters/: Cidr, ParseStateName, ParseProtocol, ParseFamily,
// ParseCountryCode) and each condition compiles to the core's FieldMatch,
// matched by the core's FieldHolds over FlowHot; this file adds only the
// expression syntax.
//
// A bad expression gives INVALID_ARGUMENT with a 1-based column:
// "at column 7: expected a port number after 'dport'".
#ifndef FLOWTOP_TUI_FILTER_EXPR_H_
#define FLOWTOP_TUI_FILTER_EXPR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/filters/field_match.h"
#include "core/flow_filter.h"
#include "flowtop/v1/flowtop.pb.h"
#include "tui/flow_hot.h"

namespace flowtop::tui {

// The fields, and one condition, are the core's (core/filters/field_match.h):
// the same predicates FlowFilter compiles to.
using Field = core::FilterField;

// One condition: a field compared with a list of values (any value
// matches), or with none of them (`!=`).
struct Match : core::FieldMatch {
  bool negate = false;
};

class FilterExpr {
 public:
  enum class Kind { kAnd, kOr, kNot, kMatch, kTrue };

  // Bounds on what Parse accepts: text length, and nesting of '(' and 'not'.
  static constexpr size_t kMaxLength = 4096;
  static constexpr int kMaxDepth = 64;

  // Parses `text`. An empty (or blank) text gives a filter that matches
  // everything. Errors: INVALID_ARGUMENT "at column N: ...", or for a text
  // beyond kMaxLength or kMaxDepth.
  static absl::StatusOr<std::shared_ptr<const FilterExpr>> Parse(
      absl::string_view text);

  // Returns whether `flow` passes. `node` is the node label shown for the
  // flow (flow.node() when empty).
  bool Matches(const v1::Flow& flow, absl::string_view node = "") const;
  // As above, reading the flattened fields from `hot` (ComputeHot(flow))
  // where it can: the fast path used on every frame.
  bool Matches(const v1::Flow& flow, const FlowHot& hot, absl::string_view node) const;
  // As above, fetching the flow and the node only when a condition needs
  // more than the hot fields (so most frames never touch the flow).
  bool Matches(const FlowHot& hot, absl::FunctionRef<const v1::Flow&()> flow,
               absl::FunctionRef<absl::string_view()> node) const;

  // As above, with `text` deciding each condition the hot fields do not
  // hold (addresses, node, host names, process, unit, container) without
  // its `negate`, which is applied here.
  bool Matches(const FlowHot& hot, absl::FunctionRef<bool(const Match&)> text) const;

  // Whether every condition is decided by the hot fields and the flow's
  // processes alone (process, unit, container): flows with the same
  // processes get the same answer for each condition.
  bool ReadsOnlyProcesses() const;

  // Returns a canonical text of the expression, fully parenthesised
  // (for tests and the status line).
  std::string DebugString() const;

  Kind kind() const { return kind_; }

  // Building blocks (used by the parser).
  FilterExpr(Kind kind, std::vector<std::unique_ptr<FilterExpr>> children)
      : kind_(kind), children_(std::move(children)) {}
  explicit FilterExpr(Match match) : kind_(Kind::kMatch), match_(std::move(match)) {}

 private:
  Kind kind_;
  std::vector<std::unique_ptr<FilterExpr>> children_;
  Match match_;
};

// Returns whether one Match holds for `flow` (exposed for tests).
bool MatchHolds(const Match& match, const FlowHot& hot,
                absl::FunctionRef<const v1::Flow&()> flow,
                absl::FunctionRef<absl::string_view()> node);

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_FILTER_EXPR_H_
