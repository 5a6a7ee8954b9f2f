// dynamicStableScale on abort and on rollback to stable (issue 15 item 3), after Argo's
// TestCanaryDynamicStableScale, TestCanaryDynamicStableScaleAbortScaleDownDelay and
// TestCanaryDynamicStableScaleRollbackToStable: traffic steps back only as far as the stable
// pods can carry, the canary Service and the canary's pods stay until no weight is left on them,
// and a ReplicaSet that still takes traffic is never scaled down.
#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::World;

World dynamicWorld(json extra = json::object()) {
  json canary = json::parse(R"({"dynamicStableScale": true,
      "canaryService": "canary", "stableService": "stable",
      "trafficRouting": {"istio": {"virtualService": {"name": "vs"}}}})");
  canary.merge_patch(extra);
  World w(testing::basicRollout(
      4, json::parse(R"([{"setWeight":25},{"pause":{}},{"setWeight":75},{"pause":{}}])"), canary));
  w.services()["canary"] = "";
  w.services()["stable"] = "";
  return w;
}

struct Hashes {
  std::string v1, v2;
};

// v1 deployed, v2 paused at step 1 (25 %): v1 has 3 pods, v2 1.
Hashes pausedAt25(World& w) {
  w.settle();
  const std::string v1 = hashOf(w);
  w.setImage("v2");
  w.settle();
  const std::string v2 = hashOf(w);
  EXPECT_EQ(w.replicasOf(v1), 3);
  EXPECT_EQ(w.replicasOf(v2), 1);
  EXPECT_EQ(w.status().canary.weights->canary.weight, 25);
  return {v1, v2};
}

// ... then promoted to step 3 (75 %): v1 has 1 pod, v2 3.
Hashes pausedAt75(World& w) {
  Hashes h = pausedAt25(w);
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  EXPECT_EQ(*w.status().currentStepIndex, 3);
  EXPECT_EQ(w.replicasOf(h.v1), 1);
  EXPECT_EQ(w.replicasOf(h.v2), 3);
  EXPECT_EQ(w.status().canary.weights->canary.weight, 75);
  return h;
}

int canaryWeight(World& w) { return w.status().canary.weights->canary.weight; }

std::string deadlineOf(World& w, const std::string& hash) {
  for (const json& rs : w.replicaSets()) {
    if (rs["metadata"]["labels"].value(kLabelPodTemplateHash, "") == hash) {
      return rs["metadata"]["annotations"].value(kAnnotationScaleDownDeadline, "");
    }
  }
  return "";
}

TEST(DynamicStableScale, AbortStepsTheWeightBackAsStableComesUp) {
  World w = dynamicWorld();
  auto [v1, v2] = pausedAt75(w);
  w.readyAtMost[v1] = 1;  // the stable pods to come are not Ready yet
  w.patchStatus({{"abort", true}});
  w.settle();
  // Stable cannot carry more yet: the canary keeps its weight and its pods.
  EXPECT_EQ(canaryWeight(w), 75);
  EXPECT_EQ(w.replicasOf(v1), 3);
  EXPECT_EQ(w.replicasOf(v2), 3);
  EXPECT_EQ(w.services()["canary"], v2);
  w.readyAtMost[v1] = 3;
  w.settle();
  // 3 of 4 stable pods: back to 25 %, the canary down to its pod, stable up for the rest.
  EXPECT_EQ(canaryWeight(w), 25);
  EXPECT_EQ(w.replicasOf(v2), 1);
  EXPECT_EQ(w.replicasOf(v1), 4);
  EXPECT_EQ(w.services()["canary"], v2);  // still taking 25 %
  w.readyAtMost.erase(v1);
  w.settle();
  EXPECT_EQ(canaryWeight(w), 0);
  EXPECT_EQ(w.status().canary.weights->stable.weight, 100);
  EXPECT_EQ(w.replicasOf(v2), 0);
  EXPECT_EQ(w.replicasOf(v1), 4);
  EXPECT_EQ(w.services()["canary"], v1);
}

