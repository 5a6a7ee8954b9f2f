// ReplicaSet concern of the canary reconcile (Argo rollout/replicaset.go, rollout/sync.go):
// finding the new/stable/other ReplicaSets, planning the new one, and scaling.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "controller/context.h"

namespace vane::controller {

/// Sets desiredHash, newRS (by hash label or semantic template equality: adoption), stableRS
/// (status.stableRS) and otherRSs.
void classifyReplicaSets(RolloutContext& ctx);

/// The ReplicaSet object for the rollout's template: name <rollout>-<hash>, hash label in
/// labels/selector/template, revision and desired-replicas annotations, controller ownerRef.
nlohmann::json newReplicaSetObject(const kube::Rollout& rollout, const std::string& hash,
                                   int64_t revision, int32_t replicas);

/// Plans the creation of the new ReplicaSet when none matches the template (replicas 0), plus
/// the revision annotation of the Rollout. newRS then points at the planned object.
void planNewReplicaSet(RolloutContext& ctx);

/// Plans a scale of rs to replicas (and the desired-replicas annotation); returns true when a
/// write was planned. Records ScalingReplicaSet.
bool planScale(RolloutContext& ctx, const kube::ReplicaSet& rs, int32_t replicas);

/// reconcileCanaryReplicaSets: stable, then new, then other ReplicaSets. True when it scaled.
bool planCanaryReplicaSets(RolloutContext& ctx);

/// The ReplicaSet labelled with hash, or null ("" finds nothing).
const kube::ReplicaSet* findByHash(const std::vector<kube::ReplicaSet>& all,
                                   const std::string& hash);

/// isRollbackWithinWindow: the new ReplicaSet is older than the stable one and fewer than
/// spec.rollbackWindow.revisions ReplicaSets were created between them.
bool rollbackWithinWindow(const RolloutContext& ctx);

/// GetScaleDownRevisionLimit: blueGreen's, else canary's scaleDownDelayRevisionLimit, else no
/// limit (INT32_MAX).
int32_t scaleDownRevisionLimit(const kube::Rollout& rollout);

/// annotations.IsSaturated: spec replicas, the desired-replicas annotation and available replicas
/// all equal the rollout's replicas.
bool saturated(const kube::Rollout& rollout, const kube::ReplicaSet& rs);

/// Highest revision annotation among the ReplicaSets (0 when none).
int64_t maxRevision(const RolloutContext& ctx);

}  // namespace vane::controller
