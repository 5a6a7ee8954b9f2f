// Precedence-climbing parser for the condition language. Operator precedences follow
// expr-lang/expr's parser (or 10, and 15, comparisons 20, .. 25, + - 30, * / % 60, unary ! 50,
// unary - 90, ** 100 right-assoc, ?? 500); the ternary binds loosest.
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>

#include "analysis/expr.h"
#include "analysis/expr_ast.h"

namespace vane::analysis::expr {
namespace {

struct OpInfo {
  int prec;
  bool right;
};

const std::map<std::string, OpInfo, std::less<>>& binaryOps() {
  static const std::map<std::string, OpInfo, std::less<>> ops = {
      {"or", {10, false}},       {"||", {10, false}},         {"and", {15, false}},
      {"&&", {15, false}},       {"==", {20, false}},         {"!=", {20, false}},
      {"<", {20, false}},        {">", {20, false}},          {"<=", {20, false}},
      {">=", {20, false}},       {"in", {20, false}},         {"matches", {20, false}},
      {"contains", {20, false}}, {"startsWith", {20, false}}, {"endsWith", {20, false}},
      {"..", {25, false}},       {"+", {30, false}},          {"-", {30, false}},
      {"*", {60, false}},        {"/", {60, false}},          {"%", {60, false}},
      {"**", {100, true}},       {"^", {100, true}},          {"??", {500, false}},
  };
  return ops;
}

using NodePtr = std::shared_ptr<Node>;

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  Result<std::shared_ptr<const Node>> parseAll() {
    NodePtr root = expression(0);
    if (!err_.isOk()) return err_;
    if (cur().type != Tok::kEof) return unexpected();
    return std::shared_ptr<const Node>(root);
  }

 private:
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(size_t n = 1) const { return toks_[std::min(pos_ + n, toks_.size() - 1)]; }
  bool isOp(const Token& t, std::string_view op) const {
    return t.type == Tok::kOp && t.text == op;
  }
  std::string where(const Token& t) const {
    return std::to_string(t.line) + ":" + std::to_string(t.col);
  }
  Status unexpected() {
    const Token& t = cur();
    if (err_.isOk()) {
      if (t.type == Tok::kEof) {
        err_ = Status(Code::kInvalid, "unexpected end of input at " + where(t));
      } else {
        std::string shown = t.type == Tok::kString ? "\"" + t.text + "\"" : t.text;
        err_ = Status(Code::kInvalid, "unexpected token \"" + shown + "\" at " + where(t));
      }
    }
    return err_;
  }
  NodePtr fail() {
    unexpected();
    return nullptr;
  }
  bool expect(std::string_view op) {
    if (!isOp(cur(), op)) {
      unexpected();
      return false;
    }
    ++pos_;
    return true;
  }
  NodePtr make(Kind k, const Token& at) {
    auto n = std::make_shared<Node>();
    n->kind = k;
    n->line = at.line;
    n->col = at.col;
    return n;
  }

  // Binary operator at the cursor (word operators included); "not in" style negations too.
  std::optional<std::pair<std::string, bool>> binaryAt() const {
    const Token& t = cur();
    if (t.type != Tok::kOp && t.type != Tok::kIdent) return std::nullopt;
    if (t.type == Tok::kIdent && t.text == "not") {
      const Token& n = peek();
      if (n.type == Tok::kIdent && binaryOps().count(n.text)) return std::pair{n.text, true};
      return std::nullopt;
    }
    if (binaryOps().count(t.text)) return std::pair{t.text, false};
    return std::nullopt;
  }

  NodePtr expression(int min_prec) {
    NodePtr left = unary();
    while (left && err_.isOk()) {
      auto op = binaryAt();
      if (!op) break;
      const OpInfo& info = binaryOps().find(op->first)->second;
      if (info.prec < min_prec) break;
      const Token& at = cur();
      pos_ += op->second ? 2 : 1;
      NodePtr right = expression(info.right ? info.prec : info.prec + 1);
      if (!right) return nullptr;
      NodePtr bin = make(Kind::kBinary, at);
      bin->text = op->first;
      bin->kids = {left, right};
      if (op->second) {
        NodePtr neg = make(Kind::kUnary, at);
        neg->text = "!";
        neg->kids = {bin};
        bin = neg;
      }
      left = bin;
    }
    if (left && min_prec == 0 && isOp(cur(), "?")) return ternary(left);
    return left;
  }

