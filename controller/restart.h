// The pod restarter (Argo rollout/restart.go RolloutPodRestarter): once spec.restartAt has
// passed, the pods of the rollout's ReplicaSets created before it are deleted, stable
// ReplicaSet first, then the new one, then older ones, no more at once than maxUnavailable
// (at least 1) allows given the pods available now; the next reconcile continues. When none
// remain, status.restartedAt = spec.restartAt. The plan is pure (RestartPods, actions.h); the
// Executor deletes the pods and reports how many, and applyPodRestart() turns that report into
// status.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "controller/context.h"

namespace vane::controller {

/// spec.restartAt is set and status.restartedAt is not the same time (Argo's phase check: the
/// phase is Progressing "rollout is restarting" until then, even before restartAt comes).
bool restartPending(const kube::Rollout& rollout, const kube::RolloutStatus& status);

/// Pure; after classifyReplicaSets(). spec.restartAt still ahead: requeue at it. Passed and not
/// yet in status.restartedAt: plans RestartPods (ReplicaSet uids in restart order);
/// stopIfRestarted for canary (Argo returns from rolloutCanary after restarting pods).
void planPodRestart(RolloutContext& ctx);

/// Argo MaxUnavailable: canary fenceposts, blue-green spec.strategy.blueGreen.maxUnavailable
/// (default 25%, rounded down); capped at spec.replicas; 0 when spec.replicas is 0.
int32_t restartMaxUnavailable(const kube::Rollout& rollout);

/// Argo SetRestartedAt: status.restartedAt = spec.restartAt (cleared when unset). The canary and
/// blue-green status resets call it too: a new template restarts every pod anyway.
void setRestartedAt(RolloutContext& ctx);

struct PodRestartResult {
  int32_t restarted = 0;     // pods deleted now
  int32_t needsRestart = 0;  // pods created before restartAt (including those just deleted)
};

/// The pod loop of Reconcile (restart.go): pods in restart order; each created before restartAt
/// needs a restart; while the budget (available - (max(replicas, totalReplicas) - max(1,
/// maxUnavailable))) lasts, pods not already being deleted are handed to evict. kTooManyRequests
/// from evict (a disruption budget) skips the pod; any other error stops with that error.
Result<PodRestartResult> restartPods(const RestartPods& action,
                                     const std::vector<nlohmann::json>& pods, int64_t now,
                                     const std::function<Status(const nlohmann::json&)>& evict);

/// Whether any of `pods` (from the cache) predates action.restartAt: old pods only ever
/// disappear, so none means nothing is left to restart.
bool podsLeftToRestart(const RestartPods& action, const std::vector<nlohmann::json>& pods);

/// The pods of action.replicaSets among `pods`, grouped in that order, by name within.
std::vector<nlohmann::json> inRestartOrder(const RestartPods& action,
                                           const std::vector<nlohmann::json>& pods);

/// Pure: what an executed restart means for the status. Pods still to restart requeue in 30 s;
/// none left sets status.restartedAt (and the phase).
void applyPodRestart(RolloutContext& ctx, const PodRestartResult& result);

}  // namespace vane::controller
