// Traffic-routing concern (Argo rollout/trafficrouting.go): the weight for this moment, in the
// router call order of trafficrouting/router.h. Weight only rises once the canary ReplicaSet is
// at its counts and available (scale first, shift second); on abort it drops to 0 before any
// scale-down is planned (traffic first). While an experiment step's Experiment runs, its weighted
// templates are additional destinations, their weight taken from stable.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "controller/context.h"
#include "trafficrouting/types.h"

namespace vane::controller {

/// The canary weight Argo would set now (0..100).
int32_t desiredCanaryWeight(const RolloutContext& ctx);

/// The managed routes that must exist now (SyncManagedRoutes): those the setHeaderRoute /
/// setMirrorRoute steps up to and including the current one set, in managedRoutes order; none
/// on full promotion, abort, promoteFull, at the install, or while the canary has no available
/// pod.
std::vector<ManagedRouteSpec> desiredManagedRoutes(const RolloutContext& ctx);

/// Plans router actions and records status.canary.weights (with `additional` as Argo writes it).
void planTrafficRouting(RolloutContext& ctx);

}  // namespace vane::controller