  NodePtr ternary(NodePtr cond) {
    const Token& at = cur();
    ++pos_;
    NodePtr a = expression(0);
    if (!a || !expect(":")) return nullptr;
    NodePtr b = expression(0);
    if (!b) return nullptr;
    NodePtr n = make(Kind::kTernary, at);
    n->kids = {cond, a, b};
    return n;
  }

  NodePtr unary() {
    const Token& t = cur();
    bool is_not = (t.type == Tok::kIdent && t.text == "not") || isOp(t, "!");
    if (is_not || isOp(t, "-") || isOp(t, "+")) {
      ++pos_;
      NodePtr operand = expression(is_not ? 50 : 90);
      if (!operand) return nullptr;
      NodePtr n = make(Kind::kUnary, t);
      n->text = is_not ? "!" : t.text;
      n->kids = {operand};
      return n;
    }
    return postfix(primary());
  }

  NodePtr primary();
  NodePtr call(const Token& name);
  NodePtr collection(bool is_map);
  NodePtr postfix(NodePtr node);

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int closure_depth_ = 0;
  Status err_;
};

NodePtr Parser::primary() {
  const Token& t = cur();
  switch (t.type) {
    case Tok::kNumber: {
      NodePtr n = make(Kind::kLiteral, t);
      n->value = t.number;
      ++pos_;
      return n;
    }
    case Tok::kString: {
      NodePtr n = make(Kind::kLiteral, t);
      n->value = t.text;
      ++pos_;
      return n;
    }
    case Tok::kPointer: {
      if (closure_depth_ == 0) return fail();
      ++pos_;
      return make(Kind::kPointer, t);
    }
    case Tok::kIdent: {
      ++pos_;
      if (t.text == "true" || t.text == "false" || t.text == "nil") {
        NodePtr n = make(Kind::kLiteral, t);
        n->value = t.text == "nil" ? json(nullptr) : json(t.text == "true");
        return n;
      }
      if (isOp(cur(), "(")) return call(t);
      NodePtr n = make(Kind::kIdent, t);
      n->text = t.text;
      return n;
    }
    case Tok::kOp:
      if (t.text == "(") {
        ++pos_;
        NodePtr inner = expression(0);
        if (!inner || !expect(")")) return nullptr;
        return inner;
      }
      if (t.text == "[") return collection(false);
      if (t.text == "{") return collection(true);
      if (t.text == "." && closure_depth_ > 0 && peek().type == Tok::kIdent) {
        // `.field` inside a predicate is `#.field`.
        NodePtr ptr = make(Kind::kPointer, t);
        ++pos_;
        NodePtr m = make(Kind::kMember, cur());
        m->text = cur().text;
        m->kids = {ptr};
        ++pos_;
        return m;
      }
      return fail();
    case Tok::kEof:
      return fail();
  }
  return fail();
}

NodePtr Parser::call(const Token& name) {
  Builtin fn = builtinByName(name.text);
  if (fn == Builtin::kNone) {
    err_ = Status(Code::kInvalid, "unknown func " + name.text + " at " + where(name));
    return nullptr;
  }
  NodePtr n = make(Kind::kCall, name);
  n->text = name.text;
  n->fn = fn;
  ++pos_;  // "("
  while (!isOp(cur(), ")")) {
    if (!n->kids.empty() && !expect(",")) return nullptr;
    NodePtr arg;
    if (takesPredicate(fn) && n->kids.size() == 1) {
      const Token& at = cur();
      bool braces = isOp(at, "{");
      if (braces) ++pos_;
      ++closure_depth_;
      NodePtr body = expression(0);
      --closure_depth_;
      if (!body || (braces && !expect("}"))) return nullptr;
      arg = make(Kind::kClosure, at);
      arg->kids = {body};
    } else {
      arg = expression(0);
    }
    if (!arg) return nullptr;
    n->kids.push_back(arg);
  }
  ++pos_;  // ")"
  return n;
}

NodePtr Parser::collection(bool is_map) {
  NodePtr n = make(is_map ? Kind::kMap : Kind::kArray, cur());
  ++pos_;
  const char* close = is_map ? "}" : "]";
  while (!isOp(cur(), close)) {
    if (!n->kids.empty() && !expect(",")) return nullptr;
    if (isOp(cur(), close)) break;  // trailing comma
    if (is_map) {
      const Token& k = cur();
      if (k.type != Tok::kIdent && k.type != Tok::kString && k.type != Tok::kNumber) return fail();
      n->keys.push_back(k.text);
      ++pos_;
      if (!expect(":")) return nullptr;
    }
    NodePtr v = expression(0);
    if (!v) return nullptr;
    n->kids.push_back(v);
  }
  ++pos_;
  return n;
}

NodePtr Parser::postfix(NodePtr node) {
  while (node && err_.isOk()) {
    const Token& t = cur();
    if (isOp(t, ".") || isOp(t, "?.")) {
      ++pos_;
      if (cur().type != Tok::kIdent) return fail();
      NodePtr m = make(Kind::kMember, t);
      m->text = cur().text;
      m->optional = t.text == "?.";
      m->kids = {node};
      ++pos_;
      node = m;
    } else if (isOp(t, "[")) {
      ++pos_;
      NodePtr from, to;
      bool slice = false;
      if (!isOp(cur(), ":")) from = expression(0);
      if (isOp(cur(), ":")) {
        slice = true;
        ++pos_;
        if (!isOp(cur(), "]")) to = expression(0);
      }
      if ((!slice && !from) || !err_.isOk() || !expect("]")) return nullptr;
      NodePtr ix = make(slice ? Kind::kSlice : Kind::kIndex, t);
      ix->kids = {node, from, to};
      if (!slice) ix->kids.resize(2);
      node = ix;
    } else {
      break;
    }
  }
  return node;
}

}  // namespace

