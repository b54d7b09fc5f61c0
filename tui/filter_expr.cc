#include "tui/filter_expr.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tui/format.h"

namespace flowtop::tui {

namespace {

// ---------------------------------------------------------------------------
// Tokens

enum class Tok { kWord, kString, kLParen, kRParen, kComma, kEq, kNe, kNot, kAnd, kOr, kEnd };

struct Token {
  Tok kind;
  std::string text;
  int column;  // 1-based
};

bool IsWordChar(char c) {
  return !std::isspace(static_cast<unsigned char>(c)) && c != '(' && c != ')' &&
         c != ',' && c != '!' && c != '=' && c != '"' && c != '&' && c != '|';
}

absl::Status ErrorAt(int column, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("at column ", column, ": ", message));
}

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const int col = static_cast<int>(i) + 1;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(') {
      out.push_back({Tok::kLParen, "(", col});
      ++i;
    } else if (c == ')') {
      out.push_back({Tok::kRParen, ")", col});
      ++i;
    } else if (c == ',') {
      out.push_back({Tok::kComma, ",", col});
      ++i;
    } else if (c == '=') {
      i += (i + 1 < s.size() && s[i + 1] == '=') ? 2 : 1;
      out.push_back({Tok::kEq, "==", col});
    } else if (c == '!') {
      if (i + 1 < s.size() && s[i + 1] == '=') {
        out.push_back({Tok::kNe, "!=", col});
        i += 2;
      } else {
        out.push_back({Tok::kNot, "!", col});
        ++i;
      }
    } else if (c == '&' || c == '|') {
      if (i + 1 >= s.size() || s[i + 1] != c) {
        return ErrorAt(col, absl::StrCat("expected '", std::string(2, c), "'"));
      }
      out.push_back({c == '&' ? Tok::kAnd : Tok::kOr, std::string(2, c), col});
      i += 2;
    } else if (c == '"') {
      const size_t end = s.find('"', i + 1);
      if (end == absl::string_view::npos) {
        return ErrorAt(col, "unterminated quoted string");
      }
      out.push_back({Tok::kString, std::string(s.substr(i + 1, end - i - 1)), col});
      i = end + 1;
    } else {
      size_t j = i;
      while (j < s.size() && IsWordChar(s[j])) ++j;
      std::string word(s.substr(i, j - i));
      const std::string lower = absl::AsciiStrToLower(word);
      if (lower == "and") {
        out.push_back({Tok::kAnd, word, col});
      } else if (lower == "or") {
        out.push_back({Tok::kOr, word, col});
      } else if (lower == "not") {
        out.push_back({Tok::kNot, word, col});
      } else {
        out.push_back({Tok::kWord, word, col});
      }
      i = j;
    }
  }
  out.push_back({Tok::kEnd, "", static_cast<int>(s.size()) + 1});
  return out;
}

// ---------------------------------------------------------------------------
// Parser

struct FieldInfo {
  const char* name;
  Field field;
  const char* expected;  // "expected <this> after '<name>'"
};

constexpr FieldInfo kFields[] = {
    {"proto", Field::kProtocol, "a protocol (tcp, udp, udplite, icmp, icmp6, sctp, dccp, gre or a number)"},
    {"protocol", Field::kProtocol, "a protocol (tcp, udp, udplite, icmp, icmp6, sctp, dccp, gre or a number)"},
    {"family", Field::kFamily, "ipv4 or ipv6"},
    {"src", Field::kSrcIp, "an address or CIDR"},
    {"dst", Field::kDstIp, "an address or CIDR"},
    {"host", Field::kAnyIp, "an address or CIDR"},
    {"ip", Field::kAnyIp, "an address or CIDR"},
    {"sport", Field::kSrcPort, "a port number"},
    {"dport", Field::kDstPort, "a port number"},
    {"port", Field::kAnyPort, "a port number"},
    {"state", Field::kState, "a state name (e.g. ESTABLISHED, TIME_WAIT)"},
    {"process", Field::kProcess, "a process name"},
    {"pid", Field::kPid, "a process id"},
    {"country", Field::kCountry, "a two-letter country code"},
    {"node", Field::kNode, "a node name"},
    {"name", Field::kHostname, "a host name (or part of one)"},
    {"hostname", Field::kHostname, "a host name (or part of one)"},
    {"unit", Field::kUnit, "a systemd unit (nginx.service, or nginx)"},
    {"container", Field::kContainer, "a container id or its first characters"},
};

const FieldInfo* FindField(absl::string_view word) {
  const std::string lower = absl::AsciiStrToLower(word);
  for (const FieldInfo& f : kFields) {
    if (lower == f.name) return &f;
  }
  return nullptr;
}

