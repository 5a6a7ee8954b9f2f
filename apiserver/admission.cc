// Per-write admission: custom resource schema defaulting, pruning and validation (through the
// schema module), CRD name checks and status (establishment), built-in defaults, size limits.
#include <algorithm>

#include "apiserver/errors.h"
#include "apiserver/objects.h"
#include "apiserver/rest.h"
#include "apiserver/schema.h"

namespace vane::apiserver {

namespace {

constexpr std::size_t kMaxAnnotationBytes = 262144;

void establishCrd(json& crd) {
  const auto& spec = crd["spec"];
  const auto& names = spec["names"];
  json accepted = {{"kind", names.value("kind", "")},
                   {"listKind", names.value("listKind", names.value("kind", "") + "List")},
                   {"plural", names.value("plural", "")},
                   {"singular", names.value("singular", "")}};
  if (names.contains("shortNames")) accepted["shortNames"] = names["shortNames"];
  if (names.contains("categories")) accepted["categories"] = names["categories"];
  std::string now = nowRfc3339();
  json stored = json::array();
  if (crd["status"].is_object() && crd["status"]["storedVersions"].is_array()) {
    stored = crd["status"]["storedVersions"];
  }
  for (const auto& v : spec.value("versions", json::array())) {
    if (v.value("storage", false) &&
        std::find(stored.begin(), stored.end(), v["name"]) == stored.end()) {
      stored.push_back(v["name"]);
    }
  }
  json conditions;
  if (crd["status"].is_object() && crd["status"]["conditions"].is_array() &&
      !crd["status"]["conditions"].empty()) {
    conditions = crd["status"]["conditions"];
  }
  crd["status"] = {
      {"acceptedNames", accepted},
      {"conditions", json::array({{{"type", "NamesAccepted"},
                                   {"status", "True"},
                                   {"lastTransitionTime", now},
                                   {"reason", "NoConflicts"},
                                   {"message", "no conflicts found"}},
                                  {{"type", "Established"},
                                   {"status", "True"},
                                   {"lastTransitionTime", now},
                                   {"reason", "InitialNamesAccepted"},
                                   {"message", "the initial names have been accepted"}}})},
      {"storedVersions", stored}};
  if (!conditions.is_null()) crd["status"]["conditions"] = conditions;
}

std::optional<http::Response> checkCrd(const ResourceType& t, const json& crd) {
  std::string name = metaString(crd, "name");
  auto spec = crd.value("spec", json::object());
  std::string plural = spec.value("names", json::object()).value("plural", "");
  std::string group = spec.value("group", "");
  if (name != plural + "." + group) {
    return invalid(t, name, "metadata.name", "FieldValueInvalid",
                   "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group");
  }
  int storage = 0;
  for (const auto& v : spec.value("versions", json::array())) {
    if (v.value("storage", false)) ++storage;
  }
  if (storage != 1) {
    return invalid(t, name, "spec.versions", "FieldValueInvalid",
                   "Invalid value: " + std::to_string(storage) +
                       ": must have exactly one version marked as storage version");
  }
  std::string scope = spec.value("scope", "");
  if (scope != "Namespaced" && scope != "Cluster") {
    return invalid(t, name, "spec.scope", "FieldValueNotSupported",
                   "Unsupported value: \"" + scope +
                       "\": supported values: \"Cluster\", "
                       "\"Namespaced\"");
  }
  if (!typeFromCrd(crd)) {
    return invalid(t, name, "spec", "FieldValueInvalid", "Invalid value: malformed spec");
  }
  return std::nullopt;
}

std::size_t annotationBytes(const json& obj) {
  std::size_t n = 0;
  const auto& meta = obj["metadata"];
  if (meta.is_object() && meta.contains("annotations") && meta["annotations"].is_object()) {
    for (const auto& [k, v] : meta["annotations"].items()) {
      n += k.size() + (v.is_string() ? v.get<std::string>().size() : 0);
    }
  }
  return n;
}

// Type checks on the metadata every kind shares (the REST layer owns them, not the schema).
std::optional<http::Response> checkMetadata(const ResourceType& t, const json& obj) {
  const json& meta = obj["metadata"];
  std::string name = metaString(obj, "name");
  for (const char* f : {"labels", "annotations"}) {
    if (!meta.contains(f) || meta[f].is_null()) continue;
    bool ok = meta[f].is_object();
    if (ok) {
      for (const auto& [k, v] : meta[f].items()) ok = ok && v.is_string();
    }
    if (!ok) {
      return invalid(t, name, std::string("metadata.") + f, "FieldValueInvalid",
                     "Invalid value: must be a map of string keys to string values");
    }
  }
  if (meta.contains("finalizers") && !meta["finalizers"].is_null()) {
    bool ok = meta["finalizers"].is_array();
    if (ok) {
      for (const auto& f : meta["finalizers"]) ok = ok && f.is_string();
    }
    if (!ok) {
      return invalid(t, name, "metadata.finalizers", "FieldValueInvalid",
                     "Invalid value: must be a list of strings");
    }
  }
  if (meta.contains("ownerReferences") && !meta["ownerReferences"].is_null()) {
    const json& refs = meta["ownerReferences"];
    if (!refs.is_array()) {
      return invalid(t, name, "metadata.ownerReferences", "FieldValueInvalid",
                     "Invalid value: must be a list");
    }
    int controllers = 0;
    for (std::size_t i = 0; i < refs.size(); ++i) {
      std::string path = "metadata.ownerReferences[" + std::to_string(i) + "]";
      if (!refs[i].is_object()) {
        return invalid(t, name, path, "FieldValueInvalid", "Invalid value: must be an object");
      }
      for (const char* f : {"apiVersion", "kind", "name", "uid"}) {
        if (!refs[i].contains(f) || !refs[i][f].is_string() || refs[i][f] == "") {
          return invalid(t, name, path + "." + f, "FieldValueRequired", "Required value");
        }
      }
      if (refs[i].value("controller", json(false)) == true) ++controllers;
    }
    if (controllers > 1) {
      return invalid(t, name, "metadata.ownerReferences", "FieldValueInvalid",
                     "Invalid value: only one reference can have Controller set to true");
    }
  }
  return std::nullopt;
}

}  // namespace

std::variant<Admitted, http::Response> Rest::admit(const http::Request& req, const Target& t,
                                                   json obj, const json* old) {
  const ResourceType& type = *t.type;
  std::string name = metaString(obj, "name");
  Admitted out;
  if (auto err = checkMetadata(type, obj)) return *err;
  if (annotationBytes(obj) > kMaxAnnotationBytes) {
    return invalid(type, name, "metadata.annotations", "FieldValueTooLong",
                   "Too long: must have at most 262144 bytes");
  }
  if (type.custom) {
    auto it = type.schemas.find(type.storage_version);
    if (type.schemas.count(t.version)) it = type.schemas.find(t.version);
    if (it != type.schemas.end()) {
      applyDefaults(obj, it->second);
      auto pruned = pruneUnknownFields(obj, it->second);
      std::string mode = req.param("fieldValidation").value_or("Warn");
      if (!pruned.empty() && mode == "Strict") {
        return badRequest(strictDecodingMessage(type.kind, t.version, pruned));
      }
      if (mode != "Ignore") {
        for (const auto& p : pruned) out.warnings.push_back(unknownFieldWarning(p));
      }
      auto causes = validateAgainstSchema(obj, it->second);
      if (!causes.empty()) {
        return jsonResponse(422, invalidStatus(type.kind, type.group, name, causes));
      }
    }
  } else if (type.kind == "CustomResourceDefinition") {
    if (auto err = checkCrd(type, obj)) return *err;
    if (!obj["metadata"].contains("deletionTimestamp")) establishCrd(obj);
  }
  applyBuiltinDefaults(type, obj, old);
  out.object = std::move(obj);
  return out;
}

}  // namespace vane::apiserver
