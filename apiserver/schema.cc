// Structural-schema validation, pruning and defaulting of custom resources. Messages mirror
// kube-openapi (pkg/validation/errors/schema.go, "%s in body ...") wrapped into field errors the
// way apiextensions-apiserver's kubeOpenAPIResultToFieldErrors does, and rendered like
// apimachinery's field.Error.ErrorBody.
#include "apiserver/schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>
#include <set>
#include <string>

#include "base/go_quote.h"

namespace vane::apiserver {
namespace {

using json = nlohmann::json;

constexpr char kRequired[] = "FieldValueRequired";
constexpr char kInvalid[] = "FieldValueInvalid";
constexpr char kTypeInvalid[] = "FieldValueTypeInvalid";
constexpr char kNotSupported[] = "FieldValueNotSupported";
constexpr char kTooLong[] = "FieldValueTooLong";
constexpr char kTooMany[] = "FieldValueTooMany";

std::string child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}
std::string index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// Go's %v for a float64 (shortest representation, %g style with exponent at >= 21 digits).
std::string goFloat(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  auto e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string mant = sci.substr(0, e);
  size_t digits = mant.size() - (mant.find('.') == std::string::npos ? 0 : 1) - (d < 0 ? 1 : 0);
  if (exp < -4 || exp >= static_cast<int>(std::max<size_t>(digits, 21))) {
    char sign = exp < 0 ? '-' : '+';
    int a = std::abs(exp);
    return mant + "e" + sign + (a < 10 ? "0" : "") + std::to_string(a);
  }
  res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

// How field.Error renders a bad value: %v for numbers and bools, %q for strings, else JSON.
std::string renderValue(const json& v) {
  if (v.is_string()) return base::goQuote(v.get<std::string>());
  if (v.is_number_integer() || v.is_boolean()) return v.dump();
  if (v.is_number_float()) return goFloat(v.get<double>());
  if (v.is_null()) return "null";
  return v.dump();
}

std::string renderNumber(const json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::trunc(d) == d && std::fabs(d) < 9e15) return std::to_string(static_cast<int64_t>(d));
    return goFloat(d);
  }
  return v.dump();
}

bool isIntegral(const json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  double d = v.get<double>();
  return std::isfinite(d) && std::trunc(d) == d;
}

// The type name kube-openapi reports for a value.
std::string typeName(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_string()) return "string";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return isIntegral(v) ? "integer" : "number";
  if (v.is_array()) return "array";
  return "object";
}

bool matchesType(const json& v, const std::string& type) {
  if (type == "integer") return isIntegral(v);
  if (type == "number") return v.is_number();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  return true;  // unknown type names are rejected by CRD validation, not here
}

bool flag(const json& s, const char* key) {
  auto it = s.find(key);
  return it != s.end() && it->is_boolean() && it->get<bool>();
}

