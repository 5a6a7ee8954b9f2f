#include "controller/trafficrouting.h"

#include "controller/conditions.h"
#include "controller/replica_math.h"
#include "controller/service.h"

namespace vane::controller {

namespace {
bool fullyPromoted(const RolloutContext& ctx) {
  return !ctx.rollout.status.stableRS.empty() && ctx.rollout.status.stableRS == ctx.desiredHash;
}

int32_t previousSetWeight(const kube::Rollout& ro, int32_t index) {
  for (int32_t i = index - 1; i >= 0; --i) {
    if (ro.spec.canary->steps[i].setWeight) return *ro.spec.canary->steps[i].setWeight;
  }
  return 0;
}
}  // namespace

int32_t desiredCanaryWeight(const RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (fullyPromoted(ctx) || ctx.isAborted()) return 0;
  if (ctx.newRS == nullptr || ctx.newRS->status.availableReplicas == 0) return 0;
  CurrentStep cur = currentStep(ro);
  if (!cur.index) return 0;
  const auto& w = ro.status.canary.weights;
  const bool at_desired =
      atDesiredReplicaCounts(ro, ctx.newRS, ctx.stableRS, ctx.otherRSs, w ? &*w : nullptr);
  if (!at_desired && !ro.status.promoteFull) return previousSetWeight(ro, *cur.index);
  if (*cur.index != static_cast<int32_t>(ro.spec.canary->steps.size())) {
    return currentSetWeight(ro);
  }
  return 100;
}

void planTrafficRouting(RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (!usesTrafficRouting(ro)) return;
  const auto& c = *ro.spec.canary;
  const bool aborted = ctx.isAborted();
  const bool promoted = fullyPromoted(ctx);
  const int32_t desired = desiredCanaryWeight(ctx);
  CurrentStep cur = currentStep(ro);
  if (cur.step != nullptr && !aborted && !promoted) {
    const std::string path = "spec.strategy.canary.steps[" + std::to_string(*cur.index) + "]";
    if (cur.step->setHeaderRoute) {
      ctx.actions.push_back({Action::Kind::kSetHeaderRoute, "", 0, *cur.step->setHeaderRoute,
                             path + ".setHeaderRoute"});
    }
    if (cur.step->setMirrorRoute) {
      ctx.actions.push_back({Action::Kind::kSetMirrorRoute, "", 0, *cur.step->setMirrorRoute,
                             path + ".setMirrorRoute"});
    }
  }
  const bool canary_unavailable = ctx.newRS == nullptr || ctx.newRS->status.availableReplicas == 0;
  if (aborted || promoted || ro.status.promoteFull || canary_unavailable) {
    ctx.actions.push_back({Action::Kind::kRemoveManagedRoutes});
  }
  const std::string canary_hash = ctx.newRS ? ctx.newRS->podTemplateHash() : ctx.desiredHash;
  const std::string stable_hash = ctx.stableRS ? ctx.stableRS->podTemplateHash() : canary_hash;
  // Only move traffic onto ReplicaSets that can take it (router.h call order, #4775).
  if (desired > 0 && (ctx.newRS == nullptr || !replicaSetFullyAvailable(*ctx.newRS))) return;
  if (desired < 100 && ctx.stableRS != nullptr && ctx.stableRS->status.availableReplicas == 0) {
    return;
  }
  const auto& prev = ro.status.canary.weights;
  if (prev && prev->canary.weight > 0 && prev->canary.podTemplateHash != canary_hash) {
    ctx.actions.push_back({Action::Kind::kSetWeight, "", 0});
  }
  ctx.actions.push_back({Action::Kind::kUpdateHash, "", 0,
                         nlohmann::json{{"canary", canary_hash}, {"stable", stable_hash}}});
  ctx.actions.push_back({Action::Kind::kSetWeight, "", desired});
  kube::TrafficWeights w;
  w.canary = {desired, c.canaryService, canary_hash};
  w.stable = {100 - desired, c.stableService, stable_hash};
  if (!prev || prev->canary.weight != desired) {
    ctx.event(
        "Normal", kEventTrafficWeightUpdated,
        format("Traffic weight updated from %d to %d", prev ? prev->canary.weight : 0, desired));
  }
  ctx.newStatus.canary.weights = w;
}

}  // namespace vane::controller
