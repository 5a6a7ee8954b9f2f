// spec.workloadRef and ephemeral metadata against a real vane-apiserver --simulate-workloads
// (Deployments -> ReplicaSets -> Pods, pods Ready after ~1 s), with the controller in-process and
// manifests applied with real kubectl (issue #4): the Deployment's template drives the Rollout,
// a Deployment change starts an update, scaleDown onsuccess empties the Deployment, and the
// canary/stable and preview/active labels follow promotion on the same pods.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "support/controller_fixture.h"
#include "support/manifests.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;
namespace res = kube::resources;

std::string deploymentYaml(const std::string& image, int replicas) {
  return R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-deploy
spec:
  replicas: )" +
         std::to_string(replicas) +
         R"(
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: )" +
         image + "\n";
}

// A canary Rollout `web` on the Deployment web-deploy, scaleDown as given.
std::string refRolloutYaml(const std::string& scale_down) {
  return R"(apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 2
  workloadRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web-deploy
    scaleDown: )" +
         scale_down +
         R"(
  strategy:
    canary:
      steps:
      - setWeight: 50
      - pause: {}
)";
}

constexpr const char* kCanaryMetadata = R"(    canary:
      canaryMetadata:
        labels:
          role: canary
      stableMetadata:
        labels:
          role: stable
        annotations:
          team: payments
      steps:
      - setWeight: 50
      - pause: {}
)";

constexpr const char* kBlueGreenMetadata = R"(    blueGreen:
      activeService: web-active
      previewService: web-preview
      autoPromotionEnabled: false
      scaleDownDelaySeconds: 30
      previewMetadata:
        labels:
          role: preview
      activeMetadata:
        labels:
          role: active
)";

class ControllerWorkloadTest : public vane::testing::ControllerFixture {
 protected:
  bool waitPhase(const std::string& phase, const std::string& message = "",
                 seconds timeout = seconds(40)) {
    return vane::testing::waitFor(
        [&] {
          json ro = rollout();
          const json s = ro.value("status", json::object());
          return vane::testing::statusIsCurrent(ro) && s.value("phase", "") == phase &&
                 s.value("message", "").rfind(message, 0) == 0;
        },
        timeout);
  }
  json deployment() { return get(res::kDeployments, "web-deploy"); }
  int deploymentReplicas() { return deployment()["spec"].value("replicas", -1); }
  // The Rollout's ReplicaSet with `hash`.
  json replicaSet(const std::string& hash) { return get(res::kReplicaSets, "web-" + hash); }
  // Pod name -> "role" label ("" when unset) of the running pods with `hash`.
  std::map<std::string, std::string> podRoles(const std::string& hash) {
    std::map<std::string, std::string> out;
    kube::ListOptions opts;
    opts.label_selector = "rollouts-pod-template-hash=" + hash;
    auto list = client_->list(res::kPods, "default", opts);
    if (!list.ok()) return out;
    for (const auto& p : (*list)["items"]) {
      if (p["metadata"].contains("deletionTimestamp")) continue;
      out[p["metadata"].value("name", "")] =
          p["metadata"].value("labels", json::object()).value("role", "");
    }
    return out;
  }
  bool allRole(const std::string& hash, const std::string& role, size_t n) {
    auto roles = podRoles(hash);
    return roles.size() == n &&
           std::all_of(roles.begin(), roles.end(), [&](const auto& p) { return p.second == role; });
  }
  static std::set<std::string> names(const std::map<std::string, std::string>& roles) {
    std::set<std::string> out;
    for (const auto& [name, role] : roles) out.insert(name);
    return out;
  }
};

TEST_F(ControllerWorkloadTest, WorkloadRefTemplateUpdateAndScaleDownOnSuccess) {
  applyYaml(deploymentYaml("nginx:1", 2));
  applyYaml(refRolloutYaml("onsuccess"));
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  const std::string v1 = status("stableRS");
  json rs = replicaSet(v1);
  EXPECT_EQ(rs["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1");
  EXPECT_EQ(rs["spec"]["selector"]["matchLabels"]["app"], "web");
  EXPECT_EQ(counts()[v1], 2);
  // onsuccess: the Deployment goes to 0 once the Rollout is Healthy, and the Rollout records
  // the Deployment's generation (bumped by that scale).
  ASSERT_TRUE(vane::testing::waitFor([&] { return deploymentReplicas() == 0; }, seconds(20)))
      << describe();
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        const std::string gen = std::to_string(deployment()["metadata"].value("generation", 0));
        return status("workloadObservedGeneration") == gen &&
               rollout()["metadata"]["annotations"].value("rollout.argoproj.io/workload-generation",
                                                          "") == gen;
      },
      seconds(20)))
      << describe();
  EXPECT_EQ(replicaSet(v1)["metadata"]["annotations"].value(
                "rollout.argoproj.io/workload-generation", ""),
            status("workloadObservedGeneration"));

  // A new image in the Deployment starts a canary update of the Rollout.
  kubectlOk("set image deployment/web-deploy web=nginx:2");
  std::string v2;
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        v2 = status("currentPodHash");
        return !v2.empty() && v2 != v1;
      },
      seconds(20)))
      << describe();
  ASSERT_TRUE(waitPhase("Paused", "CanaryPauseStep")) << describe();
  EXPECT_EQ(replicaSet(v2)["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:2");
  EXPECT_EQ(counts()[v2], 1);
  EXPECT_EQ(status("stableRS"), v1);
  promote();
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  EXPECT_EQ(status("stableRS"), v2);
  EXPECT_EQ(deploymentReplicas(), 0);
}