size_t runeCount(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

class Validator {
 public:
  explicit Validator(std::vector<SchemaCause>& out) : out_(out) {}

  void node(const json& v, const json& s, const std::string& path, bool resource_root) {
    if (!s.is_object()) return;
    if (v.is_null()) {
      if (!flag(s, "nullable") && (s.contains("type") || flag(s, "x-kubernetes-int-or-string"))) {
        typeError(v, path, expectedTypes(s));
      }
      return;
    }
    std::string expected = expectedTypes(s);
    if (!expected.empty() && !typeOk(v, s)) return typeError(v, path, expected);
    if (auto e = s.find("enum"); e != s.end() && e->is_array()) enumCheck(v, *e, path);
    if (v.is_string()) stringChecks(v.get<std::string>(), s, path);
    if (v.is_number()) numberChecks(v, s, path);
    if (v.is_array()) arrayChecks(v, s, path);
    if (v.is_object())
      objectChecks(v, s, path, resource_root || flag(s, "x-kubernetes-embedded-resource"));
    composites(v, s, path);
  }

 private:
  static std::string expectedTypes(const json& s) {
    if (flag(s, "x-kubernetes-int-or-string")) return "integer,string";
    auto t = s.find("type");
    return t != s.end() && t->is_string() ? t->get<std::string>() : "";
  }
  static bool typeOk(const json& v, const json& s) {
    if (flag(s, "x-kubernetes-int-or-string")) return v.is_string() || isIntegral(v);
    return matchesType(v, s["type"].get<std::string>());
  }
  void add(const char* reason, const std::string& path, std::string message) {
    out_.push_back({reason, path, std::move(message)});
  }
  void typeError(const json& v, const std::string& path, const std::string& expected) {
    std::string actual = typeName(v);
    add(kTypeInvalid, path,
        "Invalid value: " + base::goQuote(actual) + ": " + path + " in body must be of type " +
            expected + ": " + base::goQuote(actual));
  }
  void invalid(const json& v, const std::string& path, const std::string& detail) {
    add(kInvalid, path, "Invalid value: " + renderValue(v) + ": " + path + " in body " + detail);
  }
  void enumCheck(const json& v, const json& values, const std::string& path) {
    for (const auto& allowed : values) {
      if (allowed == v ||
          (allowed.is_number() && v.is_number() && allowed.get<double>() == v.get<double>())) {
        return;
      }
    }
    std::string msg = "Unsupported value: " + renderValue(v);
    if (!values.empty()) {
      msg += ": supported values: ";
      for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) msg += ", ";
        msg +=
            base::goQuote(values[i].is_string() ? values[i].get<std::string>() : values[i].dump());
      }
    }
    add(kNotSupported, path, msg);
  }
  void stringChecks(const std::string& str, const json& s, const std::string& path) {
    size_t n = runeCount(str);
    if (auto m = s.find("maxLength"); m != s.end() && m->is_number() && n > m->get<double>()) {
      int64_t max = m->get<int64_t>();
      add(kTooLong, path,
          "Too long: may not be more than " + std::to_string(max) +
              (max == 1 ? " byte" : " bytes"));
    }
    if (auto m = s.find("minLength"); m != s.end() && m->is_number() && n < m->get<double>()) {
      invalid(str, path, "should be at least " + renderNumber(*m) + " chars long");
    }
    if (auto p = s.find("pattern"); p != s.end() && p->is_string()) {
      try {
        std::regex re(p->get<std::string>(), std::regex::ECMAScript);
        if (!std::regex_search(str, re)) {
          invalid(str, path, "should match '" + p->get<std::string>() + "'");
        }
      } catch (const std::regex_error&) {
        // An unsupported pattern (Go RE2 syntax std::regex lacks) does not fail the object.
      }
    }
  }
  void numberChecks(const json& v, const json& s, const std::string& path) {
    double d = v.get<double>();
    if (auto m = s.find("maximum"); m != s.end() && m->is_number()) {
      bool ex = flag(s, "exclusiveMaximum");
      double max = m->get<double>();
      if (ex ? d >= max : d > max) {
        invalid(v, path,
                std::string(ex ? "should be less than " : "should be less than or equal to ") +
                    renderNumber(*m));
      }
    }
    if (auto m = s.find("minimum"); m != s.end() && m->is_number()) {
      bool ex = flag(s, "exclusiveMinimum");
      double min = m->get<double>();
      if (ex ? d <= min : d < min) {
        invalid(
            v, path,
            std::string(ex ? "should be greater than " : "should be greater than or equal to ") +
                renderNumber(*m));
      }
    }
  }
  void arrayChecks(const json& v, const json& s, const std::string& path) {
    auto size = static_cast<int64_t>(v.size());
    if (auto m = s.find("minItems"); m != s.end() && m->is_number() && size < m->get<int64_t>()) {
      invalid(size, path, "should have at least " + renderNumber(*m) + " items");
    }
    if (auto m = s.find("maxItems"); m != s.end() && m->is_number() && size > m->get<int64_t>()) {
      int64_t max = m->get<int64_t>();
      add(kTooMany, path,
          "Too many: " + std::to_string(size) + ": must have at most " + std::to_string(max) +
              (max == 1 ? " item" : " items"));
    }
    if (auto items = s.find("items"); items != s.end() && items->is_object()) {
      for (size_t i = 0; i < v.size(); ++i) node(v[i], *items, index(path, i), false);
    }
  }
  // anyOf/oneOf/allOf/not: kube-openapi reports these as composite errors that
  // kubeOpenAPIResultToFieldErrors turns into field.Invalid at the nil path ("<nil>").
  void composites(const json& v, const json& s, const std::string& path) {
    auto valid = [&](const json& sub) {
      std::vector<SchemaCause> tmp;
      Validator(tmp).node(v, sub, path, false);
      return tmp.empty();
    };
    auto composite = [&](const std::string& msg) {
      add(kInvalid, "<nil>", "Invalid value: \"\": " + base::goQuote(path) + " " + msg);
    };
    if (auto any = s.find("anyOf"); any != s.end() && any->is_array() && !any->empty()) {
      if (std::none_of(any->begin(), any->end(), valid)) {
        composite("must validate at least one schema (anyOf)");
      }
    }
    if (auto one = s.find("oneOf"); one != s.end() && one->is_array() && !one->empty()) {
      auto n = std::count_if(one->begin(), one->end(), valid);
      if (n != 1) {
        composite("must validate one and only one schema (oneOf). " +
                  (n == 0 ? std::string("Found none valid")
                          : "Found " + std::to_string(n) + " valid alternatives"));
      }
    }
    if (auto all = s.find("allOf"); all != s.end() && all->is_array() && !all->empty()) {
      size_t before = out_.size();
      long validated = 0;
      for (const auto& sub : *all) {
        size_t mark = out_.size();
        node(v, sub, path, false);
        validated += out_.size() == mark ? 1 : 0;
      }
      if (out_.size() != before) {
        composite(std::string("must validate all the schemas (allOf)") +
                  (validated == 0 ? ". None validated" : ""));
      }
    }
    if (auto n = s.find("not"); n != s.end() && n->is_object() && valid(*n)) {
      composite("must not validate the schema (not)");
    }
  }
  void objectChecks(const json& v, const json& s, const std::string& path, bool resource) {
    if (auto req = s.find("required"); req != s.end() && req->is_array()) {
      for (const auto& k : *req) {
        if (k.is_string() && !v.contains(k.get<std::string>())) {
          add(kRequired, child(path, k.get<std::string>()), "Required value");
        }
      }
    }
    const json* props = nullptr;
    if (auto p = s.find("properties"); p != s.end() && p->is_object()) props = &*p;
    auto add_props = s.find("additionalProperties");
    for (const auto& [key, value] : v.items()) {
      if (resource && (key == "metadata" || key == "apiVersion" || key == "kind")) continue;
      if (props != nullptr && props->contains(key)) {
        node(value, (*props)[key], child(path, key), false);
      } else if (add_props != s.end() && add_props->is_object()) {
        node(value, *add_props, child(path, key), false);
      }
    }
  }

  std::vector<SchemaCause>& out_;
};

