// Service concern (Argo rollout/service.go): canary and stable Service selectors carry the
// pod-template hash of the ReplicaSet they should reach, switched only to a fully available RS.
#pragma once

#include <map>
#include <string>

#include "controller/context.h"

namespace vane::controller {

/// Current `rollouts-pod-template-hash` selector of each referenced Service (by name).
using ServiceSelectors = std::map<std::string, std::string>;

/// Plans selector patches: stable Service -> stable RS; canary Service -> new RS (stable RS
/// while aborted). A switch waits until the target RS is fully available.
void planServices(RolloutContext& ctx, const ServiceSelectors& current);

/// available >= spec replicas and spec replicas > 0.
bool replicaSetFullyAvailable(const kube::ReplicaSet& rs);

}  // namespace vane::controller
