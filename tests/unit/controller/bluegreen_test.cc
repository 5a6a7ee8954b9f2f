// The blue-green plan driven through the in-memory world (world.h): Service switches, the
// BlueGreenPause, auto-promotion, previewReplicaCount, pre/post-promotion analysis, abort and
// retry, scale-down delays and fast rollback, with Argo's status fields and messages.
#include "controller/bluegreen.h"

#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "controller/hash.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::World;

json blueGreenRollout(int replicas, json extra = json::object()) {
  json ro = testing::basicRollout(replicas, json::array());
  json bg = {{"activeService", "web-active"}, {"previewService", "web-preview"}};
  bg.merge_patch(extra);
  ro["spec"]["strategy"] = {{"blueGreen", bg}};
  return ro;
}

World makeWorld(int replicas, json extra = json::object()) {
  World w(blueGreenRollout(replicas, std::move(extra)));
  w.services()["web-active"] = "";
  w.services()["web-preview"] = "";
  return w;
}

json* runNamed(World& w, const std::string& suffix) {
  for (auto& r : w.analysisRuns()) {
    const std::string name = r["metadata"]["name"];
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        !r["spec"].value("terminate", false)) {
      return &r;
    }
  }
  return nullptr;
}

bool hasEvent(World& w, const std::string& reason, const std::string& text) {
  for (const auto& e : w.events()) {
    if (e.reason == reason && e.message.find(text) != std::string::npos) return true;
  }
  return false;
}

// Deploys v1 and applies v2; returns {v1, v2}.
std::pair<std::string, std::string> update(World& w) {
  w.settle();
  const std::string v1 = hashOf(w);
  w.now += 10;
  w.setImage("v2");
  w.settle();
  return {v1, hashOf(w)};
}

TEST(BlueGreenPlanTest, InitialDeploySwitchesBothServicesAndIsHealthy) {
  World w = makeWorld(3);
  w.settle();
  const std::string v1 = hashOf(w);
  auto s = w.status();
  EXPECT_EQ(w.services()["web-active"], v1);
  EXPECT_EQ(w.services()["web-preview"], v1);
  EXPECT_EQ(s.stableRS, v1);
  EXPECT_EQ(s.blueGreen.activeSelector, v1);
  EXPECT_EQ(s.blueGreen.previewSelector, v1);
  EXPECT_EQ(s.phase, kPhaseHealthy) << s.message;
  EXPECT_EQ(s.availableReplicas, 3);
  EXPECT_EQ(s.HPAReplicas, 3);
  EXPECT_EQ(s.selector, "app=web,rollouts-pod-template-hash=" + v1);
  EXPECT_FALSE(s.currentStepIndex.has_value());
  EXPECT_EQ(s.condition(kConditionHealthy)->status, "True");
  EXPECT_EQ(s.condition(kConditionCompleted)->status, "True");
  EXPECT_EQ(s.condition(kConditionAvailable)->status, "True");
  EXPECT_EQ(w.replicasOf(v1), 3);
  EXPECT_TRUE(hasEvent(w, kEventRolloutCompleted, "Initial deploy"));
  EXPECT_TRUE(hasEvent(w, kEventSwitchService,
                       "Switched selector for service 'web-active' from '' to '" + v1 + "'"));
  json st = kube::toJson(s);
  EXPECT_EQ(st["blueGreen"]["activeSelector"], v1);
}

