#include "apiserver/registry.h"

#include <algorithm>
#include <regex>

namespace vane::apiserver {

namespace {

using json = nlohmann::json;

ResourceType builtin(std::string group, std::string version, std::string plural,
                     std::string singular, std::string kind, bool namespaced,
                     std::vector<std::string> short_names, std::vector<std::string> categories) {
  ResourceType t;
  t.group = std::move(group);
  t.versions = {version};
  t.storage_version = version;
  t.plural = std::move(plural);
  t.singular = std::move(singular);
  t.kind = std::move(kind);
  t.list_kind = t.kind + "List";
  t.namespaced = namespaced;
  t.short_names = std::move(short_names);
  t.categories = std::move(categories);
  return t;
}

TypeList builtins() {
  TypeList l;
  auto ns = builtin("", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, {});
  ns.has_status = true;
  l.push_back(ns);
  auto svc = builtin("", "v1", "services", "service", "Service", true, {"svc"}, {"all"});
  svc.has_status = true;
  l.push_back(svc);
  auto pod = builtin("", "v1", "pods", "pod", "Pod", true, {"po"}, {"all"});
  pod.has_status = true;
  l.push_back(pod);
  l.push_back(builtin("", "v1", "secrets", "secret", "Secret", true, {}, {}));
  l.push_back(builtin("", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, {}));
  l.push_back(builtin("", "v1", "events", "event", "Event", true, {"ev"}, {}));
  for (auto [plural, singular, kind, sn] :
       {std::tuple{"deployments", "deployment", "Deployment", "deploy"},
        std::tuple{"replicasets", "replicaset", "ReplicaSet", "rs"}}) {
    auto t = builtin("apps", "v1", plural, singular, kind, true, {sn}, {"all"});
    t.has_status = true;
    t.tracks_generation = true;
    t.scale = ScaleSpec{".spec.replicas", ".status.replicas", ""};
    l.push_back(t);
  }
  auto job = builtin("batch", "v1", "jobs", "job", "Job", true, {}, {"all"});
  job.has_status = true;
  job.tracks_generation = true;
  l.push_back(job);
  l.push_back(builtin("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {}, {}));
  // RBAC objects, read by the authoriser of --authorization-mode RBAC (apiserver/rbac.h).
  for (auto [plural, singular, kind, namespaced] :
       {std::tuple{"roles", "role", "Role", true},
        std::tuple{"clusterroles", "clusterrole", "ClusterRole", false},
        std::tuple{"rolebindings", "rolebinding", "RoleBinding", true},
        std::tuple{"clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false}}) {
    l.push_back(
        builtin("rbac.authorization.k8s.io", "v1", plural, singular, kind, namespaced, {}, {}));
  }
  auto crd =
      builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
              "CustomResourceDefinition", false, {"crd", "crds"}, {});
  crd.has_status = true;
  crd.tracks_generation = true;
  l.push_back(crd);
  return l;
}

std::vector<std::string> stringList(const json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& s : j) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  }
  return out;
}

// (rank, number, minor): GA=3, beta=2, alpha=1, anything else 0.
std::tuple<int, int, int> versionRank(const std::string& v) {
  static const std::regex re(R"(^v(\d+)(?:(alpha|beta)(\d+))?$)");
  std::smatch m;
  if (!std::regex_match(v, m, re)) return {0, 0, 0};
  int major = std::stoi(m[1].str());
  if (!m[2].matched) return {3, major, 0};
  return {m[2].str() == "beta" ? 2 : 1, major, std::stoi(m[3].str())};
}

}  // namespace

bool versionLess(const std::string& a, const std::string& b) {
  auto ra = versionRank(a), rb = versionRank(b);
  if (ra != rb) return ra > rb;  // "less" = sorts first = preferred
  return a < b;
}

bool ResourceType::serves(const std::string& version) const {
  return std::find(versions.begin(), versions.end(), version) != versions.end();
}

std::optional<ResourceType> typeFromCrd(const json& crd) {
  try {
    const auto& spec = crd.at("spec");
    const auto& names = spec.at("names");
    ResourceType t;
    t.custom = true;
    t.tracks_generation = true;
    t.group = spec.at("group").get<std::string>();
    t.plural = names.at("plural").get<std::string>();
    t.kind = names.at("kind").get<std::string>();
    t.singular = names.value("singular", std::string());
    if (t.singular.empty()) {
      t.singular = t.kind;
      std::transform(t.singular.begin(), t.singular.end(), t.singular.begin(), ::tolower);
    }
    t.list_kind = names.value("listKind", t.kind + "List");
    t.short_names = stringList(names.value("shortNames", json::array()));
    t.categories = stringList(names.value("categories", json::array()));
    t.namespaced = spec.value("scope", std::string("Namespaced")) != "Cluster";
    for (const auto& v : spec.at("versions")) {
      std::string name = v.at("name").get<std::string>();
      if (v.value("storage", false)) t.storage_version = name;
      if (!v.value("served", true)) continue;
      t.versions.push_back(name);
      if (v.contains("schema") && v["schema"].contains("openAPIV3Schema")) {
        t.schemas[name] = v["schema"]["openAPIV3Schema"];
      }
      std::vector<Column> cols;
      for (const auto& c : v.value("additionalPrinterColumns", json::array())) {
        Column col;
        col.name = c.value("name", std::string());
        col.type = c.value("type", std::string("string"));
        col.format = c.value("format", std::string());
        col.description = c.value("description", std::string());
        col.json_path = c.value("jsonPath", std::string());
        col.priority = c.value("priority", 0);
        cols.push_back(col);
      }
      t.printer_columns[name] = cols;
      // Subresources are declared per version; the fixtures keep them equal across versions.
      const auto sub = v.value("subresources", json::object());
      if (sub.contains("status")) t.has_status = true;
      if (sub.contains("scale")) {
        ScaleSpec s;
        s.spec_replicas_path = sub["scale"].value("specReplicasPath", s.spec_replicas_path);
        s.status_replicas_path = sub["scale"].value("statusReplicasPath", s.status_replicas_path);
        s.label_selector_path = sub["scale"].value("labelSelectorPath", std::string());
        t.scale = s;
      }
    }
    if (t.versions.empty()) return std::nullopt;
    std::sort(t.versions.begin(), t.versions.end(), versionLess);
    if (t.storage_version.empty()) t.storage_version = t.versions.front();
    return t;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Registry::Registry() { rebuild(); }

std::shared_ptr<const TypeList> Registry::types() const {
  std::lock_guard lock(mu_);
  return types_;
}

uint64_t Registry::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::shared_ptr<const ResourceType> Registry::find(const std::string& group,
                                                   const std::string& version,
                                                   const std::string& plural) const {
  auto list = types();
  for (const auto& t : *list) {
    if (t.group == group && t.plural == plural && t.serves(version)) {
      return std::shared_ptr<const ResourceType>(list, &t);
    }
  }
  return nullptr;
}

std::shared_ptr<const ResourceType> Registry::byKey(const ResourceKey& key) const {
  auto list = types();
  for (const auto& t : *list) {
    if (t.key() == key) return std::shared_ptr<const ResourceType>(list, &t);
  }
  return nullptr;
}

std::shared_ptr<const ResourceType> Registry::byKind(const std::string& api_version,
                                                     const std::string& kind) const {
  auto slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  auto list = types();
  for (const auto& t : *list) {
    if (t.group == group && t.kind == kind) return std::shared_ptr<const ResourceType>(list, &t);
  }
  return nullptr;
}

void Registry::onCrdEvent(const StoreEvent& ev) {
  std::lock_guard lock(mu_);
  std::string name = (*ev.object)["metadata"].value("name", std::string());
  if (ev.type == "DELETED") {
    crds_.erase(name);
  } else {
    crds_[name] = *ev.object;
  }
  rebuild();
}

void Registry::rebuild() {
  auto list = std::make_shared<TypeList>(builtins());
  std::vector<ResourceType> custom;
  for (const auto& [name, crd] : crds_) {
    auto t = typeFromCrd(crd);
    if (t) custom.push_back(std::move(*t));
  }
  std::stable_sort(custom.begin(), custom.end(),
                   [](const ResourceType& a, const ResourceType& b) { return a.group < b.group; });
  for (auto& t : custom) list->push_back(std::move(t));
  types_ = std::move(list);
  ++generation_;
}

}  // namespace vane::apiserver
