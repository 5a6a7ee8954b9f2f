// The resource types the local API server serves: the built-ins, plus one type per established
// CustomResourceDefinition. Kept current from the store's CRD events; readers take an immutable
// snapshot.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "apiserver/store.h"

namespace vane::apiserver {

struct Column {
  std::string name, type, format, description, json_path;
  int priority = 0;
};

struct ScaleSpec {
  std::string spec_replicas_path = ".spec.replicas";
  std::string status_replicas_path = ".status.replicas";
  std::string label_selector_path;  // empty: none
};

struct ResourceType {
  std::string group;  // "" for core
  std::string plural, singular, kind, list_kind;
  std::vector<std::string> versions;  // served versions, preferred first
  std::string storage_version;
  bool namespaced = true;
  std::vector<std::string> short_names, categories;
  bool has_status = false;
  std::optional<ScaleSpec> scale;
  bool custom = false;  // a CRD-defined type (merge/JSON patch only, schema validation)
  bool tracks_generation = false;
  std::map<std::string, nlohmann::json> schemas;               // version -> openAPIV3Schema
  std::map<std::string, std::vector<Column>> printer_columns;  // version -> CRD columns

  ResourceKey key() const { return (group.empty() ? "core" : group) + "/" + plural; }
  /// "rollouts.argoproj.io", "pods"
  std::string qualified() const { return group.empty() ? plural : plural + "." + group; }
  std::string groupVersion(const std::string& version) const {
    return group.empty() ? version : group + "/" + version;
  }
  bool serves(const std::string& version) const;
};

using TypeList = std::vector<ResourceType>;

class Registry {
 public:
  Registry();
  /// Current set of types (built-ins first, then custom types ordered by group).
  std::shared_ptr<const TypeList> types() const;
  /// The type serving (group, version, plural), or nullptr.
  std::shared_ptr<const ResourceType> find(const std::string& group, const std::string& version,
                                           const std::string& plural) const;
  /// The type for a store key ("argoproj.io/rollouts"), or nullptr.
  std::shared_ptr<const ResourceType> byKey(const ResourceKey& key) const;
  /// Type for apiVersion + kind (owner references), or nullptr.
  std::shared_ptr<const ResourceType> byKind(const std::string& api_version,
                                             const std::string& kind) const;
  /// Applies a CRD store event (call from the store watch). Thread-safe.
  void onCrdEvent(const StoreEvent& ev);
  /// Monotonic counter bumped on every change (for OpenAPI hashes).
  uint64_t generation() const;

 private:
  void rebuild();  // mu_ held
  mutable std::mutex mu_;
  std::map<std::string, nlohmann::json> crds_;
  std::shared_ptr<const TypeList> types_;
  uint64_t generation_ = 0;
};

/// Builds the type a CRD defines; nullopt when the CRD is malformed.
std::optional<ResourceType> typeFromCrd(const nlohmann::json& crd);
/// Kube-aware version order: GA > beta > alpha, higher number first.
bool versionLess(const std::string& a, const std::string& b);

}  // namespace vane::apiserver
