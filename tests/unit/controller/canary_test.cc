// The canary plan driven through an in-memory world (world.h): step counts, pauses, promote,
// abort/retry, fast rollback, update during update, conditions and phase.
#include "controller/canary.h"

#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "controller/hash.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::World;

json steps() {
  return json::parse(
      R"([{"setWeight":20},{"pause":{}},{"setWeight":40},{"pause":{"duration":"10s"}},
                         {"setWeight":60},{"pause":{"duration":10}},{"setWeight":80},
                         {"pause":{"duration":"1m"}}])");
}

// Deploys v1 (initial deploy: no steps) and starts v2; returns {stable, canary} hashes.
std::pair<std::string, std::string> startUpdate(World& w) {
  w.settle();
  const std::string v1 = hashOf(w);
  EXPECT_EQ(w.status().stableRS, v1);
  EXPECT_EQ(w.status().phase, kPhaseHealthy);
  EXPECT_EQ(w.replicasOf(v1), 5);
  w.setImage("v2");
  w.settle();
  return {v1, hashOf(w)};
}

TEST(CanaryPlanTest, InitialDeployIsHealthyAndComplete) {
  World w(testing::basicRollout(5, steps()));
  w.settle();
  auto s = w.status();
  EXPECT_EQ(s.phase, "Healthy");
  EXPECT_EQ(*s.currentStepIndex, 8);
  EXPECT_EQ(s.availableReplicas, 5);
  EXPECT_EQ(s.selector, "app=web");
  EXPECT_EQ(s.observedGeneration, "1");
  EXPECT_EQ(s.condition(kConditionProgressing)->reason, kReasonNewRSAvailable);
  EXPECT_EQ(s.condition(kConditionAvailable)->status, "True");
  EXPECT_EQ(s.condition(kConditionHealthy)->status, "True");
  EXPECT_EQ(s.condition(kConditionCompleted)->status, "True");
  ASSERT_EQ(w.replicaSets().size(), 1u);
  const json& rs = w.replicaSets()[0];
  EXPECT_EQ(rs["metadata"]["name"], "web-" + hashOf(w));
  EXPECT_EQ(rs["metadata"]["annotations"]["rollout.argoproj.io/revision"], "1");
  EXPECT_EQ(rs["metadata"]["annotations"]["rollout.argoproj.io/desired-replicas"], "5");
  EXPECT_EQ(rs["spec"]["selector"]["matchLabels"]["rollouts-pod-template-hash"], hashOf(w));
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["controller"], true);
}

TEST(CanaryPlanTest, StepsPausesAndPromote) {
  World w(testing::basicRollout(5, steps()));
  auto [v1, v2] = startUpdate(w);
  // setWeight 20 reached, then paused indefinitely at step 1.
  EXPECT_EQ(w.replicasOf(v2), 1);
  EXPECT_EQ(w.replicasOf(v1), 4);
  auto s = w.status();
  EXPECT_EQ(*s.currentStepIndex, 1);
  EXPECT_EQ(s.phase, "Paused");
  EXPECT_EQ(s.message, "CanaryPauseStep");
  EXPECT_TRUE(s.controllerPause);
  EXPECT_EQ(s.condition(kConditionPaused)->status, "True");
  EXPECT_EQ(s.condition(kConditionProgressing)->reason, kReasonPaused);
  EXPECT_FALSE(w.requeueAt.has_value());  // indefinite
  // Promote as the plugin does.
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  EXPECT_EQ(*w.status().currentStepIndex, 3);  // timed pause of 10 s
  EXPECT_EQ(w.replicasOf(v2), 2);
  EXPECT_EQ(w.replicasOf(v1), 3);
  ASSERT_TRUE(w.requeueAt.has_value());
  EXPECT_EQ(*w.requeueAt, w.now + 10);
  w.now += 9;
  w.settle();
  EXPECT_EQ(*w.status().currentStepIndex, 3);
  w.now += 1;
  w.settle();
  EXPECT_EQ(*w.status().currentStepIndex, 5);
  EXPECT_EQ(w.replicasOf(v2), 3);
  EXPECT_EQ(w.replicasOf(v1), 2);
  w.now += 10;
  w.settle();
  EXPECT_EQ(*w.status().currentStepIndex, 7);
  EXPECT_EQ(w.replicasOf(v2), 4);
  EXPECT_EQ(w.replicasOf(v1), 1);
  w.now += 60;
  w.settle();
  s = w.status();
  EXPECT_EQ(*s.currentStepIndex, 8);
  EXPECT_EQ(s.stableRS, v2);
  EXPECT_EQ(s.phase, "Healthy");
  EXPECT_EQ(w.replicasOf(v2), 5);
  EXPECT_EQ(w.replicasOf(v1), 0);
  bool step_event = false, completed_event = false;
  for (const auto& e : w.events()) {
    step_event |= e.message == "Rollout step 1/8 completed (setWeight: 20)";
    completed_event |= e.reason == kEventRolloutCompleted &&
                       e.message == "Rollout completed update to revision 2 (" + v2 +
                                        "): Completed all 8 canary steps";
  }
  EXPECT_TRUE(step_event);
  EXPECT_TRUE(completed_event);
}

