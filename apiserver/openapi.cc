// OpenAPI v3: the root index (hash-addressed group-version documents) and one document per
// group-version. Each GVK gets a PATCH operation with the fieldValidation query parameter (how
// kubectl detects server-side field validation) and a component schema carrying
// x-kubernetes-group-version-kind (what kubectl explain reads). Strategic merge patch is NOT
// advertised, so kubectl uses its compiled-in types for built-ins (kube-api-local.md §0.6).
#include <cstdio>
#include <functional>
#include <sstream>

#include "apiserver/discovery.h"
#include "apiserver/errors.h"

namespace vane::apiserver {

namespace {

const char kObjectMetaRef[] = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

std::string schemaName(const ResourceType& t, const std::string& version) {
  std::string prefix;
  if (!t.custom) {
    std::string g = t.group.empty() ? "core" : t.group.substr(0, t.group.find('.'));
    prefix = "io.k8s.api." + g;
  } else {
    std::string g = t.group;
    std::vector<std::string> labels;
    std::stringstream ss(g);
    std::string label;
    while (std::getline(ss, label, '.')) labels.insert(labels.begin(), label);
    for (const auto& l : labels) prefix += (prefix.empty() ? "" : ".") + l;
  }
  return prefix + "." + version + "." + t.kind;
}

json objectMetaSchema() {
  json str = {{"type", "string"}};
  json map = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
  return {{"type", "object"},
          {"description", "ObjectMeta is metadata that all persisted resources must have."},
          {"properties",
           {{"name", str},
            {"generateName", str},
            {"namespace", str},
            {"uid", str},
            {"resourceVersion", str},
            {"generation", {{"type", "integer"}, {"format", "int64"}}},
            {"creationTimestamp", str},
            {"deletionTimestamp", str},
            {"labels", map},
            {"annotations", map},
            {"finalizers", {{"type", "array"}, {"items", str}}},
            {"ownerReferences", {{"type", "array"}, {"items", {{"type", "object"}}}}},
            {"managedFields", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}};
}

json kindSchema(const ResourceType& t, const std::string& version) {
  json s;
  auto it = t.schemas.find(version);
  if (t.custom && it != t.schemas.end() && it->second.is_object()) {
    s = it->second;
  } else {
    s = {{"type", "object"},
         {"properties", {{"spec", {{"type", "object"}}}, {"status", {{"type", "object"}}}}}};
    if (t.kind == "ConfigMap" || t.kind == "Secret") {
      s["properties"] = {{"data", {{"type", "object"}}}};
    }
  }
  if (!s["properties"].is_object()) s["properties"] = json::object();
  s["properties"]["apiVersion"] = {{"type", "string"}};
  s["properties"]["kind"] = {{"type", "string"}};
  s["properties"]["metadata"] = {
      {"allOf", json::array({{{"$ref", std::string("#/components/schemas/") + kObjectMetaRef}}})}};
  s["x-kubernetes-group-version-kind"] =
      json::array({{{"group", t.group}, {"version", version}, {"kind", t.kind}}});
  return s;
}

json patchOperation(const ResourceType& t, const std::string& version) {
  json schema = {{"schema", {{"type", "object"}}}};
  return {{"x-kubernetes-group-version-kind",
           {{"group", t.group}, {"version", version}, {"kind", t.kind}}},
          {"parameters",
           json::array(
               {{{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                {{"name", "fieldManager"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                {{"name", "dryRun"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                {{"name", "force"}, {"in", "query"}, {"schema", {{"type", "boolean"}}}}})},
          {"requestBody",
           {{"content",
             {{"application/json-patch+json", schema},
              {"application/merge-patch+json", schema},
              {"application/apply-patch+yaml", schema}}}}},
          {"responses", {{"200", {{"description", "OK"}}}}}};
}

json groupVersionDoc(const TypeList& types, const std::string& group, const std::string& version) {
  json paths = json::object();
  json schemas = json::object();
  schemas[kObjectMetaRef] = objectMetaSchema();
  for (const auto& t : types) {
    if (t.group != group || !t.serves(version)) continue;
    std::string base = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    std::string path =
        base + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural + "/{name}";
    paths[path] = {{"patch", patchOperation(t, version)}};
    schemas[schemaName(t, version)] = kindSchema(t, version);
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

std::string hashOf(const std::string& s) {
  // FNV-1a, 64 bit: stable across runs (std::hash need not be).
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(h));
  return buf;
}

std::vector<std::pair<std::string, std::string>> groupVersions(const TypeList& types) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& t : types) {
    for (const auto& v : t.versions) {
      std::pair<std::string, std::string> gv{t.group, v};
      if (std::find(out.begin(), out.end(), gv) == out.end()) out.push_back(gv);
    }
  }
  return out;
}

}  // namespace

std::optional<http::Response> serveOpenApi(const Registry& registry, const http::Request& req) {
  const std::string& path = req.path;
  if (path == "/openapi/v2" || path.rfind("/openapi/", 0) != 0) {
    return path.rfind("/openapi", 0) == 0 ? std::optional(pathNotFound()) : std::nullopt;
  }
  auto types = registry.types();
  if (path == "/openapi/v3" || path == "/openapi/v3/") {
    json paths = json::object();
    for (const auto& [g, v] : groupVersions(*types)) {
      std::string key = g.empty() ? "api/" + v : "apis/" + g + "/" + v;
      std::string doc = groupVersionDoc(*types, g, v).dump();
      paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hashOf(doc)}};
    }
    return jsonResponse(200, {{"paths", paths}});
  }
  std::string rest = path.substr(std::string("/openapi/v3/").size());
  std::string group, version;
  if (rest.rfind("api/", 0) == 0) {
    version = rest.substr(4);
  } else if (rest.rfind("apis/", 0) == 0) {
    std::string gv = rest.substr(5);
    auto slash = gv.find('/');
    if (slash == std::string::npos) return pathNotFound();
    group = gv.substr(0, slash);
    version = gv.substr(slash + 1);
  } else {
    return pathNotFound();
  }
  auto gvs = groupVersions(*types);
  if (std::find(gvs.begin(), gvs.end(), std::pair{group, version}) == gvs.end()) {
    return pathNotFound();
  }
  std::string doc = groupVersionDoc(*types, group, version).dump();
  std::string hash = hashOf(doc);
  http::Response r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("Etag", "\"" + hash + "\"");
  if (req.param("hash").value_or("") == hash) {
    r.headers.emplace_back("Cache-Control", "public, immutable");
    r.headers.emplace_back("Expires", "Thu, 31 Dec 2099 23:59:59 GMT");
  } else {
    r.headers.emplace_back("Cache-Control", "no-cache, private");
  }
  r.body = std::move(doc);
  return r;
}

}  // namespace vane::apiserver
