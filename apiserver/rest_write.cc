// create, update (PUT), delete and deletecollection.
#include "apiserver/errors.h"
#include "apiserver/managed_fields.h"
#include "apiserver/objects.h"
#include "apiserver/rest.h"
#include "apiserver/selectors.h"

namespace vane::apiserver {

namespace {

const std::set<std::string> kImmortalNamespaces = {"default", "kube-system", "kube-public"};

json nsCauses(const std::string& ns) {
  return json::array({{{"reason", "NamespaceTerminating"},
                       {"message", "namespace " + ns + " is being terminated"},
                       {"field", "metadata.namespace"}}});
}

}  // namespace

http::Response Rest::create(const http::Request& req, const Target& t) {
  auto body = decodeBody(req);
  if (!body.ok()) return badRequest(body.status().message());
  return createObject(req, t, std::move(*body), false);
}

http::Response Rest::createObject(const http::Request& req, const Target& t, json obj,
                                  bool applied) {
  const ResourceType& type = *t.type;
  if (!obj["metadata"].is_object()) obj["metadata"] = json::object();
  json& meta = obj["metadata"];
  if (type.namespaced) {
    if (t.ns.empty()) return methodNotAllowed();
    std::string body_ns = metaString(obj, "namespace");
    if (!body_ns.empty() && body_ns != t.ns) {
      return badRequest(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    meta["namespace"] = t.ns;
  } else {
    meta.erase("namespace");
  }
  std::string name = metaString(obj, "name");
  if (name.empty() && !metaString(obj, "generateName").empty()) {
    name = metaString(obj, "generateName") + randomSuffix();
    meta["name"] = name;
  }
  if (name.empty()) {
    return invalid(type, "", "metadata.name", "FieldValueRequired",
                   "Required value: name or generateName is required");
  }
  if (auto err = nameError(name); !err.empty()) {
    return invalid(type, name, "metadata.name", "FieldValueInvalid",
                   "Invalid value: \"" + name + "\": " + err);
  }
  if (type.namespaced) {
    auto ns = store_.get({"core/namespaces", "", t.ns});
    auto ns_type = registry_.find("", "v1", "namespaces");
    if (!ns.ok()) return notFound(*ns_type, t.ns);
    if ((**ns)["metadata"].contains("deletionTimestamp")) {
      return forbidden(
          type, name,
          "unable to create new content in namespace " + t.ns + " because it is being terminated",
          nsCauses(t.ns));
    }
  }
  for (const char* f :
       {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"}) {
    meta.erase(f);
  }
  meta["uid"] = newUid();
  meta["creationTimestamp"] = nowRfc3339();
  if (type.tracks_generation) {
    meta["generation"] = 1;
  } else {
    meta.erase("generation");
  }
  obj["apiVersion"] = type.groupVersion(type.storage_version);
  obj["kind"] = type.kind;
  if (type.custom && type.has_status) obj.erase("status");
  auto admitted = admit(req, t, std::move(obj), nullptr);
  if (auto* err = std::get_if<http::Response>(&admitted)) return std::move(*err);
  auto& adm = std::get<Admitted>(admitted);
  if (!applied) {
    adm.object["metadata"].erase("managedFields");
    recordUpdate(adm.object, nullptr, fieldManager(req), type.groupVersion(t.version), "");
  }
  if (isDryRun(req)) return objectResponse(201, t, adm.object, adm.warnings);
  auto stored = store_.create(keyOf(type, adm.object), adm.object);
  if (!stored.ok()) return fromStoreStatus(stored.status(), type, name);
  return objectResponse(201, t, **stored, adm.warnings);
}

http::Response Rest::update(const http::Request& req, const Target& t) {
  const ResourceType& type = *t.type;
  auto body = decodeBody(req);
  if (!body.ok()) return badRequest(body.status().message());
  json obj = std::move(*body);
  auto cur = store_.get(t.key());
  if (!cur.ok()) return notFound(type, t.name);
  const json& current = **cur;
  if (t.sub == "scale") {
    json updated = current;
    auto replicas = obj.value("spec", json::object()).value("replicas", json());
    if (!replicas.is_number_integer()) {
      return invalid(type, t.name, "spec.replicas", "FieldValueRequired", "Required value");
    }
    std::string path = type.scale->spec_replicas_path;
    json* node = &updated;
    std::size_t p = 1;
    while (p < path.size()) {
      auto dot = path.find('.', p);
      std::string k = path.substr(p, dot == std::string::npos ? std::string::npos : dot - p);
      node = &(*node)[k];
      p = dot == std::string::npos ? path.size() : dot + 1;
    }
    *node = replicas;
    return commitUpdate(req, t, current, std::move(updated), fieldManager(req), false);
  }
  std::string body_name = metaString(obj, "name");
  if (!body_name.empty() && body_name != t.name) {
    return badRequest("the name of the object (" + body_name +
                      ") does not match the name on the URL (" + t.name + ")");
  }
  std::string rv = metaString(obj, "resourceVersion");
  if (rv.empty() && (type.custom || type.kind == "CustomResourceDefinition")) {
    json d = {{"name", t.name}, {"kind", type.plural}};
    if (!type.group.empty()) d["group"] = type.group;
    d["causes"] = json::array({{{"reason", "FieldValueInvalid"},
                                {"message", "Invalid value: 0x0: must be specified for an update"},
                                {"field", "metadata.resourceVersion"}}});
    return statusResponse(422, "Invalid",
                          type.qualified() + " \"" + t.name +
                              "\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must "
                              "be specified for an update",
                          d);
  }
  if (!rv.empty() && rv != metaString(current, "resourceVersion")) return conflict(type, t.name);
  json updated;
  if (t.sub == "status") {
    updated = current;
    if (obj.contains("status")) {
      updated["status"] = obj["status"];
    } else {
      updated.erase("status");
    }
  } else {
    updated = std::move(obj);
  }
  return commitUpdate(req, t, current, std::move(updated), fieldManager(req), false);
}

http::Response Rest::commitUpdate(const http::Request& req, const Target& t, const json& current,
                                  json updated, const std::string& manager, bool apply_op) {
  const ResourceType& type = *t.type;
  if (!updated.is_object()) return badRequest("the object must be a JSON object");
  if (!updated["metadata"].is_object()) updated["metadata"] = json::object();
  json& meta = updated["metadata"];
  const json& old_meta = current["metadata"];
  for (const char* f : {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation"}) {
    if (old_meta.contains(f)) {
      meta[f] = old_meta[f];
    } else {
      meta.erase(f);
    }
  }
  if (!apply_op) meta["managedFields"] = old_meta.value("managedFields", json::array());
  meta["resourceVersion"] = old_meta.value("resourceVersion", "");
  updated["apiVersion"] = type.groupVersion(type.storage_version);
  updated["kind"] = type.kind;
  if (t.sub.empty() && type.has_status) {
    if (current.contains("status")) {
      updated["status"] = current["status"];
    } else {
      updated.erase("status");
    }
  }
  if (old_meta.contains("deletionTimestamp")) {
    auto before = old_meta.value("finalizers", json::array());
    for (const auto& f : meta.value("finalizers", json::array())) {
      if (std::find(before.begin(), before.end(), f) == before.end()) {
        return invalid(type, t.name, "metadata.finalizers", "FieldValueForbidden",
                       "Forbidden: no new finalizers can be added if the object is being deleted, "
                       "found new finalizers []string{" +
                           f.dump() + "}");
      }
    }
  }
  if (meta.contains("finalizers") && meta["finalizers"].is_array() && meta["finalizers"].empty()) {
    meta.erase("finalizers");
  }
  auto admitted = admit(req, t, std::move(updated), &current);
  if (auto* err = std::get_if<http::Response>(&admitted)) return std::move(*err);
  auto& adm = std::get<Admitted>(admitted);
  json& obj = adm.object;
  if (type.tracks_generation) {
    int64_t gen = old_meta.value("generation", int64_t{1});
    if (generationChanges(type, current, obj)) ++gen;
    obj["metadata"]["generation"] = gen;
  }
  if (sameObject(current, obj)) return objectResponse(200, t, current, adm.warnings);
  if (!apply_op) {
    recordUpdate(obj, &current, manager, type.groupVersion(t.version),
                 t.sub == "status" ? "status" : "");
  }
  if (isDryRun(req)) return objectResponse(200, t, obj, adm.warnings);
  auto stored = writeObject(store_, t.key(), obj, objectRv(current));
  if (!stored.ok()) return fromStoreStatus(stored.status(), type, t.name);
  return objectResponse(200, t, **stored, adm.warnings);
}

http::Response Rest::remove(const http::Request& req, const Target& t) {
  const ResourceType& type = *t.type;
  json options = json::object();
  if (!req.body.empty()) {
    options = json::parse(req.body, nullptr, false);
    if (options.is_discarded() || !options.is_object()) {
      return badRequest("the body of the request was in an unknown format");
    }
  }
  std::string policy = options.value("propagationPolicy", std::string());
  if (policy.empty()) policy = req.param("propagationPolicy").value_or("Background");
  auto cur = store_.get(t.key());
  if (!cur.ok()) return notFound(type, t.name);
  auto pre = options.value("preconditions", json::object());
  if (pre.contains("uid") && pre["uid"] != (**cur)["metadata"].value("uid", json())) {
    return statusResponse(409, "Conflict",
                          "Precondition failed: UID in precondition: " + pre["uid"].dump() +
                              ", UID in object meta: " + metaString(**cur, "uid"),
                          {{"name", t.name}, {"kind", type.plural}});
  }
  std::optional<uint64_t> expected;
  if (pre.contains("resourceVersion") && pre["resourceVersion"].is_string()) {
    expected = objectRv({{"metadata", {{"resourceVersion", pre["resourceVersion"]}}}});
  }
  if (!type.custom && type.kind == "Namespace" && kImmortalNamespaces.count(t.name)) {
    return forbidden(type, t.name, "this namespace may not be deleted");
  }
  bool dry = isDryRun(req) ||
             options.value("dryRun", json::array()).dump().find("All") != std::string::npos;
  if (dry) return objectResponse(200, t, **cur);
  auto outcome = beginDelete(store_, type, t.key(), policy, expected);
  if (!outcome.ok()) return fromStoreStatus(outcome.status(), type, t.name);
  bool return_object =
      !type.custom && (type.kind == "Pod" || type.kind == "Service" || type.kind == "Namespace");
  if (!outcome->removed || return_object) return objectResponse(200, t, *outcome->object);
  json d = {{"name", t.name}, {"kind", type.plural}, {"uid", metaString(*outcome->object, "uid")}};
  if (!type.group.empty()) d["group"] = type.group;
  json body = {{"kind", "Status"},
               {"apiVersion", "v1"},
               {"metadata", json::object()},
               {"status", "Success"},
               {"details", d}};
  return jsonResponse(200, body);
}

http::Response Rest::removeCollection(const http::Request& req, const Target& t) {
  const ResourceType& type = *t.type;
  auto labels = parseLabelSelector(req.param("labelSelector").value_or(""));
  if (!labels.ok()) return badRequest(labels.status().message());
  auto fields = parseFieldSelector(req.param("fieldSelector").value_or(""), type.kind, type.custom);
  if (!fields.ok()) return badRequest(fields.status().message());
  std::string policy = req.param("propagationPolicy").value_or("Background");
  auto [all, rv] = store_.list(type.key(), type.namespaced ? t.ns : "");
  json items = json::array();
  for (const auto& o : all) {
    if (!matchesLabels(*labels, *o) || !matchesFields(*fields, *o)) continue;
    if (!type.custom && type.kind == "Namespace" &&
        kImmortalNamespaces.count(metaString(*o, "name"))) {
      continue;
    }
    if (isDryRun(req)) {
      items.push_back(presentAs(type, t.version, *o));
      continue;
    }
    auto outcome = beginDelete(store_, type, keyOf(type, *o), policy);
    if (outcome.ok()) items.push_back(presentAs(type, t.version, *outcome->object));
  }
  return jsonResponse(
      200, {{"kind", type.list_kind},
            {"apiVersion", type.groupVersion(t.version)},
            {"metadata", {{"resourceVersion", std::to_string(store_.currentResourceVersion())}}},
            {"items", items}});
}

}  // namespace vane::apiserver
