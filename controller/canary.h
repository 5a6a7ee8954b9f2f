// The canary strategy as one pure plan per reconcile (Argo rollout/canary.go rolloutCanary):
// reads like a checklist; each concern lives in its own file and adds to the RolloutContext.
#pragma once

#include <string>

#include "controller/context.h"
#include "controller/service.h"

namespace vane::controller {

/// Plans everything for ctx (inputs filled: rollout, allRSs, analysisRuns, now,
/// invalidSpecMessage) given the Services' current hash selectors. Pure: no I/O.
void planRollout(RolloutContext& ctx, const ServiceSelectors& services);

/// completedCurrentCanaryStep.
bool completedCurrentStep(const RolloutContext& ctx);

/// "setWeight: 20", "pause: 30s", "pause", "analysis", ... (rolloututil.CanaryStepString).
std::string stepString(const kube::CanaryStep& step);

}  // namespace vane::controller
