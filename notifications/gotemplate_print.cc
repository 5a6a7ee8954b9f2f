// Go's fmt for template values: %v printing and Sprintf with the verbs templates use.
#include <charconv>
#include <cmath>
#include <cstdio>

#include "base/go_quote.h"
#include "notifications/gotemplate_internal.h"

namespace vane::notifications::gotmpl {
namespace {

// strconv.FormatFloat(d, 'g', -1, 64), which fmt's %v uses: the shortest digits, in %e form when
// the exponent is < -4 or >= 6 (so 1e+06, 1.5e-05, 123456).
std::string goFloat(double d, int eprec) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  auto e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  if (exp < -4 || exp >= eprec) return sci;
  r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string goTypeName(const Value& v) {
  if (v.isNil()) return "<nil>";
  if (v.v.is_string()) return "string";
  if (v.v.is_boolean()) return "bool";
  if (v.v.is_number_float()) return "float64";
  if (v.v.is_number()) return "int64";
  if (v.v.is_array()) return "[]interface {}";
  return "map[string]interface {}";
}

std::string bad(char verb, const Value& v) {
  if (v.isNil()) return std::string("%!") + verb + "(<nil>)";
  return std::string("%!") + verb + "(" + goTypeName(v) + "=" + formatValue(v.v) + ")";
}

struct Spec {
  bool minus = false, plus = false, zero = false, space = false;
  int width = -1, prec = -1;
};

std::string pad(std::string s, const Spec& sp) {
  if (sp.width < 0 || static_cast<int>(s.size()) >= sp.width) return s;
  std::size_t n = sp.width - s.size();
  if (sp.minus) return s + std::string(n, ' ');
  if (sp.zero && !s.empty() && (s[0] == '-' || s[0] == '+')) {
    return s.substr(0, 1) + std::string(n, '0') + s.substr(1);
  }
  return std::string(n, sp.zero ? '0' : ' ') + s;
}

std::string verb(char c, const Spec& sp, const Value& v) {
  const json& j = v.v;
  switch (c) {
    case 'v':
      if (v.isNil()) return "<nil>";
      return formatValue(j);
    case 's':
      if (v.isNil()) return bad(c, v);
      if (j.is_string()) {
        const auto& s = j.get_ref<const std::string&>();
        return sp.prec >= 0 ? s.substr(0, sp.prec) : s;
      }
      if (j.is_array() || j.is_object()) return formatValue(j);
      return bad(c, v);
    case 'q':
      if (j.is_string()) return base::goQuote(j.get<std::string>());
      return bad(c, v);
    case 'd':
      if (j.is_number_integer()) {
        std::string s = std::to_string(j.get<int64_t>());
        return sp.plus && s[0] != '-' ? "+" + s : s;
      }
      return bad(c, v);
    case 'x':
    case 'X': {
      char b[64];
      if (j.is_number_integer()) {
        std::snprintf(b, sizeof b, c == 'x' ? "%llx" : "%llX",
                      static_cast<long long>(j.get<int64_t>()));
        return b;
      }
      if (j.is_string()) {
        std::string out;
        for (unsigned char ch : j.get<std::string>()) {
          std::snprintf(b, sizeof b, c == 'x' ? "%02x" : "%02X", ch);
          out += b;
        }
        return out;
      }
      return bad(c, v);
    }
    case 't':
      if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
      return bad(c, v);
    case 'f':
    case 'F':
    case 'e':
    case 'g': {
      if (!j.is_number_float()) return bad(c, v);
      double d = j.get<double>();
      if (c == 'g' && sp.prec < 0) return goFloat(d, 6);
      char fmt[16];
      std::snprintf(fmt, sizeof fmt, "%%%s.%d%c", sp.plus ? "+" : "", sp.prec < 0 ? 6 : sp.prec,
                    c == 'F' ? 'f' : c);
      char b[512];
      std::snprintf(b, sizeof b, fmt, d);
      return b;
    }
    default:
      return std::string("%!") + c + "(" + goTypeName(v) + "=" + formatValue(j) + ")";
  }
}

}  // namespace

std::string formatValue(const json& v) {
  if (auto special = formatSpecial(v)) return *special;
  switch (v.type()) {
    case json::value_t::null:
      return "<nil>";
    case json::value_t::string:
      return v.get<std::string>();
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
      return std::to_string(v.get<int64_t>());
    case json::value_t::number_unsigned:
      return std::to_string(v.get<uint64_t>());
    case json::value_t::number_float:
      return goFloat(v.get<double>(), 6);
    case json::value_t::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + formatValue(v[i]);
      return out + "]";
    }
    case json::value_t::object: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        out += (first ? "" : " ") + k + ":" + formatValue(e);
        first = false;
      }
      return out + "]";
    }
    default:
      return v.dump();
  }
}

std::string print(const Value& v) { return v.missing ? "<no value>" : formatValue(v.v); }

std::string sprintf(const std::string& format, const std::vector<Value>& args) {
  std::string out;
  std::size_t argi = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (++i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    Spec sp;
    for (; i < format.size(); ++i) {
      char f = format[i];
      if (f == '-')
        sp.minus = true;
      else if (f == '+')
        sp.plus = true;
      else if (f == '0')
        sp.zero = true;
      else if (f == ' ')
        sp.space = true;
      else
        break;
    }
    auto num = [&](int& dst) {
      if (i < format.size() && format[i] == '*' && argi < args.size() &&
          args[argi].v.is_number_integer()) {
        dst = static_cast<int>(args[argi++].v.get<int64_t>());
        ++i;
        return;
      }
      while (i < format.size() && std::isdigit(static_cast<unsigned char>(format[i]))) {
        dst = (dst < 0 ? 0 : dst) * 10 + (format[i++] - '0');
      }
    };
    num(sp.width);
    if (i < format.size() && format[i] == '.') {
      ++i;
      sp.prec = 0;
      num(sp.prec);
    }
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char c = format[i];
    if (c == '%') {
      out += '%';
      continue;
    }
    if (argi >= args.size()) {
      out += std::string("%!") + c + "(MISSING)";
      continue;
    }
    out += pad(verb(c, sp, args[argi++]), sp);
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (std::size_t k = argi; k < args.size(); ++k) {
      out += (k > argi ? ", " : "") + goTypeName(args[k]) + "=" + formatValue(args[k].v);
    }
    out += ")";
  }
  return out;
}

}  // namespace vane::notifications::gotmpl