TEST(CanaryPlanTest, PromoteFull) {
  World w(testing::basicRollout(5, steps()));
  auto [v1, v2] = startUpdate(w);
  w.patchStatus({{"promoteFull", true}});
  w.settle();
  auto s = w.status();
  EXPECT_EQ(s.stableRS, v2);
  EXPECT_FALSE(s.promoteFull);
  EXPECT_EQ(s.phase, "Healthy");
  EXPECT_EQ(w.replicasOf(v2), 5);
  EXPECT_EQ(w.replicasOf(v1), 0);
}

TEST(CanaryPlanTest, AbortThenRetry) {
  World w(testing::basicRollout(5, steps()));
  auto [v1, v2] = startUpdate(w);
  w.patchStatus({{"abort", true}});
  w.settle();
  auto s = w.status();
  EXPECT_EQ(s.phase, "Degraded");
  EXPECT_EQ(s.message, "RolloutAborted: Rollout aborted update to revision 2");
  EXPECT_EQ(*s.currentStepIndex, 0);
  EXPECT_FALSE(s.abortedAt.empty());
  EXPECT_TRUE(s.pauseConditions.empty());
  EXPECT_EQ(w.replicasOf(v2), 0);
  EXPECT_EQ(w.replicasOf(v1), 5);
  EXPECT_EQ(s.stableRS, v1);
  w.patchStatus({{"abort", false}});
  w.settle();
  s = w.status();
  EXPECT_EQ(s.phase, "Paused");
  EXPECT_EQ(*s.currentStepIndex, 1);
  EXPECT_TRUE(s.abortedAt.empty());
  EXPECT_EQ(w.replicasOf(v2), 1);
}

TEST(CanaryPlanTest, RollbackToStableSkipsSteps) {
  World w(testing::basicRollout(5, steps()));
  auto [v1, v2] = startUpdate(w);
  w.setImage("v1");
  w.settle();
  auto s = w.status();
  EXPECT_EQ(s.currentPodHash, v1);
  EXPECT_EQ(*s.currentStepIndex, 8);
  EXPECT_EQ(s.phase, "Healthy");
  EXPECT_EQ(w.replicasOf(v1), 5);
  EXPECT_EQ(w.replicasOf(v2), 0);
  bool skip = false;
  for (const auto& e : w.events()) skip |= e.reason == kEventSkipSteps;
  EXPECT_TRUE(skip);
}

// spec.rollbackWindow.revisions: going back to a revision older than stable skips the steps only
// while fewer than that many revisions lie between them.
TEST(CanaryPlanTest, RollbackWindow) {
  auto promoteTo = [](World& w, const std::string& image) {
    w.now += 10;
    w.setImage(image);
    w.settle();
    w.patchStatus({{"promoteFull", true}});
    w.settle();
    ASSERT_EQ(w.status().phase, "Healthy") << image;
  };
  for (int window : {2, 1}) {
    json ro = testing::basicRollout(5, steps());
    ro["spec"]["rollbackWindow"] = {{"revisions", window}};
    World w(ro);
    w.settle();
    const std::string v1 = hashOf(w);
    promoteTo(w, "v2");
    promoteTo(w, "v3");  // v1 < v2 < v3: one revision between v1 and the stable v3
    w.now += 10;
    w.setImage("v1");
    w.settle();
    auto s = w.status();
    EXPECT_EQ(s.currentPodHash, v1);
    if (window == 2) {
      EXPECT_EQ(s.stableRS, v1) << "inside the window";
      EXPECT_EQ(s.phase, "Healthy");
      bool reason = false;
      for (const auto& e : w.events()) {
        reason |= e.message.find("Rollback within window") != std::string::npos;
      }
      EXPECT_TRUE(reason);
    } else {
      EXPECT_NE(s.stableRS, v1) << "outside the window: the steps run";
      EXPECT_EQ(s.phase, "Paused");
      EXPECT_EQ(*s.currentStepIndex, 1);
    }
  }
}

