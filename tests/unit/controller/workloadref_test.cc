// spec.workloadRef driven through the in-memory world (world.h): the template and selector of
// the referenced Deployment, the workload-generation annotation and workloadObservedGeneration,
// Argo's InvalidSpec messages, a Deployment change starting an update, and scaleDown
// onsuccess/progressively (Argo rollout/templateref.go, replicaset.go, sync.go).
#include "controller/workloadref.h"

#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "controller/hash.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::World;

json deployment(const std::string& image, int replicas = 3, int generation = 1) {
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "web-deploy"}, {"namespace", "default"}, {"generation", generation}}},
      {"spec",
       {{"replicas", replicas},
        {"selector", {{"matchLabels", {{"app", "web"}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", "web"}}}}},
          {"spec", {{"containers", json::array({{{"name", "c"}, {"image", image}}})}}}}}}}};
}

// A canary Rollout `web` of 3 replicas with no template and no selector of its own.
json refRollout(json steps, const std::string& scale_down = "", json ref_patch = json::object()) {
  json ro = testing::basicRollout(3, std::move(steps));
  ro["spec"].erase("template");
  ro["spec"].erase("selector");
  json ref = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "web-deploy"}};
  if (!scale_down.empty()) ref["scaleDown"] = scale_down;
  ref.merge_patch(ref_patch);
  ro["spec"]["workloadRef"] = ref;
  return ro;
}

World makeWorld(json rollout, json workload) {
  World w(std::move(rollout));
  w.workload = std::move(workload);
  return w;
}

std::string annotation(const json& obj, const std::string& key) {
  const json meta = obj.value("metadata", json::object());
  return meta.value("annotations", json::object()).value(key, "");
}

std::string invalidSpec(World& w) {
  auto s = w.status();
  const auto* c = s.condition(kConditionInvalidSpec);
  return c != nullptr ? c->message : "";
}

TEST(WorkloadRefTest, TemplateAndSelectorComeFromTheDeployment) {
  World w = makeWorld(refRollout(json::array()), deployment("v1", 3, 4));
  w.settle();
  auto s = w.status();
  const json tmpl = w.workload["spec"]["template"];
  const std::string hash = podTemplateHash(tmpl);
  EXPECT_EQ(s.phase, kPhaseHealthy) << s.message;
  EXPECT_EQ(s.currentPodHash, hash);
  EXPECT_EQ(s.stableRS, hash);
  EXPECT_EQ(s.selector, "app=web");
  ASSERT_EQ(w.replicaSets().size(), 1u);
  const json& rs = w.replicaSets()[0];
  EXPECT_TRUE(templatesEqual(rs["spec"]["template"], tmpl));
  EXPECT_EQ(rs["spec"]["template"]["spec"]["containers"][0]["image"], "v1");
  EXPECT_EQ(rs["spec"]["selector"]["matchLabels"],
            json({{"app", "web"}, {kLabelPodTemplateHash, hash}}));
  EXPECT_EQ(rs["spec"]["replicas"], 3);
  // The generation as Argo records it: Rollout annotation, its copy on the ReplicaSet, status.
  EXPECT_EQ(annotation(w.rollout(), kAnnotationWorkloadGeneration), "4");
  EXPECT_EQ(annotation(rs, kAnnotationWorkloadGeneration), "4");
  EXPECT_EQ(kube::toJson(s).value("workloadObservedGeneration", ""), "4");
  // scaleDown unset (never): the Deployment keeps its replicas.
  EXPECT_EQ(w.workload["spec"]["replicas"], 3);
}

TEST(WorkloadRefTest, MissingDeploymentIsInvalidSpecWithArgosMessage) {
  World w = makeWorld(refRollout(json::array(), "onsuccess"), nullptr);
  w.settle();
  EXPECT_EQ(invalidSpec(w),
            "The Rollout \"web\" is invalid: spec.workloadRef: Invalid value: "
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"web-deploy\","
            "\"scaleDown\":\"onsuccess\"}: deployments.apps \"web-deploy\" not found");
  EXPECT_EQ(w.status().phase, kPhaseDegraded);
  EXPECT_TRUE(w.replicaSets().empty());
  // The Deployment appears: the Rollout becomes valid and deploys its template.
  w.workload = deployment("v1");
  w.settle();
  EXPECT_EQ(invalidSpec(w), "");
  EXPECT_EQ(w.status().phase, kPhaseHealthy) << w.status().message;
}

TEST(WorkloadRefTest, UnsupportedKindAndTemplateAlongsideAreInvalid) {
  World kind =
      makeWorld(refRollout(json::array(), "", {{"kind", "StatefulSet"}}), deployment("v1"));
  kind.settle();
  EXPECT_EQ(invalidSpec(kind),
            "The Rollout \"web\" is invalid: spec.workloadRef: Invalid value: "
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"web-deploy\"}: "
            "workload of type apps/StatefulSet is not supported");

  json both = refRollout(json::array());
  both["spec"]["template"] = testing::basicRollout(3, json::array())["spec"]["template"];
  World w = makeWorld(both, deployment("v1"));
  w.settle();
  EXPECT_EQ(invalidSpec(w),
            "The Rollout \"web\" is invalid: spec.workloadRef: Invalid value: "
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"web-deploy\"}: "
            "template must be empty for workload reference rollout");
}

