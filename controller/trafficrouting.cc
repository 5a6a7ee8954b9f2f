#include "controller/trafficrouting.h"

#include <algorithm>
#include <cstdlib>

#include "controller/conditions.h"
#include "controller/replica_math.h"
#include "controller/replicaset.h"
#include "controller/rollout_experiment.h"
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

// The Rollout's own rollout.argoproj.io/revision annotation (0 when absent or not a number).
int64_t rolloutRevision(const kube::Rollout& ro) {
  auto it = ro.metadata.annotations.find(kAnnotationRevision);
  if (it == ro.metadata.annotations.end()) return 0;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  return end != it->second.c_str() && *end == '\0' ? v : 0;
}

// checkReplicasAvailable (rollout/trafficrouting.go): the ReplicaSet has the pods for `weight`
// (of maxTrafficWeight) of spec.replicas (integer division), or meets replicaProgressThreshold.
// No ReplicaSet (the first deploy) never has.
bool replicasAvailableFor(const kube::Rollout& ro, const kube::ReplicaSet* rs, int32_t weight) {
  if (rs == nullptr) return false;
  const int32_t desired = weight * ro.spec.replicasOrDefault() / maxTrafficWeight(ro);
  return rs->status.availableReplicas >= desired || replicaProgressThresholdMet(ro, rs, desired);
}

// The routers take percentages: a weight in maxTrafficWeight units is scaled to 0..100, a canary
// with some traffic keeping at least 1 % and one without all of it at most 99 %.
int32_t routerWeight(int32_t weight, int32_t max_weight) {
  if (max_weight == 100 || weight <= 0) return std::max(weight, 0);
  if (weight >= max_weight) return 100;
  const int32_t pct = static_cast<int32_t>((int64_t{weight} * 100 + max_weight / 2) / max_weight);
  return std::clamp(pct, 1, 99);
}

// IsDynamicallyRollingBackToStable (utils/rollout): with dynamicStableScale, the template went
// back to the stable one while the weights still send traffic to the previous canary, and the
// stable ReplicaSet is not yet back to full size. Returns that canary's hash ("" otherwise).
std::string dynamicRollbackCanary(const RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (!fullyPromoted(ctx) || !ro.spec.canary->dynamicStableScale || ctx.newRS == nullptr) return "";
  const auto& w = ro.status.canary.weights;
  if (!w || w->canary.podTemplateHash == ctx.newRS->podTemplateHash()) return "";
  if (ctx.newRS->status.availableReplicas >= ro.spec.replicasOrDefault()) return "";
  return w->canary.podTemplateHash;
}

// calculateDesiredWeightOnAbortOrStableRollback: without dynamicStableScale at once 0; with it,
// the weight steps back only as far as the stable ReplicaSet's available pods can carry, and
// never rises again.
int32_t weightOnAbortOrRollback(const RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  const int32_t replicas = ro.spec.replicasOrDefault();
  if (!ro.spec.canary->dynamicStableScale || ctx.stableRS == nullptr || ctx.newRS == nullptr ||
      replicas == 0) {
    return 0;
  }
  const int32_t max = maxTrafficWeight(ro);
  const int32_t step = desiredCanaryStepWeight(ro, ctx.newRS, ctx.stableRS);
  const int32_t stable_weight = max * ctx.stableRS->status.availableReplicas / replicas;
  const int32_t expected = std::max(0, max - stable_weight);
  const auto& w = ro.status.canary.weights;
  if (!w) return std::max(expected, step);
  const int32_t current = w->canary.weight;
  if (step <= 0) return std::min(expected, current);
  if (stable_weight < max - step) return current;  // stable still scaling up
  return std::min(step, current);
}

// shouldDelayDestinationRuleUpdate (rollout/trafficrouting/istio/istio.go, argo-rollouts #2507):
// in subset mode without canary/stable Services, a DestinationRule subset only moves onto a
// ReplicaSet that is fully available. ReplicaSets scaled to 0 do not count, nor the canary while
// aborting (traffic is leaving it).
bool delayDestinationRule(const RolloutContext& ctx, bool aborted) {
  const auto& c = *ctx.rollout.spec.canary;
  const auto& istio = c.trafficRouting->value("istio", nlohmann::json());
  if (!istio.is_object() || !istio.contains("destinationRule")) return false;
  if (!c.canaryService.empty() || !c.stableService.empty()) return false;
  for (const kube::ReplicaSet* rs : {ctx.newRS, ctx.stableRS}) {
    if (rs == nullptr || rs->replicas == 0) continue;
    if (aborted && rs == ctx.newRS && rs != ctx.stableRS) continue;
    if (!replicaSetFullyAvailable(*rs)) return true;
  }
  return false;
}