// A Rollout read from a cache that does not show the AnalysisRun its previous reconcile created
// (argo-rollouts CreateWithCollisionCounter: "reconciled the rollout with a stale cache").
TEST(CanaryPlanTest, StaleRolloutAdoptsItsRunInsteadOfCreatingATwin) {
  World w(testing::basicRollout(5, json::parse(R"([{"setWeight":20},
      {"analysis":{"templates":[{"templateName":"t"}]}}, {"setWeight":60}])")));
  w.settle();
  w.setImage("v2");
  w.settle();
  ASSERT_EQ(w.analysisRuns().size(), 1u);
  const std::string name = w.analysisRuns()[0]["metadata"]["name"];
  w.rollout()["status"]["canary"].erase("currentStepAnalysisRunStatus");  // the lagging cache
  w.reconcile();
  ASSERT_EQ(w.analysisRuns().size(), 1u) << w.analysisRuns().back()["metadata"]["name"];
  EXPECT_FALSE(w.analysisRuns()[0]["spec"].value("terminate", false));
  EXPECT_EQ(w.status().canary.currentStepAnalysisRunStatus->name, name);
}

TEST(CanaryPlanTest, UpdateDuringUpdate) {
  World w(testing::basicRollout(5, steps()));
  auto [v1, v2] = startUpdate(w);
  w.setImage("v3");
  w.settle();
  const std::string v3 = hashOf(w);
  auto s = w.status();
  EXPECT_EQ(*s.currentStepIndex, 1);
  EXPECT_EQ(s.currentPodHash, v3);
  EXPECT_EQ(w.replicasOf(v2), 0);
  EXPECT_EQ(w.replicasOf(v3), 1);
  EXPECT_EQ(w.replicasOf(v1), 4);
}

TEST(CanaryPlanTest, ProgressDeadlineWithNeverReadyPods) {
  json ro = testing::basicRollout(5, steps());
  ro["spec"]["progressDeadlineSeconds"] = 30;
  World w(ro);
  w.settle();
  w.podsReady = false;
  w.setImage("v2");
  w.settle();
  EXPECT_EQ(w.status().phase, "Progressing");
  ASSERT_TRUE(w.requeueAt.has_value());
  w.now = *w.requeueAt;
  w.settle();
  auto s = w.status();
  EXPECT_EQ(s.phase, "Degraded");
  EXPECT_EQ(s.message, "ProgressDeadlineExceeded: ReplicaSet \"web-" + hashOf(w) +
                           "\" has timed out progressing.");
  EXPECT_FALSE(s.abort);
}

TEST(CanaryPlanTest, ProgressDeadlineAbort) {
  json ro = testing::basicRollout(5, steps());
  ro["spec"]["progressDeadlineSeconds"] = 30;
  ro["spec"]["progressDeadlineAbort"] = true;
  World w(ro);
  w.settle();
  w.podsReady = false;
  w.setImage("v2");
  w.settle();
  w.now = *w.requeueAt;
  w.settle();
  auto s = w.status();
  EXPECT_TRUE(s.abort);
  EXPECT_EQ(s.phase, "Degraded");
  EXPECT_EQ(s.message.rfind("RolloutAborted: Rollout aborted update to revision 2: ReplicaSet", 0),
            0u)
      << s.message;
}

TEST(CanaryPlanTest, ManualPauseHaltsScaling) {
  World w(testing::basicRollout(5, steps()));
  w.settle();
  w.rollout()["spec"]["paused"] = true;
  w.setImage("v2");
  w.settle();
  auto s = w.status();
  EXPECT_EQ(s.phase, "Paused");
  EXPECT_EQ(s.message, "manually paused");
  EXPECT_EQ(w.replicasOf(hashOf(w)), 0);
}

// A spec.replicas change during a manual pause (an HPA) is a scaling event: the ReplicaSets take
// the step's counts for the new size at once, and the step does not advance. Argo's canary waits
// for the pause to end (argo-rollouts #4261); Vane departs on purpose.
TEST(CanaryPlanTest, ScalingEventDuringManualPauseIsApplied) {
  World w(testing::basicRollout(4, json::parse(R"([{"setWeight":25},{"pause":{}}])")));
  w.settle();
  const std::string v1 = hashOf(w);
  w.setImage("v2");
  w.settle();
  const std::string v2 = hashOf(w);
  ASSERT_EQ(w.replicasOf(v2), 1);
  ASSERT_EQ(w.replicasOf(v1), 3);
  w.rollout()["spec"]["paused"] = true;
  w.bumpGeneration();
  w.settle();
  w.rollout()["spec"]["replicas"] = 8;
  w.bumpGeneration();
  w.settle();
  EXPECT_EQ(w.replicasOf(v2), 2);
  EXPECT_EQ(w.replicasOf(v1), 6);
  EXPECT_EQ(*w.status().currentStepIndex, 1);
  EXPECT_EQ(w.status().message, "manually paused");
  w.rollout()["spec"]["replicas"] = 4;
  w.bumpGeneration();
  w.settle();
  EXPECT_EQ(w.replicasOf(v2), 1);
  EXPECT_EQ(w.replicasOf(v1), 3);
  EXPECT_EQ(*w.status().currentStepIndex, 1);
  // Without a scaling event the pause still holds everything.
  const size_t scaled = w.events().size();
  w.settle();
  for (size_t i = scaled; i < w.events().size(); ++i) {
    EXPECT_NE(w.events()[i].reason, kEventScalingReplicaSet);
  }
}

TEST(CanaryPlanTest, InvalidSpecIsDegraded) {
  json bad = steps();
  bad[0]["setWeight"] = 120;
  World w(testing::basicRollout(5, bad));
  w.settle();
  auto s = w.status();
  EXPECT_EQ(s.phase, "Degraded");
  EXPECT_EQ(s.message,
            "InvalidSpec: The Rollout \"web\" is invalid: spec.strategy.canary.steps[0].setWeight: "
            "Invalid value: 120: SetWeight needs to be between 0 and 100");
  EXPECT_TRUE(w.replicaSets().empty());
}

TEST(CanaryPlanTest, ServicesFollowHashes) {
  World w(testing::basicRollout(5, steps(), {{"canaryService", "c"}, {"stableService", "s"}}));
  w.services()["c"] = "";
  w.services()["s"] = "";
  auto [v1, v2] = startUpdate(w);
  EXPECT_EQ(w.services()["s"], v1);
  EXPECT_EQ(w.services()["c"], v2);
  w.patchStatus({{"abort", true}});
  w.settle();
  EXPECT_EQ(w.services()["c"], v1);
}

json analysisSteps() {
  return json::parse(R"([{"setWeight":20},{"analysis":{"templates":[{"templateName":"t"}]}},
                         {"setWeight":60}])");
}

