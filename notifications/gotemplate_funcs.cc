// Functions callable from templates: Go's builtins (text/template/funcs.go) and the sprig
// functions (github.com/Masterminds/sprig, as notifications-engine registers them) that
// notification templates call. Argument conversion follows text/template: a missing value passed to
// a string parameter is "", to an interface{} parameter nil; a wrong type is an error.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "notifications/gotemplate_internal.h"

namespace vane::notifications::gotmpl {
namespace {

using Args = std::vector<Value>;

std::string typeOf(const Value& v) {
  if (v.isNil()) return "<nil>";
  if (v.v.is_string()) return "string";
  if (v.v.is_boolean()) return "bool";
  if (v.v.is_number_float()) return "float64";
  if (v.v.is_number()) return "int64";
  if (v.v.is_array()) return "[]interface {}";
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

using Fn = Function;

// A function of one string (the piped value in `{{ .x | upper }}`).
Fn strFn(std::string (*f)(std::string)) {
  return [f](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    auto s = str(a[0]);
    if (!s) return s.status();
    return val(f(std::move(*s)));
  };
}

// A function of two strings, e.g. trimPrefix prefix s.
Fn str2Fn(json (*f)(const std::string&, const std::string&)) {
  return [f](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 2); !st.isOk()) return st;
    auto x = str(a[0]), y = str(a[1]);
    if (!x) return x.status();
    if (!y) return y.status();
    return val(f(*x, *y));
  };
}

Fn arith(int64_t (*f)(int64_t, int64_t), bool check_zero) {
  return [f, check_zero](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 2); !st.isOk()) return st;
    int64_t y = toInt64(a[1]);
    if (check_zero && y == 0) return funcError("integer divide by zero");
    return val(f(toInt64(a[0]), y));
  };
}

std::string title(std::string s) {
  bool start = true;
  for (char& c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      start = true;
    } else if (start) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      start = false;
    }
  }
  return s;
}

std::string trimSpace(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n\v\f");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n\v\f") - b + 1);
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

std::string indent(int64_t n, const std::string& s) {
  const std::string pad(std::max<int64_t>(n, 0), ' ');
  return pad + replaceAll(s, "\n", "\n" + pad);
}

Fn quoteFn(char q) {
  return [q](const Args& a) -> Result<Value> {
    std::string out;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].isNil()) continue;
      if (!out.empty()) out += ' ';
      std::string s = strval(a[i]);
      out += q == '"' ? json(s).dump() : "'" + s + "'";
    }
    return val(out);
  };
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