Builtin builtinByName(const std::string& name) {
  static const std::map<std::string, Builtin, std::less<>> kByName = {
      {"len", Builtin::kLen},     {"all", Builtin::kAll},         {"any", Builtin::kAny},
      {"none", Builtin::kNone_},  {"one", Builtin::kOne},         {"filter", Builtin::kFilter},
      {"map", Builtin::kMap},     {"count", Builtin::kCount},     {"sum", Builtin::kSum},
      {"mean", Builtin::kMean},   {"median", Builtin::kMedian},   {"min", Builtin::kMin},
      {"max", Builtin::kMax},     {"abs", Builtin::kAbs},         {"ceil", Builtin::kCeil},
      {"floor", Builtin::kFloor}, {"round", Builtin::kRound},     {"int", Builtin::kInt},
      {"float", Builtin::kFloat}, {"string", Builtin::kString},   {"trim", Builtin::kTrim},
      {"upper", Builtin::kUpper}, {"lower", Builtin::kLower},     {"split", Builtin::kSplit},
      {"join", Builtin::kJoin},   {"first", Builtin::kFirst},     {"last", Builtin::kLast},
      {"keys", Builtin::kKeys},   {"values", Builtin::kValues},   {"isNaN", Builtin::kIsNaN},
      {"isInf", Builtin::kIsInf}, {"isNil", Builtin::kIsNil},     {"default", Builtin::kDefault},
      {"asInt", Builtin::kAsInt}, {"asFloat", Builtin::kAsFloat},
  };
  auto it = kByName.find(name);
  return it == kByName.end() ? Builtin::kNone : it->second;
}

bool takesPredicate(Builtin fn) {
  switch (fn) {
    case Builtin::kAll:
    case Builtin::kAny:
    case Builtin::kNone_:
    case Builtin::kOne:
    case Builtin::kFilter:
    case Builtin::kMap:
    case Builtin::kCount:
      return true;
    default:
      return false;
  }
}

Result<Program> Program::compile(std::string_view source) {
  auto toks = lex(source);
  if (!toks) return toks.status();
  Parser p(std::move(toks).value());
  auto root = p.parseAll();
  if (!root) return root.status();
  return Program(std::string(source), std::move(root).value());
}

}  // namespace vane::analysis::expr
