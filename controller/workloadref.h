// spec.workloadRef (Argo rollout/templateref.go, docs/migrating.md): the pod template and the
// selector come from a Deployment (or a ReplicaSet or PodTemplate), its generation is recorded
// in the Rollout annotation rollout.argoproj.io/workload-generation (copied to the new
// ReplicaSet) and in status.workloadObservedGeneration, and scaleDown onsuccess|progressively
// scales the Deployment down as the Rollout takes over (rollout/replicaset.go, sync.go).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "controller/context.h"
#include "kube/client.h"

namespace vane::controller {

/// The resource spec.workloadRef may name (Argo infoByGroupKind): apps Deployment and ReplicaSet,
/// core PodTemplate, in the ref's API version; nullopt for any other kind.
std::optional<kube::Resource> workloadResource(const kube::WorkloadRef& ref);

/// Argo Resolve, pure: ctx.rollout's spec.template (and spec.selector when it has none) taken
/// from `workload` (null: not found), kept in ctx.workload. Returns "" when resolved, else the
/// InvalidSpec message `The Rollout "<name>" is invalid: spec.workloadRef: Invalid value:
/// {"apiVersion":...}: <why>` (template not empty, kind not supported, not found).
std::string resolveWorkloadRef(RolloutContext& ctx, const nlohmann::json* workload);

/// The generation of the resolved workload as Argo records it ("" without workloadRef).
std::string workloadGeneration(const RolloutContext& ctx);

/// After classifyReplicaSets(): the Rollout's workload-generation annotation (set to the
/// workload's generation, removed without workloadRef) and the new ReplicaSet's copy of it.
void planWorkloadGeneration(RolloutContext& ctx);

/// status.workloadObservedGeneration (persistRolloutStatus): the workload's generation when the
/// template came from it, else cleared.
void setWorkloadObservedGeneration(RolloutContext& ctx);

/// scaleDown: progressively (reconcileNewReplicaSet), once the new ReplicaSet of revision 1 was
/// given `new_replicas`: the Deployment goes to 0 when the Rollout is Healthy, else to
/// spec.replicas - status.readyReplicas while the Rollout has ready pods.
void planProgressiveScaleDown(RolloutContext& ctx, int32_t new_replicas);

/// scaleDown: onsuccess (promoteStable): the Deployment goes to 0 once the Rollout of revision 1
/// is Healthy.
void planScaleDownOnSuccess(RolloutContext& ctx);

}  // namespace vane::controller