TEST(CanaryPlanTest, StepAnalysisSuccessAdvances) {
  World w(testing::basicRollout(5, analysisSteps()));
  auto [v1, v2] = startUpdate(w);
  ASSERT_EQ(w.analysisRuns().size(), 1u);
  json& run = w.analysisRuns()[0];
  EXPECT_EQ(run["metadata"]["name"], "web-" + v2 + "-2-1");
  EXPECT_EQ(*w.status().currentStepIndex, 1);
  EXPECT_EQ(w.status().canary.currentStepAnalysisRunStatus->name, "web-" + v2 + "-2-1");
  run["status"] = {{"phase", "Successful"}};
  w.settle();
  EXPECT_EQ(w.status().phase, "Healthy");
  EXPECT_EQ(w.status().stableRS, v2);
}

TEST(CanaryPlanTest, StepAnalysisFailureAbortsNamingTheMetric) {
  World w(testing::basicRollout(5, analysisSteps()));
  auto [v1, v2] = startUpdate(w);
  ASSERT_EQ(w.analysisRuns().size(), 1u);
  w.analysisRuns()[0]["status"] = {
      {"phase", "Failed"},
      {"metricResults", json::array({{{"name", "error-rate"}, {"phase", "Failed"}}})}};
  w.settle();
  auto s = w.status();
  EXPECT_TRUE(s.abort);
  EXPECT_EQ(s.phase, "Degraded");
  EXPECT_EQ(s.message,
            "RolloutAborted: Rollout aborted update to revision 2: Step-based analysis phase "
            "error/failed: Metric \"error-rate\" assessed Failed");
  EXPECT_EQ(w.replicasOf(v2), 0);
  EXPECT_EQ(w.replicasOf(v1), 5);
  // Retry creates a new run rather than re-reading the failed one.
  w.patchStatus({{"abort", false}});
  w.settle();
  EXPECT_FALSE(w.status().abort);
  ASSERT_EQ(w.analysisRuns().size(), 2u);
  EXPECT_EQ(w.analysisRuns()[1]["metadata"]["name"], "web-" + v2 + "-2-1.1");
}