TEST(DynamicStableScale, ExplicitAbortDelayStartsOnlyOnceNoTrafficIsLeft) {
  World w = dynamicWorld({{"abortScaleDownDelaySeconds", 2}});
  auto [v1, v2] = pausedAt75(w);
  w.readyAtMost[v1] = 1;
  w.patchStatus({{"abort", true}});
  w.settle();
  EXPECT_EQ(canaryWeight(w), 75);
  EXPECT_EQ(w.replicasOf(v2), 3);
  EXPECT_EQ(deadlineOf(w, v2), "");
  w.readyAtMost[v1] = 3;
  w.settle();
  // The canary is kept whole for the delay, so its size does not hold the weight up.
  EXPECT_EQ(canaryWeight(w), 25);
  EXPECT_EQ(w.replicasOf(v1), 4);
  EXPECT_EQ(w.replicasOf(v2), 3);
  EXPECT_EQ(deadlineOf(w, v2), "");
  w.readyAtMost.erase(v1);
  w.settle();
  EXPECT_EQ(canaryWeight(w), 0);
  EXPECT_EQ(w.replicasOf(v2), 3);
  EXPECT_NE(deadlineOf(w, v2), "");
  w.now += 3;
  w.settle();
  EXPECT_EQ(w.replicasOf(v2), 0);
  EXPECT_EQ(w.replicasOf(v1), 4);
  EXPECT_EQ(w.services()["canary"], v1);
}

TEST(DynamicStableScale, RollbackToStableKeepsTheCanaryUntilStableIsWhole) {
  World w = dynamicWorld();
  auto [v1, v2] = pausedAt25(w);
  w.readyAtMost[v1] = 3;  // the 4th stable pod is not Ready yet
  w.setImage("v1");
  w.settle();
  ASSERT_EQ(hashOf(w), v1);
  EXPECT_EQ(w.replicasOf(v1), 4);
  EXPECT_EQ(w.replicasOf(v2), 1);  // still referenced by the weights: not scaled down
  EXPECT_EQ(w.services()["canary"], v2);
  EXPECT_EQ(w.services()["stable"], v1);
  auto weights = *w.status().canary.weights;
  EXPECT_EQ(weights.canary.podTemplateHash, v2);
  EXPECT_EQ(weights.canary.weight, 25);
  EXPECT_EQ(weights.stable.podTemplateHash, v1);
  EXPECT_EQ(weights.stable.weight, 75);
  w.readyAtMost.erase(v1);
  w.settle();
  EXPECT_EQ(w.replicasOf(v2), 0);
  EXPECT_EQ(w.services()["canary"], v1);
  EXPECT_EQ(w.services()["stable"], v1);
  weights = *w.status().canary.weights;
  EXPECT_EQ(weights.canary.podTemplateHash, v1);
  EXPECT_EQ(weights.canary.weight, 0);
  EXPECT_EQ(weights.stable.weight, 100);
}

// Argo scales an aborted canary up again when spec.replicas grows (argo-rollouts #4973): it
// takes no new traffic, so Vane never gives it more pods than it has.
TEST(DynamicStableScale, AnAbortedCanaryNeverGrowsOnAScaleUp) {
  World w = dynamicWorld();
  auto [v1, v2] = pausedAt75(w);
  w.readyAtMost[v1] = 1;
  w.patchStatus({{"abort", true}});
  w.settle();
  w.rollout()["spec"]["replicas"] = 8;
  w.bumpGeneration();
  for (int i = 0; i < 10; ++i) {
    w.reconcile();
    EXPECT_LE(w.replicasOf(v2), 3) << "reconcile " << i;
  }
  w.readyAtMost.erase(v1);
  w.settle();
  EXPECT_EQ(w.replicasOf(v2), 0);
  EXPECT_EQ(w.replicasOf(v1), 8);
  EXPECT_EQ(canaryWeight(w), 0);
}

}  // namespace
}  // namespace vane::controller
