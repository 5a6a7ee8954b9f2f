#include "controller/replica_math.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace vane::controller {

using nlohmann::json;

Result<int32_t> scaledValue(const json& v, int32_t total, bool round_up) {
  if (v.is_number_integer()) return static_cast<int32_t>(v.get<int64_t>());
  if (!v.is_string()) return Status(Code::kInvalid, "expected integer or percentage");
  std::string s = v.get<std::string>();
  if (s.empty() || s.back() != '%' || s.size() > 8) {
    return Status(Code::kInvalid,
                  "invalid value for IntOrString: invalid type: string is not a "
                  "percentage");
  }
  std::string digits = s.substr(0, s.size() - 1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) {
    return Status(Code::kInvalid, "invalid percentage " + s);
  }
  double pct = std::stod(digits);
  double value = pct * total / 100.0;
  return static_cast<int32_t>(round_up ? std::ceil(value) : std::floor(value));
}

Fenceposts resolveFenceposts(const kube::Rollout& rollout) {
  const int32_t replicas = rollout.spec.replicasOrDefault();
  json surge = "25%", unavailable = "25%";
  if (rollout.spec.canary) {
    if (rollout.spec.canary->maxSurge) surge = *rollout.spec.canary->maxSurge;
    if (rollout.spec.canary->maxUnavailable) unavailable = *rollout.spec.canary->maxUnavailable;
  }
  auto s = scaledValue(surge, replicas, true);
  auto u = scaledValue(unavailable, replicas, false);
  Fenceposts f{s ? *s : 0, u ? *u : 0};
  if (f.maxSurge == 0 && f.maxUnavailable == 0) f.maxUnavailable = 1;
  f.maxUnavailable = std::min(f.maxUnavailable, replicas);
  return f;
}

CurrentStep currentStep(const kube::Rollout& rollout) {
  CurrentStep out;
  if (!rollout.spec.canary || rollout.spec.canary->steps.empty()) return out;
  int32_t idx = rollout.status.currentStepIndex.value_or(0);
  out.index = idx;
  const auto& steps = rollout.spec.canary->steps;
  if (idx >= 0 && idx < static_cast<int32_t>(steps.size())) out.step = &steps[idx];
  return out;
}

int32_t maxTrafficWeight(const kube::Rollout& rollout) {
  if (!usesTrafficRouting(rollout)) return 100;
  const nlohmann::json& tr = *rollout.spec.canary->trafficRouting;
  if (!tr.is_object() || !tr.contains("maxTrafficWeight")) return 100;
  const nlohmann::json& m = tr["maxTrafficWeight"];
  return m.is_number_integer() && m.get<int64_t>() > 0 ? static_cast<int32_t>(m.get<int64_t>())
                                                       : 100;
}

bool replicaProgressThresholdMet(const kube::Rollout& rollout, const kube::ReplicaSet* rs,
                                 int32_t desired) {
  const auto* t = rollout.spec.canary && rollout.spec.canary->replicaProgressThreshold
                      ? &*rollout.spec.canary->replicaProgressThreshold
                      : nullptr;
  if (t == nullptr || rs == nullptr || t->value < 0) {
    return rs != nullptr && desired == rs->replicas && desired == rs->status.availableReplicas;
  }
  if (t->type == "Percent") {
    if (desired == 0) return true;
    // Integer form of available/desired*100 >= value (Argo compares floats with an epsilon).
    return static_cast<int64_t>(rs->status.availableReplicas) * 100 >=
           static_cast<int64_t>(t->value) * desired;
  }
  return rs->status.availableReplicas >= t->value;
}

int32_t currentSetWeight(const kube::Rollout& rollout) {
  if (rollout.status.abort) return 0;
  CurrentStep cur = currentStep(rollout);
  if (cur.step == nullptr) return maxTrafficWeight(rollout);
  const auto& steps = rollout.spec.canary->steps;
  for (int32_t i = *cur.index; i >= 0; --i) {
    if (steps[i].setWeight) return *steps[i].setWeight;
  }
  return 0;
}

std::optional<kube::SetCanaryScale> useSetCanaryScale(const kube::Rollout& rollout) {
  CurrentStep cur = currentStep(rollout);
  if (cur.step == nullptr || !usesTrafficRouting(rollout)) return std::nullopt;
  // Aborted: the canary follows the weight back unless abortScaleDownDelaySeconds: 0 keeps it.
  if (rollout.status.abort && rollout.spec.canary->abortScaleDownDelaySeconds.value_or(30) != 0) {
    return std::nullopt;
  }
  const auto& steps = rollout.spec.canary->steps;
  for (int32_t i = *cur.index; i >= 0; --i) {
    if (!steps[i].setCanaryScale) continue;
    if (steps[i].setCanaryScale->matchTrafficWeight) return std::nullopt;
    return steps[i].setCanaryScale;
  }
  return std::nullopt;
}

