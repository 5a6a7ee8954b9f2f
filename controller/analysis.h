// Analysis concern (Argo rollout/analysis.go): step and background AnalysisRuns are created
// through CreateAnalysisRun (built by the analysis engine's run builder), tracked by
// name in status.canary.current*AnalysisRunStatus, and judged: Failed/Error -> abort with a
// message naming the metric, Inconclusive -> pause InconclusiveAnalysisRun. Stale runs are
// terminated (spec.terminate=true).
#pragma once

#include <optional>
#include <string>

#include "analysis/types.h"
#include "controller/context.h"

namespace vane::controller {

void planAnalysis(RolloutContext& ctx);

/// Blue-green pre- and post-promotion runs (`<ro>-<hash>-<rev>-pre|-post`), tracked in
/// status.blueGreen.*PromotionAnalysisRunStatus: started once the new ReplicaSet is saturated
/// (pre: before the switch; post: after it), judged (Failed/Error -> abort, Inconclusive ->
/// pause). cancelAll (promoted, aborted, promoteFull, fast rollback, initial deploy) terminates
/// every running run and keeps the statuses.
void planBlueGreenAnalysis(RolloutContext& ctx, bool cancelAll);

/// Phase of the blue-green run named in the rollout's status (pre or post) for the desired
/// hash; nullopt when there is none (or it has no phase yet).
std::optional<analysis::Phase> blueGreenRunPhase(const RolloutContext& ctx, bool post);

/// Status message of a finished run, or `Metric "<name>" assessed <Phase>` from its first
/// failed/errored metric when the run carries no message.
std::string analysisRunMessage(const kube::AnalysisRun& run);

}  // namespace vane::controller