std::map<std::string, Function> sprig() {
  std::map<std::string, Function> m;
  m["add"] = arith([](int64_t x, int64_t y) { return x + y; }, false);
  m["sub"] = arith([](int64_t x, int64_t y) { return x - y; }, false);
  m["mul"] = arith([](int64_t x, int64_t y) { return x * y; }, false);
  m["div"] = arith([](int64_t x, int64_t y) { return x / y; }, true);
  m["mod"] = arith([](int64_t x, int64_t y) { return x % y; }, true);
  m["max"] = arith([](int64_t x, int64_t y) { return std::max(x, y); }, false);
  m["min"] = arith([](int64_t x, int64_t y) { return std::min(x, y); }, false);
  m["add1"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    return val(toInt64(a[0]) + 1);
  };
  m["addf"] = [](const Args& a) -> Result<Value> {
    double s = 0;
    for (const auto& v : a) s += toFloat64(v);
    return val(s);
  };
  m["round"] = [](const Args& a) -> Result<Value> {
    if (a.empty() || a.size() > 2) return funcError("wrong number of args: want 2");
    double p = std::pow(10.0, a.size() > 1 ? toInt64(a[1]) : 0);
    return val(std::round(toFloat64(a[0]) * p) / p);
  };
  m["default"] = [](const Args& a) -> Result<Value> {
    if (a.empty()) return funcError("wrong number of args: want at least 1 got 0");
    if (a.size() == 1 || isEmpty(a[1])) return a[0];
    return a[1];
  };
  m["empty"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    return val(isEmpty(a[0]));
  };
  m["coalesce"] = [](const Args& a) -> Result<Value> {
    for (const auto& v : a) {
      if (!isEmpty(v)) return v;
    }
    return val(nullptr);
  };
  m["ternary"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 3); !st.isOk()) return st;
    if (!a[2].v.is_boolean())
      return funcError("wrong type for value; expected bool; got " + typeOf(a[2]));
    return a[2].v.get<bool>() ? a[0] : a[1];
  };
  m["upper"] = strFn([](std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  });
  m["lower"] = strFn([](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  });
  m["title"] = strFn(title);
  m["trim"] = strFn(trimSpace);
  m["trimPrefix"] = str2Fn([](const std::string& p, const std::string& s) -> json {
    return s.rfind(p, 0) == 0 ? s.substr(p.size()) : s;
  });
  m["trimSuffix"] = str2Fn([](const std::string& p, const std::string& s) -> json {
    return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0
               ? s.substr(0, s.size() - p.size())
               : s;
  });
  m["contains"] = str2Fn([](const std::string& sub, const std::string& s) -> json {
    return s.find(sub) != std::string::npos;
  });
  m["hasPrefix"] =
      str2Fn([](const std::string& p, const std::string& s) -> json { return s.rfind(p, 0) == 0; });
  m["hasSuffix"] = str2Fn([](const std::string& p, const std::string& s) -> json {
    return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
  });
  m["replace"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 3); !st.isOk()) return st;
    auto from = str(a[0]), to = str(a[1]), s = str(a[2]);
    if (!from || !to || !s) return funcError("wrong type for value; expected string");
    return val(replaceAll(*s, *from, *to));
  };
  m["trunc"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 2); !st.isOk()) return st;
    auto n = integer(a[0]);
    auto s = str(a[1]);
    if (!n) return n.status();
    if (!s) return s.status();
    const int64_t size = static_cast<int64_t>(s->size());
    if (*n < 0 && -*n < size) return val(s->substr(size + *n));
    if (*n >= 0 && *n < size) return val(s->substr(0, *n));
    return val(*s);
  };
  m["repeat"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 2); !st.isOk()) return st;
    auto n = integer(a[0]);
    auto s = str(a[1]);
    if (!n) return n.status();
    if (!s) return s.status();
    std::string out;
    for (int64_t i = 0; i < *n; ++i) out += *s;
    return val(out);
  };
  for (const char* name : {"indent", "nindent"}) {
    const bool nl = std::string(name) == "nindent";
    m[name] = [nl](const Args& a) -> Result<Value> {
      if (auto st = arity(a, 2); !st.isOk()) return st;
      auto n = integer(a[0]);
      auto s = str(a[1]);
      if (!n) return n.status();
      if (!s) return s.status();
      return val((nl ? "\n" : "") + indent(*n, *s));
    };
  }
  m["quote"] = quoteFn('"');
  m["squote"] = quoteFn('\'');
  m["cat"] = [](const Args& a) -> Result<Value> {
    std::string out;
    for (const auto& v : a) {
      if (v.isNil()) continue;
      out += (out.empty() ? "" : " ") + strval(v);
    }
    return val(out);
  };
  m["join"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 2); !st.isOk()) return st;
    auto sep = str(a[0]);
    if (!sep) return sep.status();
    if (!a[1].v.is_array()) return val(strval(a[1]));
    std::string out;
    for (std::size_t i = 0; i < a[1].v.size(); ++i) {
      out += (i ? *sep : "") + strval(Value{a[1].v[i]});
    }
    return val(out);
  };
  m["splitList"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 2); !st.isOk()) return st;
    auto sep = str(a[0]), s = str(a[1]);
    if (!sep || !s) return funcError("wrong type for value; expected string");
    json out = json::array();
    std::size_t p = 0;
    while (!sep->empty()) {
      std::size_t q = s->find(*sep, p);
      if (q == std::string::npos) break;
      out.push_back(s->substr(p, q - p));
      p = q + sep->size();
    }
    out.push_back(s->substr(p));
    return val(out);
  };
  m["toString"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    return val(strval(a[0]));
  };
  m["toJson"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    return val(a[0].isNil() ? "null" : a[0].v.dump());
  };
  m["toRawJson"] = m["toJson"];
  m["toPrettyJson"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    return val(a[0].isNil() ? "null" : a[0].v.dump(2));
  };
  m["int"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    return val(toInt64(a[0]));
  };
  m["int64"] = m["int"];
  m["float64"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    return val(toFloat64(a[0]));
  };
  m["list"] = [](const Args& a) -> Result<Value> {
    json out = json::array();
    for (const auto& v : a) out.push_back(v.v);
    return val(out);
  };
  m["dict"] = [](const Args& a) -> Result<Value> {
    json out = json::object();
    for (std::size_t i = 0; i < a.size(); i += 2) {
      out[strval(a[i])] = i + 1 < a.size() ? a[i + 1].v : json();
    }
    return val(out);
  };
  m["hasKey"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 2); !st.isOk()) return st;
    auto k = str(a[1]);
    if (!k) return k.status();
    return val(a[0].v.is_object() && a[0].v.contains(*k));
  };
  m["first"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    if (!a[0].v.is_array() || a[0].v.empty()) return val(nullptr);
    return val(a[0].v.front());
  };
  m["last"] = [](const Args& a) -> Result<Value> {
    if (auto st = arity(a, 1); !st.isOk()) return st;
    if (!a[0].v.is_array() || a[0].v.empty()) return val(nullptr);
    return val(a[0].v.back());
  };
  return m;
}

const std::map<std::string, Function>& table() {
  static const std::map<std::string, Function> kTable = [] {
    auto m = sprig();
    for (auto& [k, f] : builtins()) m[k] = std::move(f);  // the two sets share no name
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