namespace {

int32_t weightToReplicas(int32_t replicas, int32_t weight, int32_t max_weight) {
  return static_cast<int32_t>(
      std::ceil(static_cast<double>(weight) * replicas / static_cast<double>(max_weight)));
}

}  // namespace

bool explicitAbortScaleDownDelay(const kube::Rollout& rollout) {
  return usesTrafficRouting(rollout) && rollout.spec.canary->abortScaleDownDelaySeconds &&
         *rollout.spec.canary->abortScaleDownDelaySeconds != 0;
}

int32_t desiredCanaryStepWeight(const kube::Rollout& rollout, const kube::ReplicaSet* new_rs,
                                const kube::ReplicaSet* stable_rs) {
  if (!rollout.status.abort || !rollout.spec.canary || !rollout.spec.canary->dynamicStableScale ||
      new_rs == nullptr || stable_rs == nullptr) {
    return currentSetWeight(rollout);
  }
  // Aborted with dynamicStableScale: back down the setWeight steps as the stable ReplicaSet
  // comes up, never all at once (Argo GetDesiredCanaryWeight).
  const int32_t replicas = rollout.spec.replicasOrDefault();
  const int32_t expected = replicas - stable_rs->status.availableReplicas;
  // An explicit abort delay keeps the canary at full size, so its size must not hold the weight.
  const int32_t canary = explicitAbortScaleDownDelay(rollout)
                             ? expected
                             : std::max(expected, new_rs->status.availableReplicas);
  const auto& steps = rollout.spec.canary->steps;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (it->setWeight &&
        weightToReplicas(replicas, *it->setWeight, maxTrafficWeight(rollout)) < canary) {
      return *it->setWeight;
    }
  }
  return 0;
}

ReplicasOrWeight canaryReplicasOrWeight(const kube::Rollout& rollout,
                                        const kube::ReplicaSet* new_rs,
                                        const kube::ReplicaSet* stable_rs) {
  if (rollout.status.promoteFull || rollout.status.stableRS.empty() ||
      rollout.status.currentPodHash == rollout.status.stableRS) {
    return {std::nullopt, maxTrafficWeight(rollout)};
  }
  if (auto scs = useSetCanaryScale(rollout)) {
    if (scs->replicas) return {scs->replicas, 0};
    if (scs->weight) return {std::nullopt, *scs->weight};
  }
  return {std::nullopt, desiredCanaryStepWeight(rollout, new_rs, stable_rs)};
}

namespace {

bool tiedRounding(int32_t weight, int32_t total) {
  double v = static_cast<double>(total) * (static_cast<double>(weight) / 100.0);
  return v - std::floor(v) == 0.5;
}

double weightDelta(int32_t weight, int32_t canary, int32_t total) {
  return std::fabs(static_cast<double>(canary) * 100.0 / total - weight);
}

int32_t sumReplicas(const std::vector<const kube::ReplicaSet*>& rss) {
  int32_t n = 0;
  for (const auto* rs : rss) n += rs ? rs->replicas : 0;
  return n;
}

int32_t availableReplicas(const std::vector<const kube::ReplicaSet*>& rss) {
  int32_t n = 0;
  for (const auto* rs : rss) n += rs ? rs->status.availableReplicas : 0;
  return n;
}

// GetReplicasForScaleDown: spec replicas when availability is ignored or already above spec.
int32_t replicasForScaleDown(const kube::ReplicaSet* rs, bool ignore_availability) {
  if (rs == nullptr) return 0;
  if (rs->replicas < rs->status.availableReplicas || ignore_availability) return rs->replicas;
  return rs->status.availableReplicas;
}

bool stableExists(const kube::ReplicaSet* new_rs, const kube::ReplicaSet* stable_rs) {
  if (stable_rs == nullptr) return false;
  return new_rs == nullptr || new_rs->metadata.name != stable_rs->metadata.name;
}

int32_t scaleDownCount(const kube::ReplicaSet* drain, int32_t desired, int32_t scale_down,
                       int32_t current) {
  if (drain != nullptr && drain->replicas > desired) {
    return std::max(desired, drain->replicas - scale_down);
  }
  return current;
}

// adjustReplicaWithinLimits: keep drain+adjust within maxSurge while giving availability back
// to the adjusted RS when the drained one cannot provide it.
std::pair<int32_t, int32_t> adjustWithinLimits(const kube::ReplicaSet* drain,
                                               const kube::ReplicaSet* adjust, int32_t drain_count,
                                               int32_t adjust_count, int32_t max_allowed,
                                               int32_t min_available) {
  int32_t over = std::max(0, adjust_count + drain_count - max_allowed);
  int32_t available = 0;
  if (drain != nullptr) available += std::min(drain->status.availableReplicas, drain_count);
  if (adjust != nullptr) {
    adjust_count -= over;
    available += std::min(adjust->status.availableReplicas, adjust_count);
    int32_t lost = std::max(0, adjust->status.availableReplicas - adjust_count);
    int32_t needed = std::max(0, min_available - available);
    adjust_count += std::min(lost, needed);
    over = std::max(0, adjust_count + drain_count - max_allowed);
    drain_count -= over;
  }
  return {drain_count, adjust_count};
}

int32_t minPods(const kube::Rollout& rollout, int32_t count) {
  if (count == 0 || !rollout.spec.canary || !rollout.spec.canary->minPodsPerReplicaSet ||
      !usesTrafficRouting(rollout)) {
    return count;
  }
  return std::max(count, *rollout.spec.canary->minPodsPerReplicaSet);
}

}  // namespace

