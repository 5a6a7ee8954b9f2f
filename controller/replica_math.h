// Canary replica arithmetic, mirroring Argo's utils/replicaset/canary.go and replicaset.go:
// maxSurge/maxUnavailable resolution, the basic (replica-weighted) canary counts bounded by
// surge and availability, and the traffic-routed counts (setCanaryScale, dynamicStableScale,
// minPodsPerReplicaSet). Pure functions over in-memory objects.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "kube/status.h"
#include "kube/types.h"

namespace vane::controller {

/// An int-or-percent ("25%") scaled against total; percentages round up when round_up.
Result<int32_t> scaledValue(const nlohmann::json& int_or_percent, int32_t total, bool round_up);

struct Fenceposts {
  int32_t maxSurge = 0, maxUnavailable = 0;
};
/// Argo's resolveFenceposts for the canary strategy (defaults 25%/25%; both 0 -> unavailable 1;
/// unavailable capped at replicas). Unparsable values resolve as 0.
Fenceposts resolveFenceposts(const kube::Rollout& rollout);

/// The current step and its index; step is null past the last step or without steps, index is
/// nullopt without steps.
struct CurrentStep {
  const kube::CanaryStep* step = nullptr;
  std::optional<int32_t> index;
};
CurrentStep currentStep(const kube::Rollout& rollout);

/// trafficRouting.maxTrafficWeight (default 100): the unit of every weight, status and steps.
int32_t maxTrafficWeight(const kube::Rollout& rollout);

/// ReplicaProgressThresholdMet: rs is available enough for `desired` pods. Without
/// spec.strategy.canary.replicaProgressThreshold, all desired pods exist and are available;
/// "Percent": available >= value% of desired (desired 0 always meets it); "Pods": available >=
/// value.
bool replicaProgressThresholdMet(const kube::Rollout& rollout, const kube::ReplicaSet* rs,
                                 int32_t desired);

/// abortScaleDownDelaySeconds is set, not 0, with traffic routing (HasExplicitAbortScaleDownDelay).
bool explicitAbortScaleDownDelay(const kube::Rollout& rollout);

/// GetCurrentSetWeight: 0 when aborted, maxTrafficWeight past the last step, else the last
/// setWeight at or before the current step (0 if none).
int32_t currentSetWeight(const kube::Rollout& rollout);
/// UseSetCanaryScale: only with traffic routing; the last setCanaryScale at or before the current
/// step unless it is matchTrafficWeight.
std::optional<kube::SetCanaryScale> useSetCanaryScale(const kube::Rollout& rollout);

struct ReplicasOrWeight {
  std::optional<int32_t> replicas;
  int32_t weight = 0;
};
/// GetDesiredCanaryWeight: currentSetWeight, except aborted with dynamicStableScale: the largest
/// setWeight whose pods are fewer than the canary still needs (spec.replicas minus available
/// stable pods, or the canary's available pods when more), else 0.
int32_t desiredCanaryStepWeight(const kube::Rollout& rollout, const kube::ReplicaSet* new_rs,
                                const kube::ReplicaSet* stable_rs);

/// GetCanaryReplicasOrWeight: maxTrafficWeight when promoteFull, without a stable ReplicaSet, or
/// when the current pod hash is stable.
ReplicasOrWeight canaryReplicasOrWeight(const kube::Rollout& rollout,
                                        const kube::ReplicaSet* new_rs = nullptr,
                                        const kube::ReplicaSet* stable_rs = nullptr);

struct CanaryCounts {
  int32_t canary = 0, stable = 0;
  bool operator==(const CanaryCounts&) const = default;
};

/// Closest canary/stable split for a weight (total replicas or replicas+1 when surge allowed).
CanaryCounts approximateWeightedCounts(int32_t spec_replicas, int32_t weight, int32_t max_surge);

/// CalculateReplicaCountsForBasicCanary: next counts for the new and stable RS, stable first on
/// the way up, bounded by maxSurge and maxUnavailable. stable may equal new_rs (same name).
CanaryCounts basicCanaryCounts(const kube::Rollout& rollout, const kube::ReplicaSet* new_rs,
                               const kube::ReplicaSet* stable_rs,
                               const std::vector<const kube::ReplicaSet*>& others);

/// CalculateReplicaCountsForTrafficRoutedCanary; weights are the last ones written to the router.
/// An aborted canary never gets more replicas than new_rs has.
CanaryCounts trafficRoutedCanaryCounts(const kube::Rollout& rollout,
                                       const kube::TrafficWeights* weights,
                                       const kube::ReplicaSet* new_rs = nullptr,
                                       const kube::ReplicaSet* stable_rs = nullptr);

/// AtDesiredReplicaCountsForCanary: the new RS (and stable, and others for basic canary) have
/// reached and made available the counts of this step.
bool atDesiredReplicaCounts(const kube::Rollout& rollout, const kube::ReplicaSet* new_rs,
                            const kube::ReplicaSet* stable_rs,
                            const std::vector<const kube::ReplicaSet*>& others,
                            const kube::TrafficWeights* weights);

inline bool usesTrafficRouting(const kube::Rollout& r) {
  return r.spec.canary && r.spec.canary->trafficRouting.has_value();
}

}  // namespace vane::controller
