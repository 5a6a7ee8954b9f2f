// Kubernetes JSONPath (k8s.io/client-go/util/jsonpath) subset: parse into steps, then apply the
// steps to a set of nodes. Missing keys yield no results, as with allowMissingKeys (what kubectl
// custom columns and CRD printer columns use).
#include "kube/jsonpath.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <optional>
#include <string>

namespace vane::kube {
namespace {

using json = nlohmann::json;

struct Step;
using Path = std::vector<Step>;

struct Filter {
  Path lhs;        // relative to @
  std::string op;  // "" (exists), ==, !=, <, >, <=, >=
  json literal;
};

struct Step {
  enum Kind { kField, kWildcard, kRecursive, kIndex, kSlice, kFilter } kind;
  std::string name;                   // kField
  int64_t index = 0;                  // kIndex
  std::optional<int64_t> start, end;  // kSlice
  std::shared_ptr<Filter> filter;     // kFilter

  explicit Step(Kind k, std::string n = {}, int64_t i = 0)
      : kind(k), name(std::move(n)), index(i) {}
};

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<Path> parsePath(bool relative) {
    Path path;
    if (!relative && peek('$')) ++pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '.') {
        ++pos_;
        if (peek('.')) {
          ++pos_;
          path.emplace_back(Step::kRecursive);
        }
        if (peek('*')) {
          ++pos_;
          path.emplace_back(Step::kWildcard);
          continue;
        }
        std::string name = identifier();
        if (name.empty()) {
          if (path.empty() || path.back().kind != Step::kRecursive) continue;  // "." alone: @
          return error("expected a field name");
        }
        path.emplace_back(Step::kField, name);
      } else if (c == '[') {
        auto st = bracket(path);
        if (!st.isOk()) return st;
      } else if (relative) {
        break;  // the end of a filter's left-hand side
      } else {
        return error(std::string("unexpected character '") + c + "'");
      }
    }
    return path;
  }
  size_t pos() const { return pos_; }

 private:
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  void skipSpace() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  Status error(const std::string& msg) const {
    return Status(Code::kBadRequest, "jsonpath: " + msg + " at position " + std::to_string(pos_) +
                                         " in " + std::string(s_));
  }
  std::string identifier() {
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '\\' && pos_ + 1 < s_.size()) {
        out += s_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      if (c == '.' || c == '[' || c == ']' || c == ' ' || c == '(' || c == ')' || c == '=' ||
          c == '!' || c == '<' || c == '>' || c == '{' || c == '}' || c == ',') {
        break;
      }
      out += c;
      ++pos_;
    }
    return out;
  }
  std::optional<int64_t> integer() {
    size_t start = pos_;
    if (peek('-')) ++pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (pos_ == start || (pos_ == start + 1 && s_[start] == '-')) {
      pos_ = start;
      return std::nullopt;
    }
    int64_t v = 0;
    std::from_chars(s_.data() + start, s_.data() + pos_, v);
    return v;
  }
  Result<std::string> quoted() {
    char q = s_[pos_++];
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out += s_[pos_++];
    }
    if (pos_ >= s_.size()) return error("unterminated string");
    ++pos_;
    return out;
  }
  Result<json> literal() {
    skipSpace();
    if (peek('"') || peek('\'')) {
      auto s = quoted();
      if (!s.ok()) return s.status();
      return json(*s);
    }
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ')' && s_[pos_] != ' ') ++pos_;
    std::string tok(s_.substr(start, pos_ - start));
    if (tok == "true" || tok == "false") return json(tok == "true");
    try {
      size_t used = 0;
      if (tok.find_first_of(".eE") == std::string::npos) {
        long long i = std::stoll(tok, &used);
        if (used == tok.size()) return json(static_cast<int64_t>(i));
      }
      double d = std::stod(tok, &used);
      if (used == tok.size()) return json(d);
    } catch (const std::exception&) {
    }
    return error("invalid literal '" + tok + "'");
  }
  Status filter(Path& path) {
    if (++filter_depth_ > 16) return error("filters nested too deeply");
    pos_ += 2;  // "?("
    skipSpace();
    if (!peek('@')) return error("a filter must start with @");
    ++pos_;
    auto f = std::make_shared<Filter>();
    auto lhs = parsePath(true);
    if (!lhs.ok()) return lhs.status();
    f->lhs = std::move(*lhs);
    skipSpace();
    for (const char* op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (s_.substr(pos_).rfind(op, 0) == 0) {
        f->op = op;
        pos_ += f->op.size();
        auto lit = literal();
        if (!lit.ok()) return lit.status();
        f->literal = std::move(*lit);
        break;
      }
    }
    skipSpace();
    if (!peek(')')) return error("expected ')'");
    ++pos_;
    if (!peek(']')) return error("expected ']'");
    ++pos_;
    Step s(Step::kFilter);
    s.filter = std::move(f);
    path.push_back(std::move(s));
    --filter_depth_;
    return Status::ok();
  }
  Status bracket(Path& path) {
    ++pos_;  // '['
    if (s_.substr(pos_).rfind("?(", 0) == 0) return filter(path);
    if (peek('\'') || peek('"')) {
      auto name = quoted();
      if (!name.ok()) return name.status();
      path.emplace_back(Step::kField, *name);
    } else if (peek('*')) {
      ++pos_;
      path.emplace_back(Step::kWildcard);
    } else {
      auto first = integer();
      if (peek(':')) {
        ++pos_;
        Step s(Step::kSlice);
        s.start = first;
        s.end = integer();
        if (peek(':')) return error("slice steps are not supported");
        path.push_back(s);
      } else if (first) {
        path.emplace_back(Step::kIndex, "", *first);
      } else {
        return error("invalid array subscript");
      }
    }
    if (!peek(']')) return error("expected ']'");
    ++pos_;
    return Status::ok();
  }

  std::string_view s_;
  size_t pos_ = 0;
  int filter_depth_ = 0;
};