CanaryCounts approximateWeightedCounts(int32_t spec_replicas, int32_t weight, int32_t max_surge) {
  if (spec_replicas == 0) return {0, 0};
  struct Option {
    int32_t canary, total;
  };
  std::vector<Option> options;
  const int32_t ceil_count =
      static_cast<int32_t>(std::ceil(static_cast<double>(spec_replicas * weight) / 100.0));
  const int32_t floor_count =
      static_cast<int32_t>(std::floor(static_cast<double>(spec_replicas * weight) / 100.0));
  const bool tied = tiedRounding(weight, spec_replicas);
  const bool zero_allowed = weight == 100 || weight == 0 || (spec_replicas == 1 && max_surge == 0);
  if (ceil_count < spec_replicas || zero_allowed) options.push_back({ceil_count, spec_replicas});
  if (!tied && (floor_count != 0 || zero_allowed)) options.push_back({floor_count, spec_replicas});
  if (max_surge > 0) {
    options.push_back({ceil_count, spec_replicas + 1});
    if (!tiedRounding(weight, spec_replicas + 1) && (floor_count != 0 || zero_allowed)) {
      options.push_back({floor_count, spec_replicas + 1});
    }
  }
  if (options.empty()) return {0, spec_replicas};
  Option best = options[0];
  double best_delta = weightDelta(weight, best.canary, best.total);
  for (std::size_t i = 1; i < options.size(); ++i) {
    double d = weightDelta(weight, options[i].canary, options[i].total);
    if (d < best_delta) {
      best = options[i];
      best_delta = d;
    }
  }
  return {best.canary, best.total - best.canary};
}

