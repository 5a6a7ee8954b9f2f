// The blue-green strategy as one pure plan per reconcile (Argo rollout/bluegreen.go
// rolloutBlueGreen): the new ReplicaSet comes up behind the preview Service, pre-promotion
// analysis and the BlueGreenPause gate the switch of the active Service, post-promotion analysis
// gates marking it stable, and the previous active ReplicaSet is kept for scaleDownDelaySeconds.
// Shares the ReplicaSet, analysis, pause and status concerns with the canary plan.
#pragma once

#include "controller/context.h"
#include "controller/service.h"

namespace vane::controller {

/// Plans everything for a blueGreen Rollout (inputs as for planRollout) given the current
/// `rollouts-pod-template-hash` selector of its active and preview Services ("" when the
/// Service has none). Pure: no I/O.
void planBlueGreen(RolloutContext& ctx, const ServiceSelectors& services);

}  // namespace vane::controller