// Documents can come from untrusted HTTP bodies (web metrics): the descent is depth-bounded.
void descendants(const json& node, std::vector<const json*>& out, int depth = 0) {
  out.push_back(&node);
  if (depth < 256 && (node.is_object() || node.is_array())) {
    for (const auto& child : node) descendants(child, out, depth + 1);
  }
}

std::vector<const json*> apply(const Path& path, std::vector<const json*> cur);

bool compare(const json& v, const std::string& op, const json& lit) {
  if (v.is_number() && lit.is_number()) {
    double a = v.get<double>(), b = lit.get<double>();
    if (op == "==") return a == b;
    if (op == "!=") return a != b;
    if (op == "<") return a < b;
    if (op == ">") return a > b;
    if (op == "<=") return a <= b;
    return a >= b;
  }
  if (op == "==") return v == lit;
  if (op == "!=") return v != lit;
  if (!v.is_string() || !lit.is_string()) return false;
  const auto& a = v.get_ref<const std::string&>();
  const auto& b = lit.get_ref<const std::string&>();
  if (op == "<") return a < b;
  if (op == ">") return a > b;
  if (op == "<=") return a <= b;
  return a >= b;
}

bool matches(const Filter& f, const json& elem) {
  auto found = apply(f.lhs, {&elem});
  if (f.op.empty()) return !found.empty();
  if (found.empty()) return false;
  return compare(*found.front(), f.op, f.literal);
}

void applyStep(const Step& step, const json& n, std::vector<const json*>& next) {
  switch (step.kind) {
    case Step::kField:
      if (n.is_object()) {
        if (auto it = n.find(step.name); it != n.end()) next.push_back(&*it);
      }
      return;
    case Step::kWildcard:
      if (n.is_object() || n.is_array()) {
        for (const auto& c : n) next.push_back(&c);
      }
      return;
    case Step::kIndex: {
      if (!n.is_array()) return;
      auto size = static_cast<int64_t>(n.size());
      int64_t i = step.index < 0 ? size + step.index : step.index;
      if (i >= 0 && i < size) next.push_back(&n[static_cast<size_t>(i)]);
      return;
    }
    case Step::kSlice: {
      if (!n.is_array()) return;
      auto size = static_cast<int64_t>(n.size());
      auto clamp = [&](int64_t v) {
        return std::max<int64_t>(0, std::min(size, v < 0 ? size + v : v));
      };
      int64_t a = clamp(step.start.value_or(0)), b = clamp(step.end.value_or(size));
      for (int64_t i = a; i < b; ++i) next.push_back(&n[static_cast<size_t>(i)]);
      return;
    }
    case Step::kFilter:
      if (n.is_array()) {
        for (const auto& c : n) {
          if (matches(*step.filter, c)) next.push_back(&c);
        }
      }
      return;
    case Step::kRecursive:
      descendants(n, next);
      return;
  }
}

std::vector<const json*> apply(const Path& path, std::vector<const json*> cur) {
  for (const auto& step : path) {
    std::vector<const json*> next;
    for (const json* n : cur) applyStep(step, *n, next);
    cur = std::move(next);
  }
  return cur;
}

}  // namespace

Result<std::vector<json>> evalJsonPath(const json& root, std::string_view expr) {
  std::string_view e = expr;
  while (!e.empty() && e.front() == ' ') e.remove_prefix(1);
  while (!e.empty() && e.back() == ' ') e.remove_suffix(1);
  if (!e.empty() && e.front() == '{') {
    if (e.back() != '}')
      return Status(Code::kBadRequest, "jsonpath: unclosed action in " + std::string(expr));
    e = e.substr(1, e.size() - 2);
  }
  if (e.empty()) return Status(Code::kBadRequest, "jsonpath: empty expression");
  Parser parser(e);
  auto path = parser.parsePath(false);
  if (!path.ok()) return path.status();
  std::vector<json> out;
  for (const json* n : apply(*path, {&root})) out.push_back(*n);
  return out;
}

}  // namespace vane::kube
