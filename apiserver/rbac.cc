#include "apiserver/rbac.h"

#include <algorithm>
#include <sstream>

namespace vane::apiserver {
namespace {

using json = nlohmann::json;

std::string trimSpace(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// One CSV record with "quoted, fields" (encoding/csv as kube-apiserver uses it).
std::vector<std::string> csvFields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

bool has(const json& list, const std::string& value) {
  if (!list.is_array()) return false;
  for (const auto& v : list) {
    if (v.is_string() && (v == "*" || v == value)) return true;
  }
  return false;
}

bool resourceMatches(const json& resources, const RequestAttributes& a) {
  std::string full = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  if (!resources.is_array()) return false;
  for (const auto& r : resources) {
    if (!r.is_string()) continue;
    std::string s = r.get<std::string>();
    if (s == "*" || s == full) return true;
    if (!a.subresource.empty() && s == "*/" + a.subresource) return true;
  }
  return false;
}

bool ruleAllows(const json& rule, const RequestAttributes& a) {
  if (!has(rule.value("verbs", json::array()), a.verb)) return false;
  if (!a.resource_request) {
    for (const auto& u : rule.value("nonResourceURLs", json::array())) {
      if (!u.is_string()) continue;
      std::string p = u.get<std::string>();
      if (p == "*" || p == a.path) return true;
      if (!p.empty() && p.back() == '*' && a.path.rfind(p.substr(0, p.size() - 1), 0) == 0) {
        return true;
      }
    }
    return false;
  }
  if (!has(rule.value("apiGroups", json::array()), a.api_group)) return false;
  if (!resourceMatches(rule.value("resources", json::array()), a)) return false;
  const json& names = rule.value("resourceNames", json::array());
  return !names.is_array() || names.empty() ||
         std::find(names.begin(), names.end(), a.name) != names.end();
}

bool subjectMatches(const json& subject, const UserInfo& user, const std::string& binding_ns) {
  std::string kind = subject.value("kind", ""), name = subject.value("name", "");
  if (kind == "User") return name == user.name;
  if (kind == "Group") {
    return std::find(user.groups.begin(), user.groups.end(), name) != user.groups.end();
  }
  if (kind == "ServiceAccount") {
    std::string ns = subject.value("namespace", binding_ns);
    return user.name == "system:serviceaccount:" + ns + ":" + name;
  }
  return false;
}

bool bound(const json& binding, const UserInfo& user, const std::string& ns) {
  for (const auto& s : binding.value("subjects", json::array())) {
    if (subjectMatches(s, user, ns)) return true;
  }
  return false;
}

}  // namespace

Result<std::map<std::string, UserInfo>> parseTokenFile(const std::string& text) {
  std::map<std::string, UserInfo> users;
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) {
    line = trimSpace(line);
    if (!line.empty()) lines.push_back(line);
  }
  if (lines.size() == 1 && lines[0].find(',') == std::string::npos) {
    users[lines[0]] = UserInfo{"admin", "admin", {"system:masters"}};
    return users;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    auto f = csvFields(lines[i]);
    std::string where = "line " + std::to_string(i + 1);
    if (f.size() < 3 || trimSpace(f[0]).empty() || trimSpace(f[1]).empty()) {
      return Status(Code::kInvalid,
                    "--token-file " + where + ": want token,user,uid[,\"group1,group2\"]", where);
    }
    UserInfo u{trimSpace(f[1]), trimSpace(f[2]), {}};
    if (f.size() > 3) {
      std::istringstream gs(f[3]);
      std::string g;
      while (std::getline(gs, g, ',')) {
        if (!trimSpace(g).empty()) u.groups.push_back(trimSpace(g));
      }
    }
    if (users.count(trimSpace(f[0]))) {
      return Status(Code::kInvalid, "--token-file " + where + ": duplicate token", where);
    }
    users[trimSpace(f[0])] = u;
  }
  if (users.empty()) return Status(Code::kInvalid, "--token-file: the file is empty");
  return users;
}

RequestAttributes requestAttributes(const http::Request& req) {
  RequestAttributes a;
  std::vector<std::string> p;
  std::istringstream in(req.path);
  for (std::string s; std::getline(in, s, '/');) {
    if (!s.empty()) p.push_back(s);
  }
  std::string m = req.method;
  std::transform(m.begin(), m.end(), m.begin(), ::tolower);
  size_t rest = 0;
  if (p.size() >= 3 && p[0] == "api") {
    rest = 2;
  } else if (p.size() >= 4 && p[0] == "apis") {
    a.api_group = p[1];
    rest = 3;
  } else {
    a.verb = m;
    a.path = req.path;
    return a;
  }
  std::vector<std::string> r(p.begin() + rest, p.end());
  bool namespace_subresource =
      r.size() == 3 && r[0] == "namespaces" && (r[2] == "status" || r[2] == "finalize");
  if (r.size() >= 3 && r[0] == "namespaces" && !namespace_subresource) {
    a.namespace_ = r[1];
    r.erase(r.begin(), r.begin() + 2);
  }
  if (r.empty()) {
    a.verb = m;
    a.path = req.path;
    a.api_group.clear();
    return a;
  }
  a.resource_request = true;
  a.resource = r[0];
  if (r.size() >= 2) a.name = r[1];
  if (r.size() >= 3) a.subresource = r[2];
  if (a.resource == "namespaces" && r.size() >= 2) a.namespace_ = a.name;
  std::string watch = req.param("watch").value_or("");
  if (m == "get" || m == "head") {
    a.verb = (watch == "true" || watch == "1") ? "watch" : a.name.empty() ? "list" : "get";
  } else if (m == "post") {
    a.verb = "create";
  } else if (m == "put") {
    a.verb = "update";
  } else if (m == "patch") {
    a.verb = "patch";
  } else if (m == "delete") {
    a.verb = a.name.empty() ? "deletecollection" : "delete";
  } else {
    a.verb = m;
  }
  return a;
}

std::string forbiddenReason(const UserInfo& user, const RequestAttributes& a) {
  if (!a.resource_request) {
    return "User \"" + user.name + "\" cannot " + a.verb + " path \"" + a.path + "\"";
  }
  std::string res = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  std::string out = "User \"" + user.name + "\" cannot " + a.verb + " resource \"" + res +
                    "\" in API group \"" + a.api_group + "\"";
  if (!a.namespace_.empty()) out += " in the namespace \"" + a.namespace_ + "\"";
  return out;
}

bool RbacAuthorizer::allowed(const UserInfo& user, const RequestAttributes& a) const {
  const auto& g = user.groups;
  if (std::find(g.begin(), g.end(), "system:masters") != g.end()) return true;
  if (!a.resource_request && (a.verb == "get" || a.verb == "head") && a.path != "/metrics") {
    return true;
  }
  auto rulesOf = [&](const std::string& kind, const std::string& ns, const std::string& name) {
    bool cluster = kind == "ClusterRole";
    auto role = store_.get(ObjectKey{
        cluster ? "rbac.authorization.k8s.io/clusterroles" : "rbac.authorization.k8s.io/roles",
        cluster ? "" : ns, name});
    return role.ok() ? (*role.value()).value("rules", json::array()) : json::array();
  };
  auto anyRule = [&](const json& rules) {
    for (const auto& rule : rules) {
      if (ruleAllows(rule, a)) return true;
    }
    return false;
  };
  for (const auto& b : store_.list("rbac.authorization.k8s.io/clusterrolebindings", "").first) {
    if (!bound(*b, user, "")) continue;
    const json& ref = (*b).value("roleRef", json::object());
    if (anyRule(rulesOf("ClusterRole", "", ref.value("name", "")))) return true;
  }
  if (a.namespace_.empty()) return false;
  for (const auto& b : store_.list("rbac.authorization.k8s.io/rolebindings", a.namespace_).first) {
    if (!bound(*b, user, a.namespace_)) continue;
    const json& ref = (*b).value("roleRef", json::object());
    if (anyRule(rulesOf(ref.value("kind", ""), a.namespace_, ref.value("name", "")))) return true;
  }
  return false;
}

}  // namespace vane::apiserver
