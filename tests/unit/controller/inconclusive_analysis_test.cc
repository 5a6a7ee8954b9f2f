// An analysis that cannot decide never promotes (Argo rollout/analysis.go needsNewAnalysisRun,
// TestCanaryInconclusiveBackgroundAnalysis): an Inconclusive run, background or step, canary or
// blue-green, pauses the rollout with InconclusiveAnalysisRun until someone promotes (a new run
// starts then) or aborts; the end of a timed pause step does not clear it.
#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::World;

// Argo's rollout-background-analysis-inconclusive.yaml: setWeight 10, pause 30s, background
// analysis from step 1, two replicas.
json backgroundRollout() {
  json steps = json::array({{{"setWeight", 10}}, {{"pause", {{"duration", 30}}}}});
  json analysis = {{"templates", {{{"templateName", "web-background-inconclusive"}}}},
                   {"startingStep", 1}};
  return testing::basicRollout(2, steps, {{"analysis", analysis}});
}

std::vector<std::string> runNames(World& w) {
  std::vector<std::string> out;
  for (const auto& r : w.analysisRuns()) out.push_back(r["metadata"]["name"]);
  return out;
}

std::vector<std::string> pauseReasons(const kube::RolloutStatus& s) {
  std::vector<std::string> out;
  for (const auto& p : s.pauseConditions) out.push_back(p.reason);
  return out;
}

TEST(InconclusiveAnalysisTest, BackgroundRunPausesThroughTheTimedPauseUntilPromoted) {
  World w(backgroundRollout());
  w.settle();
  const std::string v1 = testing::hashOf(w);
  w.setImage("v2");
  w.settle();
  const std::string v2 = testing::hashOf(w);
  ASSERT_EQ(w.analysisRuns().size(), 1u);
  EXPECT_EQ(w.status().phase, "Paused");
  EXPECT_EQ(pauseReasons(w.status()), std::vector<std::string>{kPauseCanaryStep});

  w.analysisRuns()[0]["status"] = {{"phase", "Inconclusive"}};
  w.now += 5;
  w.settle();
  // The run is kept, not replaced, and the rollout pauses for it.
  EXPECT_EQ(runNames(w), std::vector<std::string>{"web-" + v2 + "-2"});
  auto s = w.status();
  EXPECT_EQ(pauseReasons(s),
            (std::vector<std::string>{kPauseCanaryStep, kPauseInconclusiveAnalysis}));
  EXPECT_TRUE(s.controllerPause);
  EXPECT_EQ(s.phase, "Paused");
  EXPECT_EQ(s.canary.currentBackgroundAnalysisRunStatus->status, "Inconclusive");

  // The timed pause ends: the step completes, but the rollout stays paused on the analysis and
  // neither scales nor promotes.
  w.now += 60;
  w.settle();
  s = w.status();
  EXPECT_EQ(pauseReasons(s), std::vector<std::string>{kPauseInconclusiveAnalysis});
  EXPECT_EQ(s.phase, "Paused");
  EXPECT_EQ(s.message, "InconclusiveAnalysisRun");
  EXPECT_EQ(s.stableRS, v1);
  EXPECT_EQ(w.replicasOf(v2), 1);
  EXPECT_EQ(w.replicasOf(v1), 2);
  EXPECT_EQ(w.analysisRuns().size(), 1u);
  const auto paused = s.condition(kConditionPaused);
  ASSERT_NE(paused, nullptr);
  EXPECT_EQ(paused->status, "True");
  w.now += 600;
  w.settle();
  EXPECT_EQ(w.status().stableRS, v1);
  EXPECT_EQ(w.analysisRuns().size(), 1u);

  // Promote (kubectl vane promote clears the pause conditions): a new background run starts and
  // the update goes on; it completes once the new run has not stopped it.
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  ASSERT_EQ(w.analysisRuns().size(), 2u);
  EXPECT_EQ(w.analysisRuns()[1]["metadata"]["name"], "web-" + v2 + "-2.1");
  EXPECT_EQ(w.status().stableRS, v2);
  EXPECT_EQ(w.status().phase, "Healthy");
}

TEST(InconclusiveAnalysisTest, AbortEndsTheInconclusivePause) {
  World w(backgroundRollout());
  w.settle();
  const std::string v1 = testing::hashOf(w);
  w.setImage("v2");
  w.settle();
  w.analysisRuns()[0]["status"] = {{"phase", "Inconclusive"}};
  w.settle();
  ASSERT_TRUE(w.status().hasPauseCondition(kPauseInconclusiveAnalysis));
  w.patchStatus({{"abort", true}});
  w.settle();
  auto s = w.status();
  EXPECT_TRUE(s.abort);
  EXPECT_TRUE(s.pauseConditions.empty());
  EXPECT_EQ(s.phase, "Degraded");
  EXPECT_EQ(w.replicasOf(v1), 2);
  EXPECT_EQ(w.analysisRuns().size(), 1u);
}