TEST(CanaryPlanTest, InconclusiveAnalysisPauses) {
  World w(testing::basicRollout(5, analysisSteps()));
  auto [v1, v2] = startUpdate(w);
  w.analysisRuns()[0]["status"] = {{"phase", "Inconclusive"}};
  w.settle();
  auto s = w.status();
  EXPECT_EQ(s.phase, "Paused");
  EXPECT_EQ(s.message, "InconclusiveAnalysisRun");
}

TEST(ValidationTest, Messages) {
  auto check = [](json patch, const std::string& want) {
    json ro = testing::basicRollout(5, steps());
    ro.merge_patch(patch);
    auto r = kube::decodeRollout(ro);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(validateRollout(*r), want.empty() ? "" : "The Rollout \"web\" is invalid: " + want);
  };
  check(json::object(), "");
  check({{"spec", {{"selector", nullptr}}}},
        "spec.selector: Required value: Rollout has missing field '.spec.selector'");
  check({{"spec", {{"strategy", {{"canary", {{"maxSurge", 0}, {"maxUnavailable", 0}}}}}}}},
        "spec.strategy.canary.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can "
        "not be zero");
  check({{"spec", {{"strategy", {{"canary", {{"trafficRouting", {{"istio", json::object()}}}}}}}}}},
        "spec.strategy.canary.trafficRouting: Invalid value: {\"istio\":{}}: Canary service and "
        "Stable service must to be set to use Traffic Routing");
  check({{"spec", {{"strategy", {{"canary", {{"steps", json::array({json::object()})}}}}}}}},
        "spec.strategy.canary.steps[0]: Invalid value: {}: Step must have one of the following "
        "set: experiment, setWeight, setCanaryScale, plugin or pause");
  check({{"spec",
          {{"strategy",
            {{"canary", {{"steps", json::array({{{"setHeaderRoute", {{"name", "h"}}}}})}}}}}}}},
        "spec.strategy.canary.steps[0].setHeaderRoute: Invalid value: {\"name\":\"h\"}: "
        "SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix");
}

TEST(HashTest, SafeEncodeAndStability) {
  EXPECT_EQ(safeEncode("0123"), "4567");
  json t1 =
      json::parse(R"({"metadata":{"labels":{"app":"a"}},"spec":{"containers":[{"name":"c"}]}})");
  json t2 = json::parse(R"({"spec":{"containers":[{"name":"c"}]},"metadata":{"labels":{"app":"a",
      "rollouts-pod-template-hash":"zzz"},"creationTimestamp":null}})");
  EXPECT_EQ(podTemplateHash(t1), podTemplateHash(t2));
  EXPECT_TRUE(templatesEqual(t1, t2));
  EXPECT_NE(podTemplateHash(t1), podTemplateHash(t1, 1));
  t2["spec"]["containers"][0]["image"] = "x";
  EXPECT_FALSE(templatesEqual(t1, t2));
  EXPECT_EQ(fnv32a(""), 2166136261u);
  EXPECT_EQ(fnv32a("a"), 0xe40c292cu);
}

}  // namespace
}  // namespace vane::controller