// Returns whether a bare word is a protocol shorthand ("tcp", "icmpv6"):
// a protocol name, not a number (so "6" stays an unknown field).
bool ProtocolShorthand(absl::string_view word, uint32_t& out) {
  uint32_t ignored;
  if (absl::SimpleAtoi(word, &ignored)) return false;
  absl::StatusOr<int> protocol = core::ParseProtocol(word);
  if (!protocol.ok()) return false;
  out = static_cast<uint32_t>(*protocol);
  return true;
}

const char* FieldName(Field f) {
  for (const FieldInfo& info : kFields) {
    if (info.field == f) return info.name;
  }
  return "?";
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  absl::StatusOr<std::unique_ptr<FilterExpr>> ParseAll() {
    auto expr = ParseOr();
    if (!expr.ok()) return expr.status();
    const Token& t = Peek();
    if (t.kind == Tok::kRParen) return ErrorAt(t.column, "unexpected ')'");
    if (t.kind != Tok::kEnd) {
      return ErrorAt(t.column, absl::StrCat("unexpected '", t.text, "'"));
    }
    return expr;
  }

 private:
  int depth_ = 0;
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  absl::StatusOr<std::unique_ptr<FilterExpr>> ParseOr() {
    std::vector<std::unique_ptr<FilterExpr>> parts;
    auto first = ParseAnd();
    if (!first.ok()) return first.status();
    parts.push_back(std::move(*first));
    while (Peek().kind == Tok::kOr) {
      const Token op = Next();
      if (Peek().kind == Tok::kEnd) {
        return ErrorAt(Peek().column, absl::StrCat("expected a condition after '", op.text, "'"));
      }
      auto next = ParseAnd();
      if (!next.ok()) return next.status();
      parts.push_back(std::move(*next));
    }
    if (parts.size() == 1) return std::move(parts[0]);
    return std::make_unique<FilterExpr>(FilterExpr::Kind::kOr, std::move(parts));
  }

  bool StartsFactor(const Token& t) const {
    return t.kind == Tok::kWord || t.kind == Tok::kNot || t.kind == Tok::kLParen;
  }

  absl::StatusOr<std::unique_ptr<FilterExpr>> ParseAnd() {
    std::vector<std::unique_ptr<FilterExpr>> parts;
    auto first = ParseFactor();
    if (!first.ok()) return first.status();
    parts.push_back(std::move(*first));
    while (Peek().kind == Tok::kAnd || StartsFactor(Peek())) {
      if (Peek().kind == Tok::kAnd) {
        const Token op = Next();
        if (Peek().kind == Tok::kEnd) {
          return ErrorAt(Peek().column,
                         absl::StrCat("expected a condition after '", op.text, "'"));
        }
      }
      auto next = ParseFactor();
      if (!next.ok()) return next.status();
      parts.push_back(std::move(*next));
    }
    if (parts.size() == 1) return std::move(parts[0]);
    return std::make_unique<FilterExpr>(FilterExpr::Kind::kAnd, std::move(parts));
  }

  // Nesting ('(' and 'not') recurses: bound it, so that 10,000 '(' are an
  // error and not a stack overflow (here, in Matches and in the destructor).
  absl::StatusOr<std::unique_ptr<FilterExpr>> ParseFactor() {
    const Token t = Peek();
    if ((t.kind == Tok::kNot || t.kind == Tok::kLParen) &&
        depth_ >= FilterExpr::kMaxDepth) {
      return ErrorAt(t.column, absl::StrCat("filter nests deeper than ",
                                            FilterExpr::kMaxDepth,
                                            " levels of '(' and 'not'"));
    }
    struct Nest {
      explicit Nest(int* d) : depth(d) { ++*depth; }
      ~Nest() { --*depth; }
      int* depth;
    } nest(&depth_);
    switch (t.kind) {
      case Tok::kNot: {
        Next();
        if (Peek().kind == Tok::kEnd) {
          return ErrorAt(Peek().column, absl::StrCat("expected a condition after '", t.text, "'"));
        }
        auto inner = ParseFactor();
        if (!inner.ok()) return inner.status();
        std::vector<std::unique_ptr<FilterExpr>> parts;
        parts.push_back(std::move(*inner));
        return std::make_unique<FilterExpr>(FilterExpr::Kind::kNot, std::move(parts));
      }
      case Tok::kLParen: {
        Next();
        auto inner = ParseOr();
        if (!inner.ok()) return inner.status();
        if (Peek().kind != Tok::kRParen) {
          return ErrorAt(Peek().column,
                         absl::StrCat("expected ')' to close '(' at column ", t.column));
        }
        Next();
        return inner;
      }
      case Tok::kWord:
        return ParseMatch();
      case Tok::kEnd:
        return ErrorAt(t.column, "expected a condition (e.g. 'dport 443')");
      default:
        return ErrorAt(t.column, absl::StrCat("unexpected '", t.text,
                                              "', expected a condition"));
    }
  }

  absl::StatusOr<std::unique_ptr<FilterExpr>> ParseMatch() {
    const Token word = Next();
    Match m;
    uint32_t number;
    // Shorthands: a bare protocol or family name.
    if (FindField(word.text) == nullptr) {
      if (ProtocolShorthand(word.text, number)) {
        m.field = Field::kProtocol;
        m.numbers.push_back(number);
        return std::make_unique<FilterExpr>(std::move(m));
      }
      const std::string lower = absl::AsciiStrToLower(word.text);
      if (lower == "ipv4" || lower == "ipv6") {
        m.field = Field::kFamily;
        m.numbers.push_back(*core::ParseFamily(lower));
        return std::make_unique<FilterExpr>(std::move(m));
      }
      return ErrorAt(word.column,
                     absl::StrCat("unknown field '", word.text,
                                  "' (fields: proto, family, src, dst, host, sport, "
                                  "dport, port, state, process, pid, country, node, name)"));
    }
    const FieldInfo& info = *FindField(word.text);
    m.field = info.field;
    if (Peek().kind == Tok::kEq) {
      Next();
    } else if (Peek().kind == Tok::kNe) {
      Next();
      m.negate = true;
    }
    while (true) {
      const Token& v = Peek();
      if (v.kind != Tok::kWord && v.kind != Tok::kString) {
        return ErrorAt(v.column, absl::StrCat("expected ", info.expected, " after '",
                                              word.text, "'"));
      }
      Next();
      absl::Status st = AddValue(info, word, v, m);
      if (!st.ok()) return st;
      if (Peek().kind != Tok::kComma) break;
      Next();
    }
    return std::make_unique<FilterExpr>(std::move(m));
  }

  absl::Status AddValue(const FieldInfo& info, const Token& field, const Token& v,
                        Match& m) {
    const auto bad = [&]() {
      return ErrorAt(v.column, absl::StrCat("expected ", info.expected, " after '",
                                            field.text, "', got '", v.text, "'"));
    };
    uint32_t n;
    switch (info.field) {
      case Field::kProtocol: {
        absl::StatusOr<int> protocol = core::ParseProtocol(v.text);
        if (!protocol.ok()) return bad();
        m.numbers.push_back(static_cast<uint32_t>(*protocol));
        return absl::OkStatus();
      }
      case Field::kFamily: {
        absl::StatusOr<v1::AddressFamily> family = core::ParseFamily(v.text);
        if (!family.ok()) return bad();
        m.numbers.push_back(static_cast<uint32_t>(*family));
        return absl::OkStatus();
      }
      case Field::kSrcIp:
      case Field::kDstIp:
      case Field::kAnyIp: {
        auto cidr = core::Cidr::Parse(v.text);
        if (!cidr.ok()) {
          return ErrorAt(v.column, cidr.status().message());
        }
        m.cidrs.push_back(*cidr);
        return absl::OkStatus();
      }
      case Field::kSrcPort:
      case Field::kDstPort:
      case Field::kAnyPort:
        if (!absl::SimpleAtoi(v.text, &n) || !core::IsPort(n)) return bad();
        m.numbers.push_back(n);
        return absl::OkStatus();
      case Field::kPid:
        if (!absl::SimpleAtoi(v.text, &n) || n == 0) return bad();
        m.numbers.push_back(n);
        return absl::OkStatus();
      case Field::kState: {
        absl::StatusOr<std::string> name = core::ParseStateName(v.text);
        if (!name.ok()) return ErrorAt(v.column, name.status().message());
        for (const auto& [state_case, value] : core::StatesNamed(*name)) {
          m.states.emplace_back(state_case, value);
        }
        m.strings.push_back(*std::move(name));
        return absl::OkStatus();
      }
      case Field::kCountry: {
        absl::StatusOr<std::string> code = core::ParseCountryCode(v.text);
        if (!code.ok()) return bad();
        m.strings.push_back(*std::move(code));
        return absl::OkStatus();
      }
      case Field::kProcess:
      case Field::kNode:
        if (v.text.empty()) return bad();
        m.strings.push_back(v.text);
        return absl::OkStatus();
      case Field::kHostname:
      case Field::kContainer:
        if (v.text.empty()) return bad();
        m.strings.push_back(absl::AsciiStrToLower(v.text));
        return absl::OkStatus();
      case Field::kUnit:
        if (v.text.empty()) return bad();
        m.strings.push_back(v.text);
        return absl::OkStatus();
    }
    return bad();
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

bool MatchHolds(const Match& match, const FlowHot& hot,
                absl::FunctionRef<const v1::Flow&()> flow,
                absl::FunctionRef<absl::string_view()> node) {
  return core::FieldHolds(match, hot, flow, node) != match.negate;
}

absl::StatusOr<std::shared_ptr<const FilterExpr>> FilterExpr::Parse(
    absl::string_view text) {
  if (text.size() > kMaxLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter is ", text.size(), " characters long, more than the ",
        kMaxLength, " allowed"));
  }
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  if (tokens->size() == 1) {
    return std::make_shared<const FilterExpr>(Kind::kTrue,
                                              std::vector<std::unique_ptr<FilterExpr>>());
  }
  Parser parser(*std::move(tokens));
  auto expr = parser.ParseAll();
  if (!expr.ok()) return expr.status();
  return std::shared_ptr<const FilterExpr>(std::move(*expr));
}

