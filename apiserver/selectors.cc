#include "apiserver/selectors.h"

#include <algorithm>
#include <map>
#include <set>

#include "apiserver/table.h"

namespace vane::apiserver {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Splits on commas outside parentheses.
std::vector<std::string> splitTop(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

bool validKey(const std::string& k) {
  if (k.empty() || k.size() > 316) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

Result<Requirement> parseTerm(const std::string& raw) {
  std::string t = trim(raw);
  Requirement r;
  if (!t.empty() && t[0] == '!') {
    r.key = trim(t.substr(1));
    r.op = "!";
    if (!validKey(r.key)) return Status(Code::kBadRequest, "invalid label key \"" + r.key + "\"");
    return r;
  }
  for (const char* op : {" notin ", " in "}) {
    auto pos = t.find(op);
    if (pos == std::string::npos) continue;
    r.key = trim(t.substr(0, pos));
    r.op = trim(op);
    std::string rest = trim(t.substr(pos + std::string(op).size()));
    if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
      return Status(Code::kBadRequest,
                    "unable to parse requirement: found '" + rest + "', expected: '('");
    }
    std::string inner = rest.substr(1, rest.size() - 2);
    std::size_t p = 0;
    while (p <= inner.size()) {
      auto comma = inner.find(',', p);
      r.values.push_back(
          trim(inner.substr(p, comma == std::string::npos ? std::string::npos : comma - p)));
      p = comma == std::string::npos ? inner.size() + 1 : comma + 1;
    }
    if (!validKey(r.key)) return Status(Code::kBadRequest, "invalid label key \"" + r.key + "\"");
    return r;
  }
  for (const char* op : {"!=", "==", "="}) {
    auto pos = t.find(op);
    if (pos == std::string::npos) continue;
    r.key = trim(t.substr(0, pos));
    r.op = std::string(op) == "!=" ? "!=" : "=";
    r.values.push_back(trim(t.substr(pos + std::string(op).size())));
    if (r.key.empty()) return Status(Code::kBadRequest, "invalid selector: \"" + t + "\"");
    return r;
  }
  r.key = t;
  r.op = "exists";
  if (!validKey(r.key)) return Status(Code::kBadRequest, "invalid label key \"" + r.key + "\"");
  return r;
}

bool matchOne(const Requirement& r, const std::optional<std::string>& value) {
  if (r.op == "exists") return value.has_value();
  if (r.op == "!") return !value.has_value();
  bool in = value && std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
  if (r.op == "=" || r.op == "in") return in;
  return !in;  // "!=", "notin": also true when absent
}

const std::map<std::string, std::set<std::string>>& kindFields() {
  static const std::map<std::string, std::set<std::string>> m = {
      {"Event",
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}},
      {"Pod",
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"}},
      {"Secret", {"type"}},
      {"Namespace", {"status.phase"}},
      {"ReplicaSet", {"status.replicas"}},
      {"Job", {"status.successful"}},
  };
  return m;
}

std::optional<std::string> fieldValue(const nlohmann::json& obj, const std::string& field) {
  std::string path = field == "source" ? ".source.component" : "." + field;
  nlohmann::json v = pathValue(obj, path);
  if (v.is_null()) {
    if (field == "metadata.namespace" || field.rfind("involvedObject.", 0) == 0 ||
        field == "spec.nodeName" || field == "status.podIP") {
      return std::string();
    }
    return std::nullopt;
  }
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

Result<Selector> parseLabelSelector(const std::string& s) {
  Selector sel;
  if (trim(s).empty()) return sel;
  for (const auto& term : splitTop(s)) {
    if (trim(term).empty()) continue;
    auto r = parseTerm(term);
    if (!r.ok()) return r.status();
    sel.requirements.push_back(*r);
  }
  return sel;
}

Result<Selector> parseFieldSelector(const std::string& s, const std::string& kind, bool custom) {
  Selector sel;
  if (trim(s).empty()) return sel;
  for (const auto& term : splitTop(s)) {
    if (trim(term).empty()) continue;
    auto r = parseTerm(term);
    if (!r.ok()) return r.status();
    if (r->op != "=" && r->op != "!=") {
      return Status(Code::kBadRequest,
                    "invalid selector: '" + s + "'; can't understand '" + trim(term) + "'");
    }
    bool ok = r->key == "metadata.name" || r->key == "metadata.namespace";
    if (!ok && !custom) {
      auto it = kindFields().find(kind);
      ok = it != kindFields().end() && it->second.count(r->key);
    }
    if (!ok) return Status(Code::kBadRequest, "field label not supported: " + r->key);
    sel.requirements.push_back(*r);
  }
  return sel;
}

bool matchesLabels(const Selector& sel, const nlohmann::json& obj) {
  const auto& meta = obj.contains("metadata") ? obj["metadata"] : nlohmann::json();
  const auto labels =
      meta.is_object() ? meta.value("labels", nlohmann::json::object()) : nlohmann::json::object();
  for (const auto& r : sel.requirements) {
    std::optional<std::string> v;
    if (labels.is_object() && labels.contains(r.key) && labels[r.key].is_string()) {
      v = labels[r.key].get<std::string>();
    }
    if (!matchOne(r, v)) return false;
  }
  return true;
}

bool matchesFields(const Selector& sel, const nlohmann::json& obj) {
  for (const auto& r : sel.requirements) {
    if (!matchOne(r, fieldValue(obj, r.key))) return false;
  }
  return true;
}

}  // namespace vane::apiserver