void pruneNode(json& v, const json& s, const std::string& path, bool resource,
               std::vector<std::string>& pruned) {
  if (!s.is_object()) return;
  resource = resource || flag(s, "x-kubernetes-embedded-resource");
  if (v.is_array()) {
    if (auto items = s.find("items"); items != s.end()) {
      for (size_t i = 0; i < v.size(); ++i) pruneNode(v[i], *items, index(path, i), false, pruned);
    }
    return;
  }
  if (!v.is_object()) return;
  bool preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
  const json empty = json::object();
  auto p = s.find("properties");
  const json& props = p != s.end() && p->is_object() ? *p : empty;
  auto add = s.find("additionalProperties");
  bool add_schema = add != s.end() && add->is_object();
  bool add_all = add != s.end() && add->is_boolean() && add->get<bool>();
  std::vector<std::string> drop;
  for (auto& [key, value] : v.items()) {
    if (resource && (key == "metadata" || key == "apiVersion" || key == "kind")) continue;
    if (auto ps = props.find(key); ps != props.end()) {
      pruneNode(value, *ps, child(path, key), false, pruned);
    } else if (add_schema) {
      pruneNode(value, *add, child(path, key), false, pruned);
    } else if (!preserve && !add_all) {
      drop.push_back(key);
    }
  }
  for (const auto& key : drop) {
    pruned.push_back(child(path, key));
    v.erase(key);
  }
}

