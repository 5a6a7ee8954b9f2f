// Functions callable from templates: Go's builtins (text/template/funcs.go), the function table
// (with the sprig set of gotemplate_sprig.cc) and the argument conversions both sets share, which
// follow text/template: a missing value passed to a string parameter is "", to an interface{}
// parameter nil; a wrong type is an error.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "notifications/gotemplate_internal.h"

namespace vane::notifications::gotmpl {

std::string typeOf(const Value& v) {
  if (v.isNil()) return "<nil>";
  if (v.v.is_string()) return "string";
  if (v.v.is_boolean()) return "bool";
  if (v.v.is_number_float()) return "float64";
  if (v.v.is_number()) return "int64";
  if (v.v.is_array()) return "[]interface {}";
  if (auto special = specialTypeName(v.v)) return *special;
  return "map[string]interface {}";
}

Status arity(const Args& a, std::size_t n) {
  if (a.size() == n) return Status::ok();
  return funcError("wrong number of args: want " + std::to_string(n) + " got " +
                   std::to_string(a.size()));
}

Result<std::string> str(const Value& v) {
  if (v.isNil()) return std::string();
  if (v.v.is_string()) return v.v.get<std::string>();
  return funcError("wrong type for value; expected string; got " + typeOf(v));
}

Result<int64_t> integer(const Value& v) {
  if (v.v.is_number_integer()) return v.v.get<int64_t>();
  return funcError("wrong type for value; expected int; got " + typeOf(v));
}

// sprig's strval: strings as they are, anything else as %v (nil as "<nil>").
std::string strval(const Value& v) {
  if (v.isNil()) return "<nil>";
  return formatValue(v.v);
}

// spf13/cast.ToInt64 as sprig's arithmetic uses it: numbers truncated, numeric strings parsed,
// bools 1/0, anything else 0.
int64_t toInt64(const Value& v) {
  const json& j = v.v;
  if (v.isNil()) return 0;
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number_float()) return static_cast<int64_t>(j.get<double>());
  if (j.is_boolean()) return j.get<bool>() ? 1 : 0;
  if (j.is_string()) return std::strtoll(j.get<std::string>().c_str(), nullptr, 0);
  return 0;
}

double toFloat64(const Value& v) {
  const json& j = v.v;
  if (j.is_number()) return j.get<double>();
  if (j.is_boolean()) return j.get<bool>() ? 1 : 0;
  if (j.is_string()) return std::strtod(j.get<std::string>().c_str(), nullptr);
  return 0;
}

// sprig's empty.
bool isEmpty(const Value& v) { return !truth(v); }

Value val(json j) { return Value{std::move(j)}; }

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

namespace {

// Go's basic kinds for comparisons.
enum class Kind { kInvalid, kBool, kInt, kFloat, kString, kOther };
Kind kindOf(const Value& v) {
  if (v.isNil()) return Kind::kInvalid;
  if (v.v.is_boolean()) return Kind::kBool;
  if (v.v.is_number_integer() || v.v.is_number_unsigned()) return Kind::kInt;
  if (v.v.is_number_float()) return Kind::kFloat;
  if (v.v.is_string()) return Kind::kString;
  return Kind::kOther;
}

Result<Value> eq(const Args& a) {
  if (a.size() < 2) return funcError("missing argument for comparison");
  const Kind k1 = kindOf(a[0]);
  for (std::size_t i = 1; i < a.size(); ++i) {
    const Kind k2 = kindOf(a[i]);
    if (k1 != k2) {
      if (k1 != Kind::kInvalid && k2 != Kind::kInvalid) {
        return funcError("incompatible types for comparison");
      }
      continue;
    }
    if (k1 == Kind::kOther) return funcError("non-comparable type " + typeOf(a[0]));
    if (k1 == Kind::kInvalid || a[0].v == a[i].v) return val(true);
  }
  return val(false);
}

Result<Value> less(const Args& a, bool or_equal) {
  if (auto st = arity(a, 2); !st.isOk()) return st;
  const Kind k1 = kindOf(a[0]), k2 = kindOf(a[1]);
  if (k1 == Kind::kInvalid || k2 == Kind::kInvalid || k1 == Kind::kOther || k1 == Kind::kBool) {
    return funcError("invalid type for comparison");
  }
  if (k1 != k2) return funcError("incompatible types for comparison");
  bool lt = a[0].v < a[1].v;
  return val(or_equal ? lt || a[0].v == a[1].v : lt);
}

Result<Value> index(const Args& a) {
  if (a.empty()) return funcError("wrong number of args: want at least 1 got 0");
  Value item = a[0];
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (item.isNil()) return funcError("index of untyped nil");
    if (item.v.is_array()) {
      if (!a[i].v.is_number_integer()) {
        return funcError("cannot index slice/array with type " + typeOf(a[i]));
      }
      int64_t x = a[i].v.get<int64_t>();
      if (x < 0 || x >= static_cast<int64_t>(item.v.size())) {
        return funcError("index out of range: " + std::to_string(x));
      }
      item = val(item.v[x]);
    } else if (item.v.is_object()) {
      if (!a[i].v.is_string())
        return funcError("value has type " + typeOf(a[i]) + "; should be string");
      auto it = item.v.find(a[i].v.get<std::string>());
      item = it == item.v.end() ? Value::none() : val(*it);
    } else if (item.v.is_string()) {
      return funcError("can't index item of type string");
    } else {
      return funcError("can't index item of type " + typeOf(item));
    }
  }
  return item;
}