TEST(BlueGreenPlanTest, ManualPromotionPausesThenSwitchesActive) {
  World w = makeWorld(3, {{"autoPromotionEnabled", false}, {"scaleDownDelaySeconds", 30}});
  auto [v1, v2] = update(w);
  auto s = w.status();
  // Preview on v2 at once, active still on v1, both at full size, paused.
  EXPECT_EQ(w.services()["web-preview"], v2);
  EXPECT_EQ(w.services()["web-active"], v1);
  EXPECT_EQ(w.replicasOf(v1), 3);
  EXPECT_EQ(w.replicasOf(v2), 3);
  EXPECT_EQ(s.phase, kPhasePaused);
  EXPECT_EQ(s.message, kPauseBlueGreen);
  EXPECT_TRUE(s.controllerPause);
  ASSERT_EQ(s.pauseConditions.size(), 1u);
  EXPECT_EQ(s.pauseConditions[0].reason, kPauseBlueGreen);
  EXPECT_EQ(s.stableRS, v1);
  EXPECT_EQ(s.blueGreen.previewSelector, v2);
  EXPECT_EQ(s.availableReplicas, 3);  // of the active ReplicaSet
  // Promote as the plugin does: clear the pause conditions.
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  s = w.status();
  EXPECT_EQ(w.services()["web-active"], v2);
  EXPECT_EQ(s.stableRS, v2);
  EXPECT_EQ(s.phase, kPhaseHealthy) << s.message;
  EXPECT_TRUE(hasEvent(w, kEventRolloutCompleted, "Completed blue-green update"));
  // The previous active keeps its pods until the scale-down deadline.
  EXPECT_EQ(w.replicasOf(v1), 3);
  ASSERT_TRUE(w.requeueAt.has_value());
  w.now += 31;
  w.settle();
  EXPECT_EQ(w.replicasOf(v1), 0);
  EXPECT_EQ(w.replicasOf(v2), 3);
}

// A spec.replicas change while spec.paused (an HPA) resizes the active and preview ReplicaSets at
// once (Argo's isScalingEvent/syncReplicasOnly), without promoting.
TEST(BlueGreenPlanTest, ScalingEventDuringManualPauseIsApplied) {
  World w = makeWorld(3, {{"autoPromotionEnabled", false}});
  auto [v1, v2] = update(w);
  w.rollout()["spec"]["paused"] = true;
  w.bumpGeneration();
  w.settle();
  w.rollout()["spec"]["replicas"] = 5;
  w.bumpGeneration();
  w.settle();
  EXPECT_EQ(w.replicasOf(v1), 5);
  EXPECT_EQ(w.replicasOf(v2), 5);
  EXPECT_EQ(w.services()["web-active"], v1);
  EXPECT_EQ(w.status().stableRS, v1);
  // Once promoted, the active alone follows spec.replicas during a manual pause.
  w.rollout()["spec"]["paused"] = false;
  w.bumpGeneration();
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  ASSERT_EQ(w.status().stableRS, v2);
  w.rollout()["spec"]["paused"] = true;
  w.rollout()["spec"]["replicas"] = 2;
  w.bumpGeneration();
  w.settle();
  EXPECT_EQ(w.replicasOf(v2), 2);
}

TEST(BlueGreenPlanTest, AutoPromotionAfterSeconds) {
  World w = makeWorld(2, {{"autoPromotionSeconds", 20}});
  auto [v1, v2] = update(w);
  auto s = w.status();
  EXPECT_EQ(s.message, kPauseBlueGreen);
  ASSERT_TRUE(w.requeueAt.has_value());
  EXPECT_EQ(*w.requeueAt, w.now + 21);
  w.now += 10;
  w.settle();
  EXPECT_EQ(w.services()["web-active"], v1);
  w.now += 11;
  w.settle();
  EXPECT_EQ(w.services()["web-active"], v2);
  EXPECT_EQ(w.status().stableRS, v2);
  EXPECT_EQ(w.status().phase, kPhaseHealthy);
}

TEST(BlueGreenPlanTest, WithoutPauseSwitchesAsSoonAsPreviewIsSaturated) {
  World w = makeWorld(2);
  auto [v1, v2] = update(w);
  EXPECT_EQ(w.services()["web-active"], v2);
  EXPECT_EQ(w.status().stableRS, v2);
  EXPECT_TRUE(w.status().pauseConditions.empty());
}

