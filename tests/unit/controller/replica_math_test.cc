#include "controller/replica_math.h"

#include <gtest/gtest.h>

namespace vane::controller {
namespace {

using nlohmann::json;

kube::Rollout rollout(int32_t replicas, json surge, json unavailable, int32_t weight,
                      bool routed = false) {
  kube::Rollout r;
  r.spec.replicas = replicas;
  kube::CanaryStrategy c;
  c.maxSurge = surge;
  c.maxUnavailable = unavailable;
  kube::CanaryStep s;
  s.setWeight = weight;
  c.steps.push_back(s);
  if (routed) c.trafficRouting = json::object();
  r.spec.canary = c;
  r.status.currentStepIndex = 0;
  r.status.currentPodHash = "new";
  r.status.stableRS = "stable";
  return r;
}

kube::ReplicaSet rs(const std::string& name, int32_t replicas, int32_t available) {
  kube::ReplicaSet r;
  r.metadata.name = name;
  r.metadata.labels["rollouts-pod-template-hash"] = name;
  r.replicas = replicas;
  r.status.availableReplicas = available;
  return r;
}

TEST(ScaledValueTest, PercentRounding) {
  EXPECT_EQ(*scaledValue("25%", 5, true), 2);
  EXPECT_EQ(*scaledValue("25%", 5, false), 1);
  EXPECT_EQ(*scaledValue(3, 5, false), 3);
  EXPECT_EQ(*scaledValue("100%", 7, false), 7);
  EXPECT_FALSE(scaledValue("abc", 5, true).ok());
  EXPECT_FALSE(scaledValue(true, 5, true).ok());
}

TEST(FencepostsTest, DefaultsAndZeroCase) {
  kube::Rollout r = rollout(10, nullptr, nullptr, 10);
  r.spec.canary->maxSurge.reset();
  r.spec.canary->maxUnavailable.reset();
  Fenceposts f = resolveFenceposts(r);
  EXPECT_EQ(f.maxSurge, 3);        // ceil(2.5)
  EXPECT_EQ(f.maxUnavailable, 2);  // floor(2.5)
  r.spec.canary->maxSurge = 0;
  r.spec.canary->maxUnavailable = 0;
  EXPECT_EQ(resolveFenceposts(r).maxUnavailable, 1);
  r.spec.canary->maxUnavailable = 50;
  EXPECT_EQ(resolveFenceposts(r).maxUnavailable, 10);  // capped at replicas
}

struct BasicCase {
  int32_t replicas;
  json surge, unavailable;
  int32_t weight, newReplicas, newAvailable, stableReplicas, stableAvailable;
  int32_t wantNew, wantStable;
};

// Cases worked through Argo's CalculateReplicaCountsForBasicCanary (approximated weights).
TEST(BasicCanaryCountsTest, ArgoExamples) {
  const BasicCase cases[] = {
      {10, 1, 1, 10, 0, 0, 10, 10, 1, 9},
      {10, 3, 0, 30, 0, 0, 10, 10, 3, 10},
      {10, 0, 5, 30, 0, 0, 10, 10, 0, 7},
      // 5% of 10 is closer as 1 of 11 (surge) than 1 of 10 (approximateWeighted...).
      {10, 1, 1, 5, 0, 0, 10, 10, 1, 10},
      {1, 1, 0, 5, 0, 0, 1, 1, 1, 1},
      {1, 1, 0, 95, 0, 0, 1, 1, 1, 1},
      {5, "25%", "25%", 20, 0, 0, 5, 5, 1, 4},
      {5, "25%", "25%", 20, 1, 1, 4, 4, 1, 4},
      {5, "25%", "25%", 40, 1, 1, 4, 4, 2, 3},
      {5, "25%", "25%", 80, 3, 3, 2, 2, 4, 1},
      {5, "25%", "25%", 100, 4, 4, 1, 1, 5, 0},
      // Abort (weight 0): canary goes down as stable comes back, within the bounds.
      {5, "25%", "25%", 0, 3, 3, 2, 2, 2, 4},
      {5, "25%", "25%", 0, 1, 1, 4, 4, 0, 5},
  };
  for (const auto& c : cases) {
    kube::Rollout r = rollout(c.replicas, c.surge, c.unavailable, c.weight);
    kube::ReplicaSet n = rs("new", c.newReplicas, c.newAvailable);
    kube::ReplicaSet s = rs("stable", c.stableReplicas, c.stableAvailable);
    CanaryCounts got = basicCanaryCounts(r, &n, &s, {});
    EXPECT_EQ(got, (CanaryCounts{c.wantNew, c.wantStable}))
        << "replicas " << c.replicas << " weight " << c.weight << " got " << got.canary << "/"
        << got.stable;
  }
}

TEST(BasicCanaryCountsTest, OldReplicaSetsScaleDownFirst) {
  kube::Rollout r = rollout(5, 1, 0, 40);
  kube::ReplicaSet n = rs("new", 0, 0), s = rs("stable", 3, 3), old = rs("old", 2, 2);
  CanaryCounts got = basicCanaryCounts(r, &n, &s, {&old});
  EXPECT_EQ(got, (CanaryCounts{1, 3}));  // one surge pod, no scale-down until old is gone
}

TEST(BasicCanaryCountsTest, NoStableGoesStraightToFull) {
  kube::Rollout r = rollout(4, 1, 0, 20);
  kube::ReplicaSet n = rs("new", 0, 0);
  EXPECT_EQ(basicCanaryCounts(r, &n, nullptr, {}), (CanaryCounts{4, 0}));
}

TEST(ApproximateWeightTest, TiesPickLargerCanaryAndNeverZero) {
  EXPECT_EQ(approximateWeightedCounts(3, 50, 0), (CanaryCounts{2, 1}));
  EXPECT_EQ(approximateWeightedCounts(10, 1, 0), (CanaryCounts{1, 9}));
  EXPECT_EQ(approximateWeightedCounts(2, 99, 0), (CanaryCounts{1, 1}));
  EXPECT_EQ(approximateWeightedCounts(0, 50, 1), (CanaryCounts{0, 0}));
  EXPECT_EQ(approximateWeightedCounts(4, 100, 1), (CanaryCounts{4, 0}));
}

TEST(TrafficRoutedCountsTest, WeightSetCanaryScaleMinPodsAndDynamic) {
  kube::Rollout r = rollout(10, 1, 0, 15, true);
  EXPECT_EQ(trafficRoutedCanaryCounts(r, nullptr), (CanaryCounts{2, 10}));
  r.spec.canary->minPodsPerReplicaSet = 3;
  EXPECT_EQ(trafficRoutedCanaryCounts(r, nullptr), (CanaryCounts{3, 10}));
  r.spec.canary->minPodsPerReplicaSet.reset();
  kube::CanaryStep scale;
  scale.setCanaryScale = kube::SetCanaryScale{std::nullopt, 4, false};
  r.spec.canary->steps.push_back(scale);
  r.status.currentStepIndex = 1;
  EXPECT_EQ(trafficRoutedCanaryCounts(r, nullptr), (CanaryCounts{4, 10}));
  r.spec.canary->steps[1].setCanaryScale = kube::SetCanaryScale{50, std::nullopt, false};
  EXPECT_EQ(trafficRoutedCanaryCounts(r, nullptr), (CanaryCounts{5, 10}));
  r.spec.canary->steps[1].setCanaryScale = kube::SetCanaryScale{std::nullopt, std::nullopt, true};
  EXPECT_EQ(trafficRoutedCanaryCounts(r, nullptr), (CanaryCounts{2, 10}));
  // dynamicStableScale: stable follows the higher of desired and actual stable weight.
  r.spec.canary->dynamicStableScale = true;
  kube::TrafficWeights w;
  w.canary.weight = 0;
  w.stable.weight = 100;
  EXPECT_EQ(trafficRoutedCanaryCounts(r, &w), (CanaryCounts{2, 10}));
  w.canary.weight = 15;
  w.stable.weight = 85;
  EXPECT_EQ(trafficRoutedCanaryCounts(r, &w), (CanaryCounts{2, 9}));
  r.status.abort = true;  // weight 0, but canary kept while traffic is still on it
  EXPECT_EQ(trafficRoutedCanaryCounts(r, &w), (CanaryCounts{2, 10}));
}

TEST(SetWeightTest, CurrentWeightAndPromotion) {
  kube::Rollout r = rollout(5, 1, 0, 20);
  kube::CanaryStep pause;
  pause.pause = kube::RolloutPause{};
  r.spec.canary->steps.push_back(pause);
  r.status.currentStepIndex = 1;
  EXPECT_EQ(currentSetWeight(r), 20);
  r.status.currentStepIndex = 2;
  EXPECT_EQ(currentSetWeight(r), 100);
  r.status.currentStepIndex = 1;
  r.status.abort = true;
  EXPECT_EQ(currentSetWeight(r), 0);
  r.status.abort = false;
  r.status.promoteFull = true;
  EXPECT_EQ(canaryReplicasOrWeight(r).weight, 100);
}

TEST(AtDesiredTest, RequiresAvailabilityAndOldGone) {
  kube::Rollout r = rollout(5, "25%", "25%", 20);
  kube::ReplicaSet n = rs("new", 1, 1), s = rs("stable", 4, 4), old = rs("old", 1, 1);
  EXPECT_TRUE(atDesiredReplicaCounts(r, &n, &s, {}, nullptr));
  EXPECT_FALSE(atDesiredReplicaCounts(r, &n, &s, {&old}, nullptr));
  n.status.availableReplicas = 0;
  EXPECT_FALSE(atDesiredReplicaCounts(r, &n, &s, {}, nullptr));
}

}  // namespace
}  // namespace vane::controller

