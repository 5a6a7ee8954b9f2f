// Strategic merge patch (application/strategic-merge-patch+json) for the built-in kinds the local
// server serves: Pod, Service, ReplicaSet, Deployment, ConfigMap, Secret, Namespace, Event, Lease,
// Job. Merge keys and strategies mirror the patchMergeKey/patchStrategy tags of the k8s.io/api Go
// types (v0.32). Supports `$patch: replace|delete|merge`, `$retainKeys`,
// `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`, null deletes a key; lists
// without a merge key are replaced whole.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "kube/status.h"

namespace vane::apiserver {

/// True when the local server knows the SMP schema of this kind (else the REST layer answers 415).
bool supportsStrategicMerge(const std::string& apiVersion, const std::string& kind);

/// Applies patch to original and returns the result. Errors: kBadRequest for a patch that is not
/// an object or has malformed directives (e.g. `$patch: delete` element without its merge key),
/// kUnsupported for a kind without SMP support. Pure function, never throws.
Result<nlohmann::json> strategicMergePatch(const nlohmann::json& original,
                                           const nlohmann::json& patch,
                                           const std::string& apiVersion, const std::string& kind);

}  // namespace vane::apiserver
