// PATCH: JSON merge patch, JSON patch, strategic merge patch (built-ins only; 415 for custom
// resources), server-side apply, and the /scale and /status subresources.
#include "apiserver/errors.h"
#include "apiserver/managed_fields.h"
#include "apiserver/objects.h"
#include "apiserver/rest.h"
#include "apiserver/strategic_merge.h"
#include "apiserver/table.h"

namespace vane::apiserver {

namespace {

std::string mediaType(const http::Request& req) {
  std::string ct = req.header("Content-Type").value_or("");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  return ct;
}

json* nodeAt(json& obj, const std::string& dotted) {
  json* node = &obj;
  std::size_t p = 1;
  while (p < dotted.size()) {
    auto dot = dotted.find('.', p);
    std::string k = dotted.substr(p, dot == std::string::npos ? std::string::npos : dot - p);
    if (!node->is_object() && !node->is_null()) return nullptr;
    node = &(*node)[k];
    p = dot == std::string::npos ? dotted.size() : dot + 1;
  }
  return node;
}

http::Response rejected() {
  return statusResponse(422, "Invalid",
                        "the server rejected our request due to an error in our request",
                        json::object());
}

}  // namespace

json scaleOf(const ResourceType& t, const json& obj) {
  const ScaleSpec& s = *t.scale;
  json spec_replicas = pathValue(obj, s.spec_replicas_path);
  json status_replicas = pathValue(obj, s.status_replicas_path);
  json meta = {{"name", metaString(obj, "name")},
               {"uid", metaString(obj, "uid")},
               {"resourceVersion", metaString(obj, "resourceVersion")},
               {"creationTimestamp", metaString(obj, "creationTimestamp")}};
  if (t.namespaced) meta["namespace"] = metaString(obj, "namespace");
  json status = {{"replicas", status_replicas.is_number() ? status_replicas : json(0)}};
  if (!s.label_selector_path.empty()) {
    json sel = pathValue(obj, s.label_selector_path);
    if (sel.is_string()) status["selector"] = sel;
  } else if (!t.custom) {
    json ml = pathValue(obj, ".spec.selector.matchLabels");
    std::string sel;
    if (ml.is_object()) {
      for (const auto& [k, v] : ml.items()) {
        if (v.is_string()) sel += (sel.empty() ? "" : ",") + k + "=" + v.get<std::string>();
      }
    }
    if (!sel.empty()) status["selector"] = sel;
  }
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", meta},
          {"spec", {{"replicas", spec_replicas.is_number() ? spec_replicas : json(0)}}},
          {"status", status}};
}

http::Response Rest::patch(const http::Request& req, const Target& t) {
  const ResourceType& type = *t.type;
  std::string ct = mediaType(req);
  if (ct == "application/apply-patch+yaml") return apply(req, t);
  if (req.param("force")) {
    return statusResponse(422, "Invalid",
                          "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be "
                          "specified for non-apply patch");
  }
  bool strategic = ct == "application/strategic-merge-patch+json";
  if (ct != "application/merge-patch+json" && ct != "application/json-patch+json" && !strategic) {
    return unsupportedPatch();
  }
  if (strategic &&
      (type.custom || !supportsStrategicMerge(type.groupVersion(t.version), type.kind))) {
    return unsupportedPatch();
  }
  json patch = json::parse(req.body, nullptr, false);
  if (patch.is_discarded()) return badRequest("the body of the request was in an unknown format");
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto cur = store_.get(t.key());
    if (!cur.ok()) return notFound(type, t.name);
    const json& current = **cur;
    json base = t.sub == "scale" ? scaleOf(type, current) : presentAs(type, t.version, current);
    json result;
    if (ct == "application/merge-patch+json") {
      if (!patch.is_object()) return badRequest("a merge patch must be a JSON object");
      result = base;
      result.merge_patch(patch);
    } else if (ct == "application/json-patch+json") {
      if (!patch.is_array()) return badRequest("a JSON patch must be a JSON array");
      try {
        result = base.patch(patch);
      } catch (const json::exception&) {
        return rejected();
      }
    } else {
      auto r = strategicMergePatch(base, patch, type.groupVersion(t.version), type.kind);
      if (!r.ok()) return badRequest(r.status().message());
      result = std::move(*r);
    }
    if (!result.is_object()) return rejected();
    json updated;
    if (t.sub == "scale") {
      json replicas = result.value("spec", json::object()).value("replicas", json());
      if (!replicas.is_number_integer()) {
        return invalid(type, t.name, "spec.replicas", "FieldValueRequired", "Required value");
      }
      updated = current;
      if (json* node = nodeAt(updated, type.scale->spec_replicas_path)) *node = replicas;
    } else if (t.sub == "status") {
      updated = current;
      if (result.contains("status")) {
        updated["status"] = result["status"];
      } else {
        updated.erase("status");
      }
    } else {
      if (metaString(result, "resourceVersion") != metaString(current, "resourceVersion")) {
        return conflict(type, t.name);
      }
      updated = std::move(result);
    }
    http::Response r = commitUpdate(req, t, current, std::move(updated), fieldManager(req), false);
    if (r.status == 409 && attempt < 4) continue;  // a concurrent writer: re-read and retry
    if (t.sub == "scale" && r.status == 200) {
      auto now = store_.get(t.key());
      if (now.ok()) return jsonResponse(200, scaleOf(type, **now));
    }
    return r;
  }
  return conflict(type, t.name);
}

http::Response Rest::apply(const http::Request& req, const Target& t) {
  const ResourceType& type = *t.type;
  std::string manager = req.param("fieldManager").value_or("");
  if (manager.empty()) {
    return statusResponse(422, "Invalid",
                          "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required "
                          "value: is required for apply patch");
  }
  bool force = req.param("force").value_or("") == "true";
  json config = json::parse(req.body, nullptr, false);
  if (config.is_discarded() || !config.is_object()) {
    return badRequest("error decoding YAML: the apply configuration must be a JSON object");
  }
  if (!config["metadata"].is_object()) config["metadata"] = json::object();
  std::string body_name = metaString(config, "name");
  if (!body_name.empty() && body_name != t.name) {
    return badRequest("the name of the object (" + body_name +
                      ") does not match the name on the URL (" + t.name + ")");
  }
  std::string gv = type.groupVersion(t.version);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto cur = store_.get(t.key());
    if (!cur.ok()) {
      if (!t.sub.empty()) return notFound(type, t.name);
      json cfg = config;
      cfg["metadata"]["name"] = t.name;
      auto out = applyConfiguration(nullptr, cfg, manager, gv, force);
      for (const char* f : {"name", "namespace", "generateName"}) {
        if (cfg["metadata"].contains(f)) out.object["metadata"][f] = cfg["metadata"][f];
      }
      http::Response r = createObject(req, t, std::move(out.object), true);
      if (r.status == 409 && attempt < 4) continue;  // created concurrently: apply onto it
      return r;
    }
    const json& current = **cur;
    auto out = applyConfiguration(presentAs(type, t.version, current), config, manager, gv, force);
    if (!out.conflicts.empty()) {
      json causes = json::array();
      for (const auto& c : out.conflicts) {
        causes.push_back({{"reason", "FieldManagerConflict"},
                          {"message", "conflict with " + c.manager},
                          {"field", c.path}});
      }
      return statusResponse(409, "Conflict", conflictMessage(out.conflicts), {{"causes", causes}});
    }
    http::Response r = commitUpdate(req, t, current, std::move(out.object), manager, true);
    if (r.status == 409 && attempt < 4) continue;
    return r;
  }
  return conflict(type, t.name);
}

}  // namespace vane::apiserver