bool FilterExpr::Matches(const v1::Flow& flow, absl::string_view node) const {
  return Matches(flow, ComputeHot(flow, TrafficOf(flow)), node);
}

bool FilterExpr::Matches(const v1::Flow& flow, const FlowHot& hot,
                         absl::string_view node) const {
  return Matches(hot, [&flow]() -> const v1::Flow& { return flow; },
                 [node]() { return node; });
}

bool FilterExpr::Matches(const FlowHot& hot, absl::FunctionRef<const v1::Flow&()> flow,
                         absl::FunctionRef<absl::string_view()> node) const {
  switch (kind_) {
    case Kind::kTrue: return true;
    case Kind::kMatch: return MatchHolds(match_, hot, flow, node);
    case Kind::kNot: return !children_[0]->Matches(hot, flow, node);
    case Kind::kAnd:
      for (const auto& c : children_) {
        if (!c->Matches(hot, flow, node)) return false;
      }
      return true;
    case Kind::kOr:
      for (const auto& c : children_) {
        if (c->Matches(hot, flow, node)) return true;
      }
      return false;
  }
  return false;
}

namespace {

// Conditions FieldHolds decides from the hot fields alone.
bool HotField(Field f) {
  switch (f) {
    case Field::kSrcIp:
    case Field::kDstIp:
    case Field::kAnyIp:
    case Field::kProcess:
    case Field::kNode:
    case Field::kHostname:
    case Field::kUnit:
    case Field::kContainer:
      return false;
    default:
      return true;
  }
}

bool ProcessField(Field f) {
  return f == Field::kProcess || f == Field::kUnit || f == Field::kContainer;
}

const v1::Flow& NoFlow() { return v1::Flow::default_instance(); }
absl::string_view NoNode() { return ""; }

}  // namespace