TEST(BlueGreenPlanTest, PreviewReplicaCountScalesUpAtTheCheckpoint) {
  World w = makeWorld(4, {{"autoPromotionEnabled", false}, {"previewReplicaCount", 1}});
  auto [v1, v2] = update(w);
  EXPECT_EQ(w.replicasOf(v2), 1);
  EXPECT_EQ(w.replicasOf(v1), 4);
  EXPECT_EQ(w.status().message, kPauseBlueGreen);
  EXPECT_FALSE(w.status().blueGreen.scaleUpPreviewCheckPoint);
  w.patchStatus({{"pauseConditions", nullptr}});
  w.reconcile();
  EXPECT_TRUE(w.status().blueGreen.scaleUpPreviewCheckPoint);
  EXPECT_EQ(w.services()["web-active"], v1);  // not before the preview is full size
  w.settle();
  EXPECT_EQ(w.replicasOf(v2), 4);
  EXPECT_EQ(w.services()["web-active"], v2);
  EXPECT_EQ(w.status().stableRS, v2);
  EXPECT_FALSE(w.status().blueGreen.scaleUpPreviewCheckPoint);  // reset once promoted
}

TEST(BlueGreenPlanTest, PrePromotionAnalysisFailingAbortsWithoutSwitch) {
  json pre = {{"templates", {{{"templateName", "success-rate"}}}}};
  World w = makeWorld(2, {{"prePromotionAnalysis", pre}, {"abortScaleDownDelaySeconds", 10}});
  auto [v1, v2] = update(w);
  json* run = runNamed(w, "-pre");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ((*run)["metadata"]["labels"]["rollout-type"], kRolloutTypePrePromotion);
  EXPECT_EQ(w.status().blueGreen.prePromotionAnalysisRunStatus->name,
            (*run)["metadata"]["name"].get<std::string>());
  EXPECT_EQ(w.services()["web-active"], v1);  // gated by the run
  EXPECT_EQ(w.status().phase, kPhaseProgressing);
  EXPECT_EQ(w.status().message, kPhaseMsgCutoverPending);
  (*run)["status"] = {{"phase", "Failed"}, {"message", "Metric \"success-rate\" assessed Failed"}};
  w.settle();
  auto s = w.status();
  EXPECT_TRUE(s.abort);
  EXPECT_EQ(s.phase, kPhaseDegraded);
  EXPECT_NE(s.message.find("Blue/green pre-promotion analysis phase error/failed: Metric "
                           "\"success-rate\" assessed Failed"),
            std::string::npos)
      << s.message;
  EXPECT_EQ(w.services()["web-active"], v1);
  EXPECT_EQ(s.stableRS, v1);
  // The preview keeps its pods for abortScaleDownDelaySeconds, then goes.
  EXPECT_EQ(w.replicasOf(v2), 2);
  w.now += 11;
  w.settle();
  EXPECT_EQ(w.replicasOf(v2), 0);
  EXPECT_EQ(w.replicasOf(v1), 2);
}

TEST(BlueGreenPlanTest, PrePromotionSuccessThenPause) {
  json pre = {{"templates", {{{"templateName", "smoke"}}}}};
  World w = makeWorld(2, {{"prePromotionAnalysis", pre}, {"autoPromotionEnabled", false}});
  auto [v1, v2] = update(w);
  EXPECT_TRUE(w.status().pauseConditions.empty());  // no pause before the analysis passed
  (*runNamed(w, "-pre"))["status"] = {{"phase", "Successful"}};
  w.settle();
  EXPECT_EQ(w.status().message, kPauseBlueGreen);
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  EXPECT_EQ(w.services()["web-active"], v2);
  EXPECT_EQ(w.status().phase, kPhaseHealthy);
}

TEST(BlueGreenPlanTest, StaleRolloutAdoptsItsPrePromotionRun) {
  json pre = {{"templates", {{{"templateName", "smoke"}}}}};
  World w = makeWorld(2, {{"prePromotionAnalysis", pre}});
  auto [v1, v2] = update(w);
  ASSERT_EQ(w.analysisRuns().size(), 1u);
  w.rollout()["status"]["blueGreen"].erase("prePromotionAnalysisRunStatus");  // lagging cache
  w.reconcile();
  ASSERT_EQ(w.analysisRuns().size(), 1u) << w.analysisRuns().back()["metadata"]["name"];
  EXPECT_FALSE(w.analysisRuns()[0]["spec"].value("terminate", false));
  EXPECT_EQ(w.status().blueGreen.prePromotionAnalysisRunStatus->name,
            w.analysisRuns()[0]["metadata"]["name"].get<std::string>());
}