void defaultNode(json& v, const json& s) {
  if (!s.is_object()) return;
  if (v.is_array()) {
    if (auto items = s.find("items"); items != s.end()) {
      for (auto& e : v) defaultNode(e, *items);
    }
    return;
  }
  if (!v.is_object()) return;
  if (auto p = s.find("properties"); p != s.end() && p->is_object()) {
    for (const auto& [key, ps] : p->items()) {
      auto d = ps.find("default");
      auto it = v.find(key);
      // A null for a non-nullable field is dropped before defaulting (structural defaulting).
      if (it != v.end() && it->is_null() && !flag(ps, "nullable")) {
        v.erase(it);
        it = v.end();
      }
      if (it == v.end() && d != ps.end()) v[key] = *d;
      if (v.contains(key)) defaultNode(v[key], ps);
    }
  }
  if (auto add = s.find("additionalProperties"); add != s.end() && add->is_object()) {
    const json* props = s.contains("properties") ? &s["properties"] : nullptr;
    for (auto& [key, value] : v.items()) {
      if (props == nullptr || !props->contains(key)) defaultNode(value, *add);
    }
  }
}

}  // namespace

json SchemaCause::toJson() const {
  return json{{"reason", reason}, {"message", message}, {"field", field}};
}

std::vector<SchemaCause> validateAgainstSchema(const json& obj, const json& schema) {
  std::vector<SchemaCause> out;
  Validator(out).node(obj, schema, "", true);
  return out;
}

std::vector<std::string> pruneUnknownFields(json& obj, const json& schema) {
  std::vector<std::string> pruned;
  pruneNode(obj, schema, "", true, pruned);
  return pruned;
}

void applyDefaults(json& obj, const json& schema) { defaultNode(obj, schema); }

json invalidStatus(const std::string& kind, const std::string& group, const std::string& name,
                   const std::vector<SchemaCause>& causes) {
  std::string qualified = group.empty() ? kind : kind + "." + group;
  std::string message = qualified + " " + base::goQuote(name) + " is invalid";
  // utilerrors.NewAggregate: duplicates collapse; several errors are bracketed.
  std::vector<std::string> seen;
  for (const auto& c : causes) {
    std::string text = c.field + ": " + c.message;
    if (std::find(seen.begin(), seen.end(), text) == seen.end()) seen.push_back(text);
  }
  if (!seen.empty()) {
    std::string joined;
    for (size_t i = 0; i < seen.size(); ++i) joined += (i ? ", " : "") + seen[i];
    message += ": " + (seen.size() == 1 ? joined : "[" + joined + "]");
  }
  json details = {{"name", name}, {"kind", kind}, {"causes", json::array()}};
  if (!group.empty()) details["group"] = group;
  for (const auto& c : causes) details["causes"].push_back(c.toJson());
  return json{{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
              {"status", "Failure"}, {"message", message}, {"reason", "Invalid"},
              {"details", details},  {"code", 422}};
}

std::string strictDecodingMessage(const std::string& kind, const std::string& version,
                                  const std::vector<std::string>& pruned_paths) {
  std::string msg = kind + " in version " + base::goQuote(version) + " cannot be handled as a " +
                    kind + ": strict decoding error: ";
  for (size_t i = 0; i < pruned_paths.size(); ++i) {
    msg += (i ? ", " : "") + unknownFieldWarning(pruned_paths[i]);
  }
  return msg;
}

std::string unknownFieldWarning(const std::string& path) {
  return "unknown field " + base::goQuote(path);
}

}  // namespace vane::apiserver