bool FilterExpr::Matches(const FlowHot& hot,
                         absl::FunctionRef<bool(const Match&)> text) const {
  switch (kind_) {
    case Kind::kTrue: return true;
    case Kind::kMatch: {
      const bool holds = HotField(match_.field) ? core::FieldHolds(match_, hot, NoFlow, NoNode)
                                                : text(match_);
      return holds != match_.negate;
    }
    case Kind::kNot: return !children_[0]->Matches(hot, text);
    case Kind::kAnd:
      for (const auto& c : children_) {
        if (!c->Matches(hot, text)) return false;
      }
      return true;
    case Kind::kOr:
      for (const auto& c : children_) {
        if (c->Matches(hot, text)) return true;
      }
      return false;
  }
  return false;
}

bool FilterExpr::ReadsOnlyProcesses() const {
  if (kind_ == Kind::kMatch) return HotField(match_.field) || ProcessField(match_.field);
  return std::all_of(children_.begin(), children_.end(),
                     [](const auto& c) { return c->ReadsOnlyProcesses(); });
}

std::string FilterExpr::DebugString() const {
  switch (kind_) {
    case Kind::kTrue: return "true";
    case Kind::kNot: return absl::StrCat("not ", children_[0]->DebugString());
    case Kind::kAnd:
    case Kind::kOr: {
      std::vector<std::string> parts;
      for (const auto& c : children_) parts.push_back(c->DebugString());
      return absl::StrCat("(", absl::StrJoin(parts, kind_ == Kind::kAnd ? " and " : " or "), ")");
    }
    case Kind::kMatch: {
      std::vector<std::string> values;
      for (uint32_t n : match_.numbers) values.push_back(absl::StrCat(n));
      for (const core::Cidr& c : match_.cidrs) {
        values.push_back(absl::StrCat(FormatIp(c.Address()), "/", c.prefix));
      }
      for (const std::string& s : match_.strings) values.push_back(s);
      return absl::StrCat(FieldName(match_.field), match_.negate ? " != " : " ",
                          absl::StrJoin(values, ","));
    }
  }
  return "?";
}

}  // namespace flowtop::tui
