// The pod restarter (Argo rollout/restart.go RolloutPodRestarter): once spec.restartAt has
// passed, the pods of the rollout's ReplicaSets created before it are deleted, stable
// ReplicaSet first, then the new one, then older ones, no more at once than maxUnavailable
// (at least 1) allows given the pods available now; the next reconcile continues. When none
// remain, status.restartedAt = spec.restartAt. The plan is pure; the pods are read from the pod
// cache when Action::kRestartPods is executed.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "controller/context.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace vane::controller {

/// spec.restartAt is set and status.restartedAt is not the same time (Argo's phase check: the
/// phase is Progressing "rollout is restarting" until then, even before restartAt comes).
bool restartPending(const kube::Rollout& rollout, const kube::RolloutStatus& status);

/// Pure; after classifyReplicaSets(). spec.restartAt still ahead: requeue at it. Passed and not
/// yet in status.restartedAt: plans Action::kRestartPods with body
///   {"restartAt": unix s, "replicaSets": [uid, ...] in restart order, "replicas": spec,
///    "totalReplicas": sum of spec.replicas, "maxUnavailable", "minReadySeconds",
///    "stopOnRestart": true for canary (Argo returns from rolloutCanary after restarting pods)}.
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
Result<PodRestartResult> restartPods(const nlohmann::json& body,
                                     const std::vector<nlohmann::json>& pods, int64_t now,
                                     const std::function<Status(const nlohmann::json&)>& evict);

/// Performs Action::kRestartPods for the Reconciler. The pod cache (`pods`, owner index) tells
/// whether any pod of body.replicaSets predates restartAt; if so, restartPods() runs on a fresh
/// list (the rollout's selector; the cache may lag behind the last deletions) and deletes
/// through `client`. Pods still to restart requeue in 30 s; none left sets status.restartedAt
/// (and the phase). Without a pod cache it logs that restarts are off and does nothing.
/// Returns the number of pods deleted.
Result<int32_t> executePodRestart(RolloutContext& ctx, const Action& action, kube::Client& client,
                                  const kube::Informer* pods);

}  // namespace vane::controller