TEST(WorkloadRefTest, DeploymentImageChangeStartsACanaryUpdate) {
  json steps = json::array({{{"setWeight", 34}}, {{"pause", json::object()}}});
  World w = makeWorld(refRollout(steps), deployment("v1", 3, 1));
  w.settle();
  const std::string v1 = w.status().stableRS;
  ASSERT_EQ(w.status().phase, kPhaseHealthy);
  w.workload["spec"]["template"]["spec"]["containers"][0]["image"] = "v2";
  w.workload["metadata"]["generation"] = 2;
  w.settle();
  auto s = w.status();
  const std::string v2 = podTemplateHash(w.workload["spec"]["template"]);
  EXPECT_NE(v2, v1);
  EXPECT_EQ(s.currentPodHash, v2);
  EXPECT_EQ(s.stableRS, v1);
  EXPECT_EQ(s.phase, kPhasePaused) << s.message;
  EXPECT_EQ(s.currentStepIndex, 1);
  EXPECT_EQ(w.replicasOf(v2), 1);
  EXPECT_EQ(w.replicasOf(v1), 2);
  EXPECT_EQ(annotation(w.rollout(), kAnnotationWorkloadGeneration), "2");
  EXPECT_EQ(kube::toJson(s).value("workloadObservedGeneration", ""), "2");
  // Promote: the Deployment's v2 becomes stable.
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  EXPECT_EQ(w.status().stableRS, v2);
  EXPECT_EQ(w.replicasOf(v1), 0);
}

TEST(WorkloadRefTest, ScaleDownOnSuccessWaitsForHealthy) {
  World w = makeWorld(refRollout(json::array(), "onsuccess"), deployment("v1", 3, 1));
  w.podsReady = false;
  for (int i = 0; i < 5; ++i) w.reconcile();
  EXPECT_NE(w.status().phase, kPhaseHealthy);
  EXPECT_EQ(w.workload["spec"]["replicas"], 3);
  w.podsReady = true;
  w.reconcile();  // the kubelet makes the pods ready after it
  w.settle();
  EXPECT_EQ(w.status().phase, kPhaseHealthy);
  EXPECT_EQ(w.workload["spec"]["replicas"], 0);
  // Scaling the Deployment bumped its generation; nothing else changes for the Rollout.
  EXPECT_EQ(annotation(w.rollout(), kAnnotationWorkloadGeneration), "2");
  EXPECT_EQ(w.replicaSets().size(), 1u);
  EXPECT_EQ(w.replicaSets()[0]["spec"]["replicas"], 3);
}

TEST(WorkloadRefTest, ScaleDownProgressivelyFollowsReadyPods) {
  World w = makeWorld(refRollout(json::array(), "progressively"), deployment("v1", 3, 1));
  w.podsReady = false;
  for (int i = 0; i < 3; ++i) w.reconcile();
  EXPECT_EQ(w.workload["spec"]["replicas"], 3);  // nothing ready yet
  // One pod of the Rollout ready: the Deployment keeps spec.replicas - readyReplicas.
  w.patchStatus({{"readyReplicas", 1}});
  w.reconcile();
  EXPECT_EQ(w.workload["spec"]["replicas"], 2);
  w.podsReady = true;
  w.reconcile();
  w.settle();
  EXPECT_EQ(w.status().phase, kPhaseHealthy);
  EXPECT_EQ(w.workload["spec"]["replicas"], 0);
}

TEST(WorkloadRefTest, ScaleDownOnSuccessBlueGreen) {
  json ro = refRollout(json::array(), "onsuccess");
  ro["spec"]["strategy"] = {{"blueGreen", {{"activeService", "web-active"}}}};
  World w = makeWorld(ro, deployment("v1", 2, 1));
  w.services()["web-active"] = "";
  w.settle();
  EXPECT_EQ(w.status().phase, kPhaseHealthy) << w.status().message;
  EXPECT_EQ(w.services()["web-active"], podTemplateHash(w.workload["spec"]["template"]));
  EXPECT_EQ(w.workload["spec"]["replicas"], 0);
}

TEST(WorkloadRefTest, DroppedReferenceRemovesTheGenerationAnnotation) {
  json ro = testing::basicRollout(1, json::array());
  ro["metadata"]["annotations"] = {{kAnnotationWorkloadGeneration, "3"}};
  World w(ro);
  w.settle();
  EXPECT_FALSE(w.rollout()["metadata"]["annotations"].contains(kAnnotationWorkloadGeneration));
  EXPECT_FALSE(kube::toJson(w.status()).contains("workloadObservedGeneration"));
}

}  // namespace
}  // namespace vane::controller
