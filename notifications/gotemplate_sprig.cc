// The sprig functions (github.com/Masterminds/sprig, as notifications-engine registers them) that
// notification templates call; argument conversion as in gotemplate_funcs.cc.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "notifications/gotemplate_internal.h"

namespace vane::notifications::gotmpl {
namespace {

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

}  // namespace

std::map<std::string, Function> sprigFunctions() {
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

}  // namespace vane::notifications::gotmpl