Result<Value> len(const Args& a) {
  if (auto st = arity(a, 1); !st.isOk()) return st;
  if (a[0].isNil()) return funcError("len of nil pointer");
  if (a[0].v.is_string())
    return val(static_cast<int64_t>(a[0].v.get_ref<const std::string&>().size()));
  if (a[0].v.is_array() || a[0].v.is_object()) return val(static_cast<int64_t>(a[0].v.size()));
  return funcError("len of type " + typeOf(a[0]));
}

// fmt.Sprint: spaces between operands when neither side is a string.
std::string sprint(const Args& a, bool ln) {
  std::string out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool is_str = a[i].v.is_string() && !a[i].missing;
    if (i > 0 && (ln || (!is_str && !(a[i - 1].v.is_string() && !a[i - 1].missing)))) out += ' ';
    out += a[i].isNil() ? "<nil>" : formatValue(a[i].v);
  }
  return ln ? out + "\n" : out;
}

std::string htmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '"':
        out += "&#34;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string queryEscape(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::map<std::string, Function> builtins() {
  std::map<std::string, Function> m;
  m["not"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    return val(!truth(a[0]));
  };
  m["len"] = len;
  m["index"] = index;
  m["eq"] = eq;
  m["ne"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 2); !st.isOk()) return st;
    auto r = eq(a);
    if (!r) return r;
    return val(!r->v.get<bool>());
  };
  m["lt"] = [](const Args& a) { return less(a, false); };
  m["le"] = [](const Args& a) { return less(a, true); };
  m["gt"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 2); !st.isOk()) return st;
    return less({a[1], a[0]}, false);
  };
  m["ge"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 2); !st.isOk()) return st;
    return less({a[1], a[0]}, true);
  };
  m["print"] = [](const Args& a) -> Result<Value> { return val(sprint(a, false)); };
  m["println"] = [](const Args& a) -> Result<Value> { return val(sprint(a, true)); };
  m["printf"] = [](const Args& a) -> Result<Value> {
    if (a.empty()) return funcError("wrong number of args: want at least 1 got 0");
    auto f = str(a[0]);
    if (!f) return f.status();
    return val(sprintf(*f, Args(a.begin() + 1, a.end())));
  };
  m["html"] = [](const Args& a) -> Result<Value> { return val(htmlEscape(sprint(a, false))); };
  m["urlquery"] = [](const Args& a) -> Result<Value> { return val(queryEscape(sprint(a, false))); };
  m["js"] = [](const Args& a) -> Result<Value> {
    std::string s = json(sprint(a, false)).dump();
    return val(replaceAll(replaceAll(s.substr(1, s.size() - 2), "'", "\\'"), "<", "\\u003C"));
  };
  return m;
}

const std::map<std::string, Function>& table() {
  static const std::map<std::string, Function> kTable = [] {
    auto m = sprigFunctions();
    for (auto& [k, f] : builtins()) m[k] = std::move(f);  // the two sets share no name
    m["call"] = [](const Args& a) -> Result<Value> {
      if (a.empty()) return funcError("wrong number of args for call: want at least 1 got 0");
      return callGoFunc(a[0], Args(a.begin() + 1, a.end()));
    };
    return m;
  }();
  return kTable;
}

}  // namespace

const Function* findFunction(const std::string& name) {
  const auto& t = table();
  auto it = t.find(name);
  return it == t.end() ? nullptr : &it->second;
}

}  // namespace vane::notifications::gotmpl
