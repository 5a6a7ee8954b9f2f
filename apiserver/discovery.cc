#include "apiserver/discovery.h"

#include <algorithm>
#include <set>

#include "apiserver/errors.h"

namespace vane::apiserver {

namespace {

const std::vector<std::string> kVerbs = {"create", "delete", "deletecollection", "get",
                                         "list",   "patch",  "update",           "watch"};

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Groups (in order) and each group's versions (preferred first).
std::vector<std::pair<std::string, std::vector<std::string>>> groups(const TypeList& types) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& t : types) {
    if (t.group.empty()) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](auto& g) { return g.first == t.group; });
    if (it == out.end()) {
      out.push_back({t.group, {}});
      it = std::prev(out.end());
    }
    for (const auto& v : t.versions) {
      if (std::find(it->second.begin(), it->second.end(), v) == it->second.end()) {
        it->second.push_back(v);
      }
    }
  }
  for (auto& g : out) std::sort(g.second.begin(), g.second.end(), versionLess);
  return out;
}

json gvk(const ResourceType& t, const std::string& version) {
  return {{"group", t.group}, {"version", version}, {"kind", t.kind}};
}

json aggregatedResource(const ResourceType& t, const std::string& version) {
  json r = {{"resource", t.plural},
            {"responseKind", gvk(t, version)},
            {"scope", t.namespaced ? "Namespaced" : "Cluster"},
            {"singularResource", t.singular},
            {"verbs", kVerbs}};
  if (!t.short_names.empty()) r["shortNames"] = t.short_names;
  if (!t.categories.empty()) r["categories"] = t.categories;
  json subs = json::array();
  if (t.has_status) {
    subs.push_back({{"subresource", "status"},
                    {"responseKind", gvk(t, version)},
                    {"verbs", {"get", "patch", "update"}}});
  }
  if (t.scale) {
    subs.push_back(
        {{"subresource", "scale"},
         {"responseKind", {{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}}},
         {"verbs", {"get", "patch", "update"}}});
  }
  if (!subs.empty()) r["subresources"] = subs;
  return r;
}

json aggregatedVersion(const TypeList& types, const std::string& group,
                       const std::string& version) {
  json resources = json::array();
  for (const auto& t : types) {
    if (t.group == group && t.serves(version)) resources.push_back(aggregatedResource(t, version));
  }
  return {{"version", version}, {"resources", resources}, {"freshness", "Current"}};
}

json legacyResources(const TypeList& types, const std::string& group, const std::string& version) {
  json list = json::array();
  for (const auto& t : types) {
    if (t.group != group || !t.serves(version)) continue;
    json r = {{"name", t.plural},
              {"singularName", t.singular},
              {"namespaced", t.namespaced},
              {"kind", t.kind},
              {"verbs", kVerbs}};
    if (!t.short_names.empty()) r["shortNames"] = t.short_names;
    if (!t.categories.empty()) r["categories"] = t.categories;
    list.push_back(r);
    if (t.has_status) {
      list.push_back({{"name", t.plural + "/status"},
                      {"singularName", ""},
                      {"namespaced", t.namespaced},
                      {"kind", t.kind},
                      {"verbs", {"get", "patch", "update"}}});
    }
    if (t.scale) {
      list.push_back({{"name", t.plural + "/scale"},
                      {"singularName", ""},
                      {"namespaced", t.namespaced},
                      {"group", "autoscaling"},
                      {"version", "v1"},
                      {"kind", "Scale"},
                      {"verbs", {"get", "patch", "update"}}});
    }
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", list}};
}

json apiGroup(const std::string& name, const std::vector<std::string>& versions) {
  json vs = json::array();
  for (const auto& v : versions) vs.push_back({{"groupVersion", name + "/" + v}, {"version", v}});
  return {{"name", name}, {"versions", vs}, {"preferredVersion", vs.at(0)}};
}

// "v2" or "v2beta1" when the client asked for aggregated discovery, else "".
std::string aggregatedVersionAsked(const http::Request& req) {
  std::string accept = req.header("Accept").value_or("");
  std::size_t pos = 0;
  while (pos <= accept.size()) {
    auto comma = accept.find(',', pos);
    std::string range =
        accept.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? accept.size() + 1 : comma + 1;
    for (const char* v : {"v2", "v2beta1"}) {
      if (acceptsMedia(range, "application/json",
                       {{"g", "apidiscovery.k8s.io"}, {"v", v}, {"as", "APIGroupDiscoveryList"}})) {
        return v;
      }
    }
  }
  return "";
}

http::Response aggregated(const json& items, const std::string& v) {
  json body = {{"kind", "APIGroupDiscoveryList"},
               {"apiVersion", "apidiscovery.k8s.io/" + v},
               {"metadata", json::object()},
               {"items", items}};
  return jsonResponse(
      200, body, "application/json;g=apidiscovery.k8s.io;v=" + v + ";as=APIGroupDiscoveryList");
}

}  // namespace