TEST_F(ControllerWorkloadTest, MissingDeploymentIsInvalidUntilCreated) {
  applyYaml(refRolloutYaml("never"));
  ASSERT_TRUE(waitPhase("Degraded")) << describe();
  json ro = rollout();
  std::string message;
  for (const auto& c : ro["status"]["conditions"]) {
    if (c.value("type", "") == "InvalidSpec") message = c.value("message", "");
  }
  EXPECT_EQ(message,
            "The Rollout \"web\" is invalid: spec.workloadRef: Invalid value: "
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"web-deploy\","
            "\"scaleDown\":\"never\"}: deployments.apps \"web-deploy\" not found");
  // The Deployment's creation re-triggers the Rollout.
  applyYaml(deploymentYaml("nginx:1", 2));
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  EXPECT_EQ(deploymentReplicas(), 2);  // scaleDown: never
}

TEST_F(ControllerWorkloadTest, CanaryEphemeralLabelsFollowPromotionOnTheSamePods) {
  applyYaml(vane::testing::webRollout("nginx:1", 2, kCanaryMetadata));
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  const std::string v1 = status("stableRS");
  ASSERT_TRUE(vane::testing::waitFor([&] { return allRole(v1, "stable", 2); }, seconds(20)));
  EXPECT_EQ(
      replicaSet(v1)["metadata"]["annotations"].value("rollout.argoproj.io/ephemeral-metadata", ""),
      R"({"labels":{"role":"stable"},"annotations":{"team":"payments"}})");

  applyYaml(vane::testing::webRollout("nginx:2", 2, kCanaryMetadata));
  ASSERT_TRUE(waitPhase("Paused", "CanaryPauseStep")) << describe();
  const std::string v2 = status("currentPodHash");
  ASSERT_TRUE(vane::testing::waitFor([&] { return allRole(v2, "canary", 1); }, seconds(20)));
  const auto canary = names(podRoles(v2));
  EXPECT_TRUE(allRole(v1, "stable", podRoles(v1).size()));

  promote();
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  // The canary pod is still there, relabelled stable in place; new pods come labelled stable.
  ASSERT_TRUE(vane::testing::waitFor([&] { return allRole(v2, "stable", 2); }, seconds(20)))
      << describe();
  const auto promoted = names(podRoles(v2));
  EXPECT_TRUE(std::includes(promoted.begin(), promoted.end(), canary.begin(), canary.end()));
  kube::ListOptions opts;
  opts.label_selector = "rollouts-pod-template-hash=" + v2;
  auto pods = client_->list(res::kPods, "default", opts);
  ASSERT_TRUE(pods.ok());
  for (const auto& p : (*pods)["items"]) {
    EXPECT_EQ(p["metadata"]["annotations"].value("team", ""), "payments");
  }
  EXPECT_EQ(
      replicaSet(v1)["metadata"]["annotations"].value("rollout.argoproj.io/ephemeral-metadata", ""),
      "");
}

TEST_F(ControllerWorkloadTest, BlueGreenEphemeralLabelsFollowPromotionOnTheSamePods) {
  applyYaml(vane::testing::servicesYaml({"web-active", "web-preview"}));
  applyYaml(vane::testing::webRollout("nginx:1", 2, kBlueGreenMetadata));
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  const std::string v1 = status("stableRS");
  ASSERT_TRUE(vane::testing::waitFor([&] { return allRole(v1, "active", 2); }, seconds(20)));

  applyYaml(vane::testing::webRollout("nginx:2", 2, kBlueGreenMetadata));
  ASSERT_TRUE(waitPhase("Paused", "BlueGreenPause")) << describe();
  const std::string v2 = status("currentPodHash");
  ASSERT_TRUE(vane::testing::waitFor([&] { return allRole(v2, "preview", 2); }, seconds(20)));
  const auto preview = names(podRoles(v2));

  promote();
  ASSERT_TRUE(waitPhase("Healthy")) << describe();
  EXPECT_EQ(serviceHash("web-active"), v2);
  ASSERT_TRUE(vane::testing::waitFor([&] { return allRole(v2, "active", 2); }, seconds(20)))
      << describe();
  EXPECT_EQ(names(podRoles(v2)), preview);
  // The previous active keeps its pods for the scale-down delay, without the active label.
  ASSERT_TRUE(vane::testing::waitFor([&] { return allRole(v1, "", 2); }, seconds(20)))
      << describe();
}

}  // namespace
}  // namespace vane::controller
