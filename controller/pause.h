// Pause and abort intents (Argo rollout/pause.go): collected during a reconcile, applied once
// to the new status. Pause timing lives in status.pauseConditions[].startTime.
#pragma once

#include "controller/context.h"

namespace vane::controller {

/// Applies ctx.pause to ctx.newStatus: abort/abortedAt, pauseConditions, controllerPause.
void calculatePauseStatus(RolloutContext& ctx);

/// reconcileCanaryPause: on a pause step, adds CanaryPauseStep (unless the user already resumed
/// it: controllerPause with no condition) and requeues at the end of a timed pause.
void planCanaryPause(RolloutContext& ctx);

/// CompletedCanaryPauseStep: the user resumed, or the duration elapsed since startTime.
bool completedPauseStep(const RolloutContext& ctx, const kube::RolloutPause& pause);

}  // namespace vane::controller