// The branches of reconcileTrafficRouting that add calculateWeightDestinationsFromExperiment:
// an unavailable canary, or a step before the last (reached or not), never a promotion or abort.
bool routesToExperiment(const RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (fullyPromoted(ctx) || ctx.isAborted()) return false;
  if (ctx.newRS == nullptr || ctx.newRS->status.availableReplicas == 0) return true;
  if (ro.status.promoteFull) return false;
  CurrentStep cur = currentStep(ro);
  if (!cur.index) return false;
  const auto& w = ro.status.canary.weights;
  const bool at_desired =
      atDesiredReplicaCounts(ro, ctx.newRS, ctx.stableRS, ctx.otherRSs, w ? &*w : nullptr);
  return !at_desired || *cur.index != static_cast<int32_t>(ro.spec.canary->steps.size());
}

// The managed routes the steps up to and including the current one set, by name (a later step
// of the same name replaces the route; one without a match removes it), in managedRoutes order
// (names outside it after, in step order; validation rejects them).
std::vector<ManagedRouteSpec> routesOfSteps(const kube::Rollout& ro, int32_t through) {
  const auto& c = *ro.spec.canary;
  std::vector<std::pair<std::string, ManagedRouteSpec>> set;  // in step order
  const int32_t n = std::min<int32_t>(through + 1, static_cast<int32_t>(c.steps.size()));
  for (int32_t i = 0; i < n; ++i) {
    const kube::CanaryStep& step = c.steps[i];
    const bool mirror = !step.setHeaderRoute && step.setMirrorRoute;
    const auto& body = mirror ? step.setMirrorRoute : step.setHeaderRoute;
    if (!body || !body->is_object()) continue;
    const std::string name = body->value("name", "");
    set.erase(
        std::remove_if(set.begin(), set.end(), [&](const auto& e) { return e.first == name; }),
        set.end());
    const auto match = body->find("match");
    if (match == body->end() || !match->is_array() || match->empty()) continue;
    const std::string path = "spec.strategy.canary.steps[" + std::to_string(i) + "]" +
                             (mirror ? ".setMirrorRoute" : ".setHeaderRoute");
    set.emplace_back(name, ManagedRouteSpec{mirror, *body, path});
  }
  const auto rank = [&](const std::string& name) {
    auto it = std::find(c.managedRoutes.begin(), c.managedRoutes.end(), name);
    return it - c.managedRoutes.begin();
  };
  std::stable_sort(set.begin(), set.end(),
                   [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
  std::vector<ManagedRouteSpec> out;
  for (auto& [_, spec] : set) out.push_back(std::move(spec));
  return out;
}

bool hasRouteSteps(const kube::Rollout& ro) {
  for (const kube::CanaryStep& s : ro.spec.canary->steps) {
    if (s.setHeaderRoute || s.setMirrorRoute) return true;
  }
  return false;
}

nlohmann::json destinationJson(const kube::WeightDestination& d) {
  nlohmann::json j = {{"weight", d.weight}};
  if (!d.serviceName.empty()) j["serviceName"] = d.serviceName;
  if (!d.podTemplateHash.empty()) j["podTemplateHash"] = d.podTemplateHash;
  return j;
}

// Go's %v of []WeightDestination, as trafficWeightUpdatedMessage prints it: [{10 svc hash}].
std::string destinationsText(const nlohmann::json& additional) {
  std::string out = "[";
  for (const auto& d : additional) {
    if (out.size() > 1) out += " ";
    out += format("{%d %s %s}", d.value("weight", 0), d.value("serviceName", "").c_str(),
                  d.value("podTemplateHash", "").c_str());
  }
  return out + "]";
}
}  // namespace

int32_t desiredCanaryWeight(const RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (!usesTrafficRouting(ro)) return 0;
  if (!dynamicRollbackCanary(ctx).empty()) return weightOnAbortOrRollback(ctx);
  if (fullyPromoted(ctx)) return 0;
  if (ctx.isAborted()) return weightOnAbortOrRollback(ctx);
  if (ctx.newRS == nullptr || ctx.newRS->status.availableReplicas == 0) return 0;
  const auto& w = ro.status.canary.weights;
  // promoteFull holds the current weight while the canary scales up (Argo branch 5).
  if (ro.status.promoteFull) return w ? w->canary.weight : 0;
  CurrentStep cur = currentStep(ro);
  if (!cur.index) return 0;
  const bool at_desired =
      atDesiredReplicaCounts(ro, ctx.newRS, ctx.stableRS, ctx.otherRSs, w ? &*w : nullptr);
  if (!at_desired) return previousSetWeight(ro, *cur.index);
  if (*cur.index != static_cast<int32_t>(ro.spec.canary->steps.size())) {
    return currentSetWeight(ro);
  }
  return maxTrafficWeight(ro);
}

std::vector<ManagedRouteSpec> desiredManagedRoutes(const RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (!usesTrafficRouting(ro)) return {};
  if (fullyPromoted(ctx) || ctx.isAborted() || ro.status.promoteFull) return {};
  // Held out while the canary has no pod to answer, restored as soon as it has one.
  if (ctx.newRS == nullptr || ctx.newRS->status.availableReplicas == 0) return {};
  // Revision 1 is the install: Argo runs no route step then. A ReplicaSet created in this
  // reconcile already carries the revision the Rollout is annotated with.
  int64_t revision = rolloutRevision(ro);
  revision = std::max(revision, ctx.newRS->revision().value_or(0));
  if (revision <= 1) return {};
  CurrentStep cur = currentStep(ro);
  if (!cur.index) return {};
  return routesOfSteps(ro, *cur.index);
}

void planTrafficRouting(RolloutContext& ctx) {
  const kube::Rollout& ro = ctx.rollout;
  if (!usesTrafficRouting(ro)) return;
  const auto& c = *ro.spec.canary;
  const bool aborted = ctx.isAborted();
  const int32_t desired = desiredCanaryWeight(ctx);
  const bool canary_unavailable = ctx.newRS == nullptr || ctx.newRS->status.availableReplicas == 0;
  // (Vane) Managed routes are desired state, synced first on every reconcile and before the
  // availability guard below. Argo sets a step's route only while sitting on that step and
  // removes every route whenever the canary is unavailable, so a route removed then is never
  // re-added (argo-rollouts #4486, #4716), and skips the route step entirely while the stable
  // ReplicaSet is short of pods (#4561).
  if (!c.managedRoutes.empty() || hasRouteSteps(ro)) {
    ctx.actions.push_back(SyncManagedRoutes{desiredManagedRoutes(ctx)});
  }
  const int32_t max_weight = maxTrafficWeight(ro);
  // The stable ReplicaSet must carry what the canary does not (none yet at the first deploy).
  if (!replicasAvailableFor(ro, ctx.stableRS, max_weight - desired)) return;
  nlohmann::json additional = nlohmann::json::array();
  std::vector<trafficrouting::WeightDestination> routed;  // the same, for the routers
  int32_t additional_sum = 0;
  if (routesToExperiment(ctx)) {
    for (const auto& d : experimentWeightDestinations(ctx)) {
      additional.push_back(destinationJson(d));
      routed.push_back({d.weight, d.serviceName, d.podTemplateHash});
      additional_sum += d.weight;
    }
  }
  // Rolling back to stable with dynamicStableScale, the weight stays with the previous canary
  // until stable is back to full size (argo-rollouts #3020).
  const std::string rollback_canary = dynamicRollbackCanary(ctx);
  const std::string canary_hash = !rollback_canary.empty() ? rollback_canary
                                  : ctx.newRS              ? ctx.newRS->podTemplateHash()
                                                           : ctx.desiredHash;
  const kube::ReplicaSet* canary_rs =
      !rollback_canary.empty() ? findByHash(ctx.allRSs, rollback_canary) : ctx.newRS;
  const std::string stable_hash = ctx.stableRS->podTemplateHash();
  const auto& prev = ro.status.canary.weights;
  // A canary without pods loses its weight before the subsets move (argo-rollouts #4775).
  if (canary_unavailable && prev && prev->canary.weight > 0) {
    ctx.actions.push_back(SetWeight{routerWeight(desired, max_weight), routed});
  }
  // Only move traffic onto ReplicaSets that can take it (router.h call order).
  if (desired > 0 && (canary_rs == nullptr || !replicaSetFullyAvailable(*canary_rs))) return;
  if (delayDestinationRule(ctx, aborted || !rollback_canary.empty())) return;
  ctx.actions.push_back(UpdateHash{canary_hash, stable_hash, routed});
  ctx.actions.push_back(SetWeight{desired, routed});
  // calculateWeightStatus: the additional weights come out of stable's share.
  kube::TrafficWeights w;
  w.canary = {desired, c.canaryService, canary_hash};
  w.stable = {max_weight - desired - additional_sum, c.stableService, stable_hash};
  if (!additional.empty()) w.additional = additional;
  const nlohmann::json prev_additional =
      prev && prev->additional.is_array() ? prev->additional : nlohmann::json::array();
  // calculateWeightStatus / trafficWeightUpdatedMessage: an event whenever the weights change.
  const auto same = [](const kube::WeightDestination& a, const kube::WeightDestination& b) {
    return a.weight == b.weight && a.serviceName == b.serviceName &&
           a.podTemplateHash == b.podTemplateHash;
  };
  if (!prev || !same(prev->canary, w.canary) || !same(prev->stable, w.stable) ||
      prev_additional != additional) {
    std::string detail;
    if (!prev) {
      detail = format("to %d", desired);
    } else if (prev->canary.weight != desired) {
      detail = format("from %d to %d", prev->canary.weight, desired);
    }
    if (prev && prev_additional != additional) {
      detail += (detail.empty() ? "" : ", ") + std::string("additional: ") +
                (additional.empty() ? "[]" : destinationsText(additional));
    }
    ctx.event("Normal", kEventTrafficWeightUpdated, "Traffic weight updated " + detail);
  }
  // Argo's Istio VerifyWeight answers nil (not applicable): verified stays unset.
  ctx.newStatus.canary.weights = w;
}

}  // namespace vane::controller