CanaryCounts basicCanaryCounts(const kube::Rollout& rollout, const kube::ReplicaSet* new_rs,
                               const kube::ReplicaSet* stable_rs,
                               const std::vector<const kube::ReplicaSet*>& others) {
  const int32_t replicas = rollout.spec.replicasOrDefault();
  const int32_t weight = canaryReplicasOrWeight(rollout, new_rs, stable_rs).weight;
  const Fenceposts f = resolveFenceposts(rollout);
  CanaryCounts desired = approximateWeightedCounts(replicas, weight, f.maxSurge);

  CanaryCounts out{new_rs ? new_rs->replicas : 0, 0};
  const bool scale_stable = stableExists(new_rs, stable_rs);
  if (scale_stable) {
    out.stable = stable_rs->replicas;
  } else {
    desired = {replicas, 0};
  }
  const int32_t max_allowed = replicas + f.maxSurge;
  int32_t total = sumReplicas(others) + (new_rs ? new_rs->replicas : 0) +
                  (scale_stable ? stable_rs->replicas : 0);
  int32_t scale_up = max_allowed - total;

  if (scale_stable && stable_rs->replicas < desired.stable && scale_up > 0) {
    if (stable_rs->replicas + scale_up < desired.stable) {
      out.stable = stable_rs->replicas + scale_up;
      scale_up = 0;
    } else {
      out.stable = desired.stable;
      scale_up -= desired.stable - stable_rs->replicas;
    }
  }
  if (new_rs != nullptr && new_rs->replicas < desired.canary && scale_up > 0) {
    out.canary = std::min(new_rs->replicas + scale_up, desired.canary);
  }
  // Older ReplicaSets are scaled down first, before the new or stable one.
  if (sumReplicas(others) > 0) return out;

  const int32_t min_available = replicas - f.maxUnavailable;
  const bool increasing = new_rs == nullptr || desired.canary >= new_rs->replicas;
  const int32_t to_scale_down =
      replicasForScaleDown(new_rs, !increasing) +
      replicasForScaleDown(scale_stable ? stable_rs : nullptr, increasing);
  if (to_scale_down <= min_available) return out;
  const int32_t scale_down = to_scale_down - min_available;
  if (!increasing) {
    out.canary = scaleDownCount(new_rs, desired.canary, scale_down, out.canary);
    auto [c, s] = adjustWithinLimits(new_rs, scale_stable ? stable_rs : nullptr, out.canary,
                                     out.stable, max_allowed, min_available);
    out.canary = c;
    out.stable = s;
  } else if (scale_stable) {
    out.stable = scaleDownCount(stable_rs, desired.stable, scale_down, out.stable);
    auto [s, c] =
        adjustWithinLimits(stable_rs, new_rs, out.stable, out.canary, max_allowed, min_available);
    out.stable = s;
    out.canary = c;
  }
  return out;
}

CanaryCounts trafficRoutedCanaryCounts(const kube::Rollout& rollout,
                                       const kube::TrafficWeights* weights,
                                       const kube::ReplicaSet* new_rs,
                                       const kube::ReplicaSet* stable_rs) {
  const int32_t replicas = rollout.spec.replicasOrDefault();
  const int32_t max_weight = maxTrafficWeight(rollout);
  ReplicasOrWeight rw = canaryReplicasOrWeight(rollout, new_rs, stable_rs);
  CanaryCounts out;
  out.canary = rw.replicas ? *rw.replicas
                           : minPods(rollout, weightToReplicas(replicas, rw.weight, max_weight));
  if (!rollout.spec.canary || !rollout.spec.canary->dynamicStableScale) {
    out.stable = replicas;
    return out;
  }
  // The stable ReplicaSet keeps the pods for the higher of its desired and its actual weight;
  // aborted, the canary keeps those for its actual weight: traffic moves first, pods after.
  out.stable = weightToReplicas(replicas, max_weight - rw.weight, max_weight);
  if (weights != nullptr) {
    out.stable =
        std::max(out.stable, weightToReplicas(replicas, weights->stable.weight, max_weight));
    if (rollout.status.abort) {
      out.canary =
          std::max(out.canary, weightToReplicas(replicas, weights->canary.weight, max_weight));
    }
  }
  // An aborted canary never grows: a larger spec.replicas (an HPA) would otherwise scale it up
  // while it takes no new traffic (argo-rollouts #4973).
  if (rollout.status.abort && new_rs != nullptr)
    out.canary = std::min(out.canary, new_rs->replicas);
  return {minPods(rollout, out.canary), minPods(rollout, out.stable)};
}

bool atDesiredReplicaCounts(const kube::Rollout& rollout, const kube::ReplicaSet* new_rs,
                            const kube::ReplicaSet* stable_rs,
                            const std::vector<const kube::ReplicaSet*>& others,
                            const kube::TrafficWeights* weights) {
  const bool routed = usesTrafficRouting(rollout);
  CanaryCounts desired = routed ? trafficRoutedCanaryCounts(rollout, weights, new_rs, stable_rs)
                                : basicCanaryCounts(rollout, new_rs, stable_rs, others);
  if (new_rs == nullptr || desired.canary != new_rs->replicas ||
      !replicaProgressThresholdMet(rollout, new_rs, desired.canary)) {
    return false;
  }
  // With dynamicStableScale the stable ReplicaSet follows the traffic, behind the step: Argo does
  // not wait for it.
  const bool dynamic = routed && rollout.spec.canary->dynamicStableScale;
  if (!dynamic && stableExists(new_rs, stable_rs) &&
      (desired.stable != stable_rs->replicas ||
       desired.stable != stable_rs->status.availableReplicas)) {
    return false;
  }
  // Basic canary: older ReplicaSets still serve traffic, so they must be gone. With a router
  // they get no traffic and may still be scaling down.
  if (!routed && availableReplicas(others) != 0) return false;
  return true;
}

}  // namespace vane::controller
