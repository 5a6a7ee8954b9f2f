// Revision history and AnalysisRun garbage collection (Argo rollout/sync.go
// reconcileRevisionHistoryLimit, rollout/analysis.go reconcileAnalysisRuns and
// utils/analysis FilterAnalysisRunsToDelete). Pure: each plans DeleteReplicaSet /
// DeleteAnalysisRun and never plans the same deletion twice in one reconcile.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "controller/context.h"

namespace vane::controller {

/// Old ReplicaSets (ctx.otherRSs) beyond spec.revisionHistoryLimit (default 10), oldest first,
/// that are scaled to 0 (spec and status), whose generation is observed and that are not being
/// deleted; with each, the non-current AnalysisRuns of its pod-template hash. Needs
/// classifyReplicaSets() first.
void planRevisionHistory(RolloutContext& ctx);

struct AnalysisRunHistoryLimits {
  int32_t successful = 5;    // spec.analysis.successfulRunHistoryLimit
  int32_t unsuccessful = 5;  // spec.analysis.unsuccessfulRunHistoryLimit
};

/// The pod-template hash of every ReplicaSet of the Rollout (the new one included), mapped to
/// whether that ReplicaSet is being deleted.
std::map<std::string, bool> replicaSetHashes(const RolloutContext& ctx);

/// Names of the non-current AnalysisRuns to delete, as FilterAnalysisRunsToDelete: runs without
/// a pod-template-hash label or whose hash has no ReplicaSet go; of the rest, newest first, the
/// terminal ones beyond the limits (Successful; Failed/Error/Inconclusive) go.
std::vector<std::string> analysisRunsToDelete(const RolloutContext& ctx,
                                              const AnalysisRunHistoryLimits& limits);

/// Plans the deletion of analysisRunsToDelete() with the limits of spec.analysis.
void planAnalysisRunHistory(RolloutContext& ctx);

/// The canary plan's housekeeping after classification (Argo rolloutCanary order): the pod
/// restarter (restart.h), then the revision history, then AnalysisRun history. Blue-green calls
/// planPodRestart(), planRevisionHistory() and planAnalysisRunHistory() at its own places.
void planRestartAndHistory(RolloutContext& ctx);

}  // namespace vane::controller