TEST(BlueGreenPlanTest, PostPromotionAnalysisFailingSwitchesActiveBack) {
  json post = {{"templates", {{{"templateName", "error-rate"}}}}};
  World w = makeWorld(2, {{"postPromotionAnalysis", post}});
  auto [v1, v2] = update(w);
  EXPECT_EQ(w.services()["web-active"], v2);
  json* run = runNamed(w, "-post");
  ASSERT_NE(run, nullptr);
  auto s = w.status();
  EXPECT_EQ(s.stableRS, v1);  // not stable before post-promotion analysis passed
  EXPECT_EQ(s.phase, kPhaseProgressing);
  EXPECT_EQ(s.message, kPhaseMsgWaitingAnalysis);
  EXPECT_EQ(w.replicasOf(v1), 2);  // the way back stays up
  (*run)["status"] = {{"phase", "Failed"}};
  w.settle();
  s = w.status();
  EXPECT_TRUE(s.abort);
  EXPECT_EQ(s.phase, kPhaseDegraded);
  EXPECT_NE(s.message.find("Blue/green post-promotion analysis phase error/failed"),
            std::string::npos);
  EXPECT_EQ(w.services()["web-active"], v1);
  EXPECT_EQ(s.blueGreen.activeSelector, v1);
  EXPECT_EQ(s.stableRS, v1);
}

TEST(BlueGreenPlanTest, PostPromotionSuccessMarksStable) {
  json post = {{"templates", {{{"templateName", "error-rate"}}}}};
  World w = makeWorld(2, {{"postPromotionAnalysis", post}, {"scaleDownDelaySeconds", 5}});
  auto [v1, v2] = update(w);
  (*runNamed(w, "-post"))["status"] = {{"phase", "Successful"}};
  w.settle();
  EXPECT_EQ(w.status().stableRS, v2);
  EXPECT_EQ(w.status().phase, kPhaseHealthy);
  EXPECT_EQ(w.status().blueGreen.postPromotionAnalysisRunStatus->status, "Successful");
}

TEST(BlueGreenPlanTest, AbortByUserThenRetry) {
  World w = makeWorld(2, {{"autoPromotionEnabled", false}});
  auto [v1, v2] = update(w);
  w.patchStatus({{"abort", true}});
  w.settle();
  auto s = w.status();
  EXPECT_EQ(s.phase, kPhaseDegraded);
  EXPECT_EQ(s.message, "RolloutAborted: Rollout aborted update to revision 2");
  EXPECT_TRUE(s.pauseConditions.empty());
  EXPECT_EQ(w.services()["web-active"], v1);
  // Retry (the plugin clears abort): paused for promotion again.
  w.patchStatus({{"abort", false}});
  w.settle();
  s = w.status();
  EXPECT_FALSE(s.abort);
  EXPECT_EQ(s.message, kPauseBlueGreen);
  EXPECT_EQ(w.replicasOf(v2), 2);
}

TEST(BlueGreenPlanTest, RollbackWithinScaleDownDelayReusesPods) {
  World w = makeWorld(2, {{"scaleDownDelaySeconds", 60}});
  auto [v1, v2] = update(w);
  ASSERT_EQ(w.status().stableRS, v2);
  EXPECT_EQ(w.replicasOf(v1), 2);  // inside its delay
  const size_t rs_before = w.replicaSets().size();
  w.now += 5;
  w.setImage("v1");
  w.settle();
  auto s = w.status();
  EXPECT_EQ(w.replicaSets().size(), rs_before);  // no new ReplicaSet, no new pods
  EXPECT_EQ(w.services()["web-active"], v1);
  EXPECT_EQ(s.stableRS, v1);
  EXPECT_EQ(s.phase, kPhaseHealthy);
  EXPECT_TRUE(hasEvent(w, kEventRolloutCompleted, "Fast rollback"));
}

