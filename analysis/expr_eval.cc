// Evaluation of the condition AST: variables, operators, member access and indexing. Semantics
// follow expr-lang/expr: `/` always yields a float, `%` needs integers, `&&`/`||` need bools and
// short-circuit, a missing map key is nil, an out-of-range index is an error.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>

#include "analysis/expr.h"
#include "analysis/expr_ast.h"

namespace vane::analysis::expr {

std::string typeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "nil";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "int";
    case json::value_t::number_float:
      return "float64";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "[]interface {}";
    case json::value_t::object:
      return "map[string]interface {}";
    default:
      return "unknown";
  }
}

namespace {
std::string formatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[64];
  double a = std::fabs(d);
  auto fmt = (a == 0 || (a >= 1e-6 && a < 1e21)) ? std::chars_format::fixed
                                                 : std::chars_format::scientific;
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, fmt);
  if (ec != std::errc()) return std::to_string(d);
  return std::string(buf, end);
}
}  // namespace

std::string formatValue(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "<nil>";
    case json::value_t::number_float:
      return formatDouble(v.get<double>());
    case json::value_t::string:
      return v.get<std::string>();
    case json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ",";
        out += formatValue(v[i]);
      }
      return out + "]";
    }
    default:
      return v.dump();
  }
}

bool valuesEqual(const json& a, const json& b) {
  if (isNumber(a) && isNumber(b)) {
    if (isInteger(a) && isInteger(b)) return toInt(a) == toInt(b);
    return toDouble(a) == toDouble(b);
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!valuesEqual(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

bool Evaluator::fail(const Node& at, const std::string& message) {
  if (error_.empty()) {
    error_ = message + " (" + std::to_string(at.line) + ":" + std::to_string(at.col) + ")";
  }
  return false;
}

bool Evaluator::eval(const Node& n, Val& out) {
  switch (n.kind) {
    case Kind::kLiteral:
      out.ref = &n.value;
      return true;
    case Kind::kIdent: {
      auto it = env_.find(n.text);
      if (it == env_.end()) return fail(n, "unknown name " + n.text);
      out.ref = &it->second;
      return true;
    }
    case Kind::kPointer:
      if (pointers_.empty()) return fail(n, "# used outside of a predicate");
      out.ref = pointers_.back();
      return true;
    case Kind::kMember:
      return member(n, out);
    case Kind::kIndex:
      return index(n, out);
    case Kind::kSlice:
      return slice(n, out);
    case Kind::kUnary: {
      Val v;
      if (!eval(*n.kids[0], v)) return false;
      const json& x = v.get();
      if (n.text == "!") {
        if (!x.is_boolean())
          return fail(n, "invalid operation: ! (mismatched type " + typeName(x) + ")");
        out = Val::of(!x.get<bool>());
        return true;
      }
      if (!isNumber(x)) {
        return fail(n, "invalid operation: " + n.text + " (mismatched type " + typeName(x) + ")");
      }
      if (n.text == "+") {
        out = Val::of(x);
      } else {
        out = isInteger(x) ? Val::of(-toInt(x)) : Val::of(-toDouble(x));
      }
      return true;
    }
    case Kind::kBinary:
      return binary(n, out);
    case Kind::kTernary: {
      Val c;
      if (!eval(*n.kids[0], c)) return false;
      if (!c.get().is_boolean()) {
        return fail(n, "non-bool expression (type " + typeName(c.get()) + ") used as condition");
      }
      return eval(*n.kids[c.get().get<bool>() ? 1 : 2], out);
    }
    case Kind::kCall:
      return call(n, out);
    case Kind::kArray: {
      json arr = json::array();
      for (const auto& k : n.kids) {
        Val v;
        if (!eval(*k, v)) return false;
        arr.push_back(v.get());
      }
      out = Val::of(std::move(arr));
      return true;
    }
    case Kind::kMap: {
      json obj = json::object();
      for (size_t i = 0; i < n.kids.size(); ++i) {
        Val v;
        if (!eval(*n.kids[i], v)) return false;
        obj[n.keys[i]] = v.get();
      }
      out = Val::of(std::move(obj));
      return true;
    }
    case Kind::kClosure:
      return fail(n, "predicate used outside of a builtin");
  }
  return fail(n, "unsupported expression");
}

bool Evaluator::member(const Node& n, Val& out) {
  Val obj;
  if (!eval(*n.kids[0], obj)) return false;
  const json& o = obj.get();
  if (o.is_null()) {
    if (n.optional) {
      out = Val::of(nullptr);
      return true;
    }
    return fail(n, "cannot fetch " + n.text + " from <nil>");
  }
  if (!o.is_object()) return fail(n, "cannot fetch " + n.text + " from " + typeName(o));
  auto it = o.find(n.text);
  if (it == o.end()) {
    out = Val::of(nullptr);
  } else if (obj.ref) {
    out.ref = &*it;
  } else {
    out = Val::of(*it);
  }
  return true;
}

bool Evaluator::index(const Node& n, Val& out) {
  Val obj, idx;
  if (!eval(*n.kids[0], obj) || !eval(*n.kids[1], idx)) return false;
  const json& o = obj.get();
  const json& i = idx.get();
  if (o.is_object()) {
    if (!i.is_string()) return fail(n, "cannot use " + typeName(i) + " as map key");
    auto it = o.find(i.get<std::string>());
    if (it == o.end()) {
      out = Val::of(nullptr);
    } else if (obj.ref) {
      out.ref = &*it;
    } else {
      out = Val::of(*it);
    }
    return true;
  }
  if (!o.is_array() && !o.is_string()) {
    return fail(n, "cannot index " + typeName(o) + (o.is_null() ? " (result is nil)" : ""));
  }
  if (!isNumber(i) || (!isInteger(i) && std::floor(toDouble(i)) != toDouble(i))) {
    return fail(n, "invalid index " + formatValue(i) + " (type " + typeName(i) + ")");
  }
  int64_t k = isInteger(i) ? toInt(i) : static_cast<int64_t>(toDouble(i));
  int64_t len =
      static_cast<int64_t>(o.is_array() ? o.size() : o.get_ref<const std::string&>().size());
  int64_t pos = k < 0 ? k + len : k;
  if (pos < 0 || pos >= len) {
    return fail(n, "index out of range: " + std::to_string(k) + " (array length is " +
                       std::to_string(len) + ")");
  }
  if (o.is_string()) {
    out = Val::of(std::string(1, o.get_ref<const std::string&>()[pos]));
  } else if (obj.ref) {
    out.ref = &o[static_cast<size_t>(pos)];
  } else {
    out = Val::of(o[static_cast<size_t>(pos)]);
  }
  return true;
}

bool Evaluator::slice(const Node& n, Val& out) {
  Val obj;
  if (!eval(*n.kids[0], obj)) return false;
  const json& o = obj.get();
  if (!o.is_array()) return fail(n, "cannot slice " + typeName(o));
  int64_t len = static_cast<int64_t>(o.size());
  int64_t bounds[2] = {0, len};
  for (int b = 0; b < 2; ++b) {
    if (!n.kids[b + 1]) continue;
    Val v;
    if (!eval(*n.kids[b + 1], v)) return false;
    if (!isInteger(v.get())) return fail(n, "slice bound must be an integer");
    int64_t x = toInt(v.get());
    bounds[b] = std::clamp<int64_t>(x < 0 ? x + len : x, 0, len);
  }
  json arr = json::array();
  for (int64_t k = bounds[0]; k < bounds[1]; ++k) arr.push_back(o[static_cast<size_t>(k)]);
  out = Val::of(std::move(arr));
  return true;
}

namespace {
bool compare(const std::string& op, int c) {
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}
}  // namespace

bool Evaluator::binary(const Node& n, Val& out) {
  const std::string& op = n.text;
  Val lv;
  if (!eval(*n.kids[0], lv)) return false;
  const json& l = lv.get();
  if (op == "&&" || op == "and" || op == "||" || op == "or") {
    bool is_and = op == "&&" || op == "and";
    if (!l.is_boolean())
      return fail(n, "invalid operation: " + op + " (mismatched type " + typeName(l) + ")");
    if (l.get<bool>() != is_and) {
      out = Val::of(!is_and);
      return true;
    }
    Val rv;
    if (!eval(*n.kids[1], rv)) return false;
    if (!rv.get().is_boolean()) {
      return fail(n, "invalid operation: " + op + " (mismatched type " + typeName(rv.get()) + ")");
    }
    out = Val::of(rv.get().get<bool>());
    return true;
  }
  if (op == "??") {
    if (!l.is_null()) {
      out = std::move(lv);
      return true;
    }
    return eval(*n.kids[1], out);
  }
  Val rv;
  if (!eval(*n.kids[1], rv)) return false;
  const json& r = rv.get();
  auto mismatch = [&] {
    return fail(n, "invalid operation: " + op + " (mismatched types " + typeName(l) + " and " +
                       typeName(r) + ")");
  };
  if (op == "==" || op == "!=") {
    out = Val::of(valuesEqual(l, r) == (op == "=="));
    return true;
  }
  if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    if (isNumber(l) && isNumber(r)) {
      if (isInteger(l) && isInteger(r)) {
        int64_t a = toInt(l), b = toInt(r);
        out = Val::of(compare(op, a < b ? -1 : (a > b ? 1 : 0)));
      } else {
        double a = toDouble(l), b = toDouble(r);
        // NaN compares false with everything, as in Go.
        bool res = op == "<" ? a < b : op == "<=" ? a <= b : op == ">" ? a > b : a >= b;
        out = Val::of(res);
      }
      return true;
    }
    if (l.is_string() && r.is_string()) {
      out = Val::of(
          compare(op, l.get_ref<const std::string&>().compare(r.get_ref<const std::string&>())));
      return true;
    }
    return mismatch();
  }
  if (op == "in") {
    if (r.is_array()) {
      bool found = false;
      for (const auto& e : r) found = found || valuesEqual(l, e);
      out = Val::of(found);
      return true;
    }
    if (r.is_object()) {
      if (!l.is_string()) return mismatch();
      out = Val::of(r.contains(l.get<std::string>()));
      return true;
    }
    if (r.is_null()) {
      out = Val::of(false);
      return true;
    }
    return mismatch();
  }
  if (op == "contains" || op == "startsWith" || op == "endsWith" || op == "matches") {
    if (!l.is_string() || !r.is_string()) return mismatch();
    const auto& a = l.get_ref<const std::string&>();
    const auto& b = r.get_ref<const std::string&>();
    bool res = false;
    if (op == "contains") {
      res = a.find(b) != std::string::npos;
    } else if (op == "startsWith") {
      res = a.rfind(b, 0) == 0;
    } else if (op == "endsWith") {
      res = a.size() >= b.size() && a.compare(a.size() - b.size(), b.size(), b) == 0;
    } else {
      try {
        res = std::regex_search(a, std::regex(b));
      } catch (const std::regex_error& e) {
        return fail(n, "invalid regexp \"" + b + "\": " + e.what());
      }
    }
    out = Val::of(res);
    return true;
  }
  if (op == "..") {
    if (!isInteger(l) || !isInteger(r)) return mismatch();
    json arr = json::array();
    for (int64_t k = toInt(l); k <= toInt(r) && arr.size() < 1000000; ++k) arr.push_back(k);
    out = Val::of(std::move(arr));
    return true;
  }
  if (op == "+" && l.is_string() && r.is_string()) {
    out = Val::of(l.get<std::string>() + r.get<std::string>());
    return true;
  }
  if (op == "+" && l.is_array() && r.is_array()) {
    json arr = l;
    for (const auto& e : r) arr.push_back(e);
    out = Val::of(std::move(arr));
    return true;
  }
  if (!isNumber(l) || !isNumber(r)) return mismatch();
  bool ints = isInteger(l) && isInteger(r);
  if (op == "%") {
    if (!ints) return mismatch();
    if (toInt(r) == 0) return fail(n, "integer divide by zero");
    out = Val::of(toInt(l) % toInt(r));
    return true;
  }
  if (ints && (op == "+" || op == "-" || op == "*")) {
    int64_t a = toInt(l), b = toInt(r);
    out = Val::of(op == "+" ? a + b : op == "-" ? a - b : a * b);
    return true;
  }
  double a = toDouble(l), b = toDouble(r);
  double res = op == "+"   ? a + b
               : op == "-" ? a - b
               : op == "*" ? a * b
               : op == "/" ? a / b
                           : std::pow(a, b);
  out = Val::of(res);
  return true;
}

Result<json> Program::eval(const Env& env) const {
  Evaluator ev(env);
  Val out;
  if (!ev.eval(*root_, out)) return Status(Code::kInvalid, ev.error());
  return out.get();
}

Result<bool> Program::evalBool(const Env& env) const {
  Evaluator ev(env);
  Val out;
  if (!ev.eval(*root_, out)) return Status(Code::kInvalid, ev.error());
  if (!out.get().is_boolean()) {
    return Status(Code::kInvalid, "expected bool, but got " + typeName(out.get()));
  }
  return out.get().get<bool>();
}

}  // namespace vane::analysis::expr