namespace vane::controller {
namespace {

// replicaProgressThreshold (Argo ReplicaProgressThresholdMet): a step counts as reached with
// this share (or number) of its canary pods available.
TEST(ReplicaProgressThresholdTest, PercentAndPods) {
  kube::Rollout r = rollout(10, 1, 0, 50, true);
  kube::ReplicaSet canary = rs("c", 5, 3);
  EXPECT_FALSE(replicaProgressThresholdMet(r, &canary, 5));  // none set: all 5
  r.spec.canary->replicaProgressThreshold = kube::ReplicaProgressThreshold{"Percent", 60};
  EXPECT_TRUE(replicaProgressThresholdMet(r, &canary, 5));
  r.spec.canary->replicaProgressThreshold->value = 61;
  EXPECT_FALSE(replicaProgressThresholdMet(r, &canary, 5));
  EXPECT_TRUE(replicaProgressThresholdMet(r, &canary, 0));
  r.spec.canary->replicaProgressThreshold = kube::ReplicaProgressThreshold{"Pods", 3};
  EXPECT_TRUE(replicaProgressThresholdMet(r, &canary, 5));
  kube::ReplicaSet stable = rs("s", 10, 10);
  r.status.stableRS = "s";
  r.status.currentPodHash = "c";
  EXPECT_TRUE(atDesiredReplicaCounts(r, &canary, &stable, {}, nullptr));
}

// maxTrafficWeight: weights are in its units; counts scale by it and past the last step the
// weight is maxTrafficWeight, not 100.
TEST(MaxTrafficWeightTest, CountsAndWeightsInItsUnits) {
  kube::Rollout r = rollout(10, 1, 0, 250, true);
  r.spec.canary->trafficRouting = json{{"maxTrafficWeight", 1000}};
  r.status.stableRS = "s";
  r.status.currentPodHash = "c";
  EXPECT_EQ(maxTrafficWeight(r), 1000);
  EXPECT_EQ(trafficRoutedCanaryCounts(r, nullptr), (CanaryCounts{3, 10}));  // 25 % of 10
  r.status.currentStepIndex = 1;
  EXPECT_EQ(currentSetWeight(r), 1000);
}

}  // namespace
}  // namespace vane::controller