bool acceptsMedia(const std::string& accept, const std::string& type,
                  const std::vector<std::pair<std::string, std::string>>& params) {
  std::size_t pos = 0;
  while (pos <= accept.size()) {
    auto comma = accept.find(',', pos);
    std::string range =
        accept.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? accept.size() + 1 : comma + 1;
    std::vector<std::string> parts;
    std::size_t p = 0;
    while (p <= range.size()) {
      auto semi = range.find(';', p);
      parts.push_back(
          trim(range.substr(p, semi == std::string::npos ? std::string::npos : semi - p)));
      p = semi == std::string::npos ? range.size() + 1 : semi + 1;
    }
    if (parts.empty() || parts[0] != type) continue;
    bool all = true;
    for (const auto& [k, v] : params) {
      bool found = false;
      for (std::size_t i = 1; i < parts.size(); ++i) {
        auto eq = parts[i].find('=');
        if (eq != std::string::npos && trim(parts[i].substr(0, eq)) == k &&
            trim(parts[i].substr(eq + 1)) == v) {
          found = true;
        }
      }
      all = all && found;
    }
    if (all) return true;
  }
  return false;
}

std::optional<http::Response> serveDiscovery(const Registry& registry, const http::Request& req,
                                             const std::string& server_address) {
  const std::string& path = req.path;
  auto types = registry.types();
  std::string agg = aggregatedVersionAsked(req);
  if (path == "/api" || path == "/api/") {
    if (!agg.empty()) {
      json item = {{"metadata", json::object()},
                   {"versions", json::array({aggregatedVersion(*types, "", "v1")})}};
      return aggregated(json::array({item}), agg);
    }
    return jsonResponse(200,
                        {{"kind", "APIVersions"},
                         {"versions", {"v1"}},
                         {"serverAddressByClientCIDRs",
                          {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}});
  }
  auto gs = groups(*types);
  if (path == "/apis" || path == "/apis/") {
    if (!agg.empty()) {
      json items = json::array();
      for (const auto& [g, versions] : gs) {
        json vs = json::array();
        for (const auto& v : versions) vs.push_back(aggregatedVersion(*types, g, v));
        items.push_back({{"metadata", {{"name", g}}}, {"versions", vs}});
      }
      return aggregated(items, agg);
    }
    json list = json::array();
    for (const auto& [g, versions] : gs) list.push_back(apiGroup(g, versions));
    return jsonResponse(200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", list}});
  }
  if (path == "/api/v1") return jsonResponse(200, legacyResources(*types, "", "v1"));
  if (path.rfind("/apis/", 0) == 0) {
    std::string rest = path.substr(6);
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    auto slash = rest.find('/');
    std::string g = rest.substr(0, slash);
    auto it = std::find_if(gs.begin(), gs.end(), [&](auto& e) { return e.first == g; });
    if (slash == std::string::npos) {
      if (it == gs.end()) return pathNotFound();
      json body = apiGroup(g, it->second);
      body["kind"] = "APIGroup";
      body["apiVersion"] = "v1";
      return jsonResponse(200, body);
    }
    std::string v = rest.substr(slash + 1);
    if (v.find('/') != std::string::npos) return std::nullopt;  // a resource path
    if (it == gs.end() || std::find(it->second.begin(), it->second.end(), v) == it->second.end()) {
      return pathNotFound();
    }
    return jsonResponse(200, legacyResources(*types, g, v));
  }
  return std::nullopt;
}

}  // namespace vane::apiserver
