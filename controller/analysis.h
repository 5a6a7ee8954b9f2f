// Analysis concern (Argo rollout/analysis.go): step and background AnalysisRuns are created
// through Action::kCreateAnalysisRun (built by the analysis engine's run builder), tracked by
// name in status.canary.current*AnalysisRunStatus, and judged: Failed/Error -> abort with a
// message naming the metric, Inconclusive -> pause InconclusiveAnalysisRun. Stale runs are
// terminated (spec.terminate=true).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "controller/context.h"

namespace vane::controller {

void planAnalysis(RolloutContext& ctx);

/// Status message of a finished run, or `Metric "<name>" assessed <Phase>` from its first
/// failed/errored metric when the run carries no message.
std::string analysisRunMessage(const nlohmann::json& run);

}  // namespace vane::controller