TEST(BlueGreenPlanTest, PromoteFullSkipsPauseAndAnalysis) {
  json pre = {{"templates", {{{"templateName", "slow"}}}}};
  World w = makeWorld(2, {{"prePromotionAnalysis", pre}, {"autoPromotionEnabled", false}});
  auto [v1, v2] = update(w);
  ASSERT_NE(runNamed(w, "-pre"), nullptr);
  w.patchStatus({{"promoteFull", true}});
  w.settle();
  EXPECT_EQ(w.services()["web-active"], v2);
  EXPECT_EQ(w.status().stableRS, v2);
  EXPECT_FALSE(w.status().promoteFull);
  EXPECT_EQ(runNamed(w, "-pre"), nullptr);  // terminated
  EXPECT_TRUE(hasEvent(w, kEventRolloutCompleted, "Full promotion requested"));
}

TEST(BlueGreenPlanTest, NewRevisionDuringPauseResetsAndScalesDownTheIntermediate) {
  World w = makeWorld(2, {{"autoPromotionEnabled", false}, {"scaleDownDelaySeconds", 30}});
  auto [v1, v2] = update(w);
  w.now += 10;
  w.setImage("v3");
  w.settle();
  const std::string v3 = hashOf(w);
  EXPECT_EQ(w.services()["web-preview"], v3);
  EXPECT_EQ(w.services()["web-active"], v1);
  EXPECT_EQ(w.status().message, kPauseBlueGreen);
  EXPECT_EQ(w.replicasOf(v1), 2);
  w.now += 31;
  w.settle();
  EXPECT_EQ(w.replicasOf(v2), 0);
  EXPECT_EQ(w.replicasOf(v1), 2);
}

TEST(BlueGreenPlanTest, InvalidSpecs) {
  World same = makeWorld(1, {{"previewService", "web-active"}});
  same.settle();
  EXPECT_EQ(same.status().phase, kPhaseDegraded);
  EXPECT_NE(same.status().message.find("same service for the active and preview"),
            std::string::npos);
  json ro = blueGreenRollout(1);
  ro["spec"]["strategy"]["blueGreen"].erase("activeService");
  World missing(ro);
  missing.settle();
  EXPECT_NE(missing.status().message.find(".spec.strategy.blueGreen.activeService"),
            std::string::npos);
  World aa = makeWorld(1, {{"antiAffinity", json::object()}});
  aa.settle();
  EXPECT_NE(aa.status().message.find("AntiAffinity must have exactly one strategy listed"),
            std::string::npos);
  EXPECT_TRUE(aa.replicaSets().empty());  // nothing half-applied
}

TEST(BlueGreenPlanTest, AntiAffinityInjectedAgainstTheStablePods) {
  json aa = {{"preferredDuringSchedulingIgnoredDuringExecution", {{"weight", 40}}}};
  World w = makeWorld(1, {{"antiAffinity", aa}});
  auto [v1, v2] = update(w);
  for (const auto& rs : w.replicaSets()) {
    const json& tmpl = rs["spec"]["template"];
    const bool is_v2 = rs["metadata"]["labels"]["rollouts-pod-template-hash"] == v2;
    auto p = json::json_pointer(
        "/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/0");
    ASSERT_EQ(tmpl.contains(p), is_v2);
    if (!is_v2) continue;
    EXPECT_EQ(tmpl.at(p)["weight"], 40);
    EXPECT_EQ(tmpl.at(p)["podAffinityTerm"]["labelSelector"]["matchExpressions"][0]["values"][0],
              v1);
    EXPECT_EQ(tmpl.at(p)["podAffinityTerm"]["topologyKey"], "kubernetes.io/hostname");
    // The injected term does not count as a template change.
    EXPECT_TRUE(templatesEqual(tmpl, w.rollout()["spec"]["template"]));
  }
}

}  // namespace
}  // namespace vane::controller