// A step analysis that ends Inconclusive: paused, the step not completed; promote starts a new
// run of the same step.
TEST(InconclusiveAnalysisTest, StepRunPausesAndPromoteStartsANewRun) {
  json steps = json::array({{{"setWeight", 20}},
                            {{"analysis", {{"templates", {{{"templateName", "t"}}}}}}},
                            {{"setWeight", 60}}});
  World w(testing::basicRollout(5, steps));
  w.settle();
  w.setImage("v2");
  w.settle();
  const std::string v2 = testing::hashOf(w);
  ASSERT_EQ(w.analysisRuns().size(), 1u);
  w.analysisRuns()[0]["status"] = {{"phase", "Inconclusive"}};
  w.settle();
  auto s = w.status();
  EXPECT_EQ(*s.currentStepIndex, 1);
  EXPECT_EQ(s.message, "InconclusiveAnalysisRun");
  EXPECT_EQ(w.analysisRuns().size(), 1u);
  w.now += 3600;
  w.settle();
  EXPECT_EQ(*w.status().currentStepIndex, 1);
  EXPECT_EQ(w.replicasOf(v2), 1);

  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  ASSERT_EQ(w.analysisRuns().size(), 2u);
  EXPECT_EQ(w.analysisRuns()[1]["metadata"]["name"], "web-" + v2 + "-2-1.1");
  EXPECT_EQ(*w.status().currentStepIndex, 1);
  EXPECT_FALSE(w.status().hasPauseCondition(kPauseInconclusiveAnalysis));
  w.analysisRuns()[1]["status"] = {{"phase", "Successful"}};
  w.settle();
  EXPECT_EQ(w.status().stableRS, v2);
}

// Blue-green (setPauseOrAbortForBlueGreen): an Inconclusive pre-promotion run pauses before the
// switch, an Inconclusive post-promotion run before the new version becomes stable; promote
// starts a new run in either case.
World blueGreenWorld(const char* key) {
  json ro = testing::basicRollout(2, json::array());
  ro["spec"]["strategy"] = {{"blueGreen",
                             {{"activeService", "web-active"},
                              {"previewService", "web-preview"},
                              {key, {{"templates", {{{"templateName", "smoke"}}}}}}}}};
  World w(ro);
  w.services()["web-active"] = "";
  w.services()["web-preview"] = "";
  return w;
}

TEST(InconclusiveAnalysisTest, BlueGreenPrePromotionRunPausesBeforeTheSwitch) {
  World w = blueGreenWorld("prePromotionAnalysis");
  w.settle();
  const std::string v1 = testing::hashOf(w);
  w.setImage("v2");
  w.settle();
  const std::string v2 = testing::hashOf(w);
  ASSERT_EQ(runNames(w), std::vector<std::string>{"web-" + v2 + "-2-pre"});
  w.analysisRuns()[0]["status"] = {{"phase", "Inconclusive"}};
  w.settle();
  w.now += 3600;
  w.settle();
  auto s = w.status();
  EXPECT_EQ(pauseReasons(s), std::vector<std::string>{kPauseInconclusiveAnalysis});
  EXPECT_EQ(s.phase, "Paused");
  EXPECT_EQ(s.message, "InconclusiveAnalysisRun");
  EXPECT_EQ(w.services()["web-active"], v1);
  EXPECT_EQ(w.analysisRuns().size(), 1u);

  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  ASSERT_EQ(runNames(w),
            (std::vector<std::string>{"web-" + v2 + "-2-pre", "web-" + v2 + "-2-pre.1"}));
  EXPECT_EQ(w.services()["web-active"], v1);
  w.analysisRuns()[1]["status"] = {{"phase", "Successful"}};
  w.settle();
  EXPECT_EQ(w.services()["web-active"], v2);
  EXPECT_EQ(w.status().stableRS, v2);
}

TEST(InconclusiveAnalysisTest, BlueGreenPostPromotionRunPausesBeforeStable) {
  World w = blueGreenWorld("postPromotionAnalysis");
  w.settle();
  const std::string v1 = testing::hashOf(w);
  w.setImage("v2");
  w.settle();
  const std::string v2 = testing::hashOf(w);
  ASSERT_EQ(runNames(w), std::vector<std::string>{"web-" + v2 + "-2-post"});
  w.analysisRuns()[0]["status"] = {{"phase", "Inconclusive"}};
  w.settle();
  w.now += 3600;
  w.settle();
  auto s = w.status();
  EXPECT_EQ(pauseReasons(s), std::vector<std::string>{kPauseInconclusiveAnalysis});
  EXPECT_EQ(s.phase, "Paused");
  EXPECT_EQ(s.stableRS, v1);
  EXPECT_EQ(w.analysisRuns().size(), 1u);

  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  ASSERT_EQ(w.analysisRuns().size(), 2u);
  EXPECT_EQ(w.analysisRuns()[1]["metadata"]["name"], "web-" + v2 + "-2-post.1");
  w.analysisRuns()[1]["status"] = {{"phase", "Successful"}};
  w.settle();
  EXPECT_EQ(w.status().stableRS, v2);
  EXPECT_EQ(w.status().phase, "Healthy");
}

}  // namespace
}  // namespace vane::controller
