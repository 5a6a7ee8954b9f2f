// Field ownership (metadata.managedFields, FieldsV1) for server-side apply. Fields are the
// leaves of an object (objects recurse; lists and scalars are atomic leaves), tracked under
// metadata.labels/annotations/finalizers/ownerReferences and every top-level field except
// apiVersion, kind and metadata. Paths are JSON pointers internally ("/spec/replicas").
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace vane::apiserver {

using FieldSet = std::set<std::string>;

FieldSet leafPaths(const nlohmann::json& obj);
nlohmann::json toFieldsV1(const FieldSet& fields);
FieldSet fromFieldsV1(const nlohmann::json& fields_v1);
/// ".spec.replicas" form of a JSON pointer (as in conflict messages).
std::string dottedPath(const std::string& pointer);

/// Records an Update by manager: it takes ownership of the fields that changed from old to
/// updated (all fields on create), which other managers lose. Writes
/// updated.metadata.managedFields.
void recordUpdate(nlohmann::json& updated, const nlohmann::json* old, const std::string& manager,
                  const std::string& api_version, const std::string& subresource);

struct ApplyConflict {
  std::string manager;  // the description: `"kubectl-edit" using argoproj.io/v1alpha1`
  std::string manager_name;
  std::string path;  // dotted
};

struct ApplyOutcome {
  nlohmann::json object;  // the merged object with managedFields (when conflicts is empty)
  std::vector<ApplyConflict> conflicts;
};

/// Server-side apply of config by manager onto live (null for a create).
ApplyOutcome applyConfiguration(const nlohmann::json& live, const nlohmann::json& config,
                                const std::string& manager, const std::string& api_version,
                                bool force);

/// kube-apiserver's conflict message: `Apply failed with 1 conflict: conflict with "m" using v:
/// .a`.
std::string conflictMessage(const std::vector<ApplyConflict>& conflicts);

}  // namespace vane::apiserver
