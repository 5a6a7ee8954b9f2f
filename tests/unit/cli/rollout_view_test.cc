#include "cli/rollout_view.h"

#include <gtest/gtest.h>

#include "cli/table.h"
#include "kube/types.h"

namespace vane::cli {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1795000000;  // 2026-11-18T11:06:40Z
std::string ago(int64_t s) { return kube::formatTime(kNow - s); }

json rollout() {
  return json::parse(R"({
    "metadata": {"name": "canary-demo", "namespace": "jesse-test", "uid": "ro-uid",
                 "generation": 31},
    "spec": {"replicas": 5, "strategy": {"canary": {"steps": [
      {"setWeight": 20}, {"pause": {}}, {"setWeight": 40}, {"pause": {"duration": 10}}]}},
      "template": {"spec": {"containers": [{"name": "app", "image": "demo:blue"}]}}},
    "status": {"observedGeneration": "31", "phase": "Degraded",
      "message": "ProgressDeadlineExceeded: ReplicaSet \"canary-demo-65fb5ffc84\" has timed out progressing.",
      "currentStepIndex": 0, "currentPodHash": "65fb5ffc84", "stableRS": "877894d5b",
      "replicas": 6, "updatedReplicas": 1, "readyReplicas": 5, "availableReplicas": 5}})");
}

json replicaSet(const std::string& hash, int rev, int replicas, int available,
                const std::string& image) {
  json rs = {
      {"metadata",
       {{"name", "canary-demo-" + hash},
        {"uid", "rs-" + hash},
        {"generation", 1},
        {"creationTimestamp", ago(7 * 86400)},
        {"labels", {{"rollouts-pod-template-hash", hash}}},
        {"annotations", {{"rollout.argoproj.io/revision", std::to_string(rev)}}},
        {"ownerReferences", {{{"uid", "ro-uid"}, {"controller", true}}}}}},
      {"spec",
       {{"replicas", replicas},
        {"template", {{"spec", {{"containers", {{{"name", "app"}, {"image", image}}}}}}}}}},
      {"status",
       {{"replicas", replicas}, {"availableReplicas", available}, {"observedGeneration", 1}}}};
  return rs;
}

json pod(const std::string& name, const std::string& rs_hash, bool ready,
         const std::string& waiting = "") {
  json state = waiting.empty() ? json{{"running", json::object()}}
                               : json{{"waiting", {{"reason", waiting}}}};
  return {{"metadata",
           {{"name", name},
            {"creationTimestamp", ago(7 * 86400)},
            {"ownerReferences", {{{"uid", "rs-" + rs_hash}}}}}},
          {"spec", {{"containers", {{{"name", "app"}}}}}},
          {"status",
           {{"phase", waiting.empty() ? "Running" : "Pending"},
            {"containerStatuses", {{{"ready", ready}, {"state", state}, {"restartCount", 0}}}}}}};
}

TEST(RolloutPhase, GenerationAndUnpausingOverrideStatus) {
  json ro = rollout();
  EXPECT_EQ(rolloutPhase(ro).phase, "Degraded");
  ro["metadata"]["generation"] = 32;
  EXPECT_EQ(rolloutPhase(ro).message, "waiting for rollout spec update to be observed");
  ro["metadata"]["generation"] = 31;
  ro["status"]["controllerPause"] = true;
  EXPECT_EQ(rolloutPhase(ro).message, "waiting for rollout to unpause");
}

TEST(SetWeight, LastSetWeightAtOrBeforeStep) {
  json ro = rollout();
  EXPECT_EQ(currentSetWeight(ro), 20);
  ro["status"]["currentStepIndex"] = 3;
  EXPECT_EQ(currentSetWeight(ro), 40);
  ro["status"]["currentStepIndex"] = 4;
  EXPECT_EQ(currentSetWeight(ro), 100);
  ro["status"]["abort"] = true;
  EXPECT_EQ(currentSetWeight(ro), 0);
}

TEST(RenderRollout, MatchesArgosTreeFormat) {
  std::vector<json> sets = {replicaSet("65fb5ffc84", 31, 1, 0, "demo:does-not-exist"),
                            replicaSet("877894d5b", 30, 5, 5, "demo:green"),
                            replicaSet("859c99b45c", 29, 0, 0, "demo:blue")};
  std::vector<json> pods = {
      pod("canary-demo-65fb5ffc84-9wf5r", "65fb5ffc84", false, "ImagePullBackOff"),
      pod("canary-demo-877894d5b-6jfpt", "877894d5b", true)};
  json ro = rollout();
  ro["metadata"]["creationTimestamp"] = ago(7 * 86400);
  RolloutView view = buildRolloutView(ro, sets, pods, {});
  std::string text = renderRollout(view, kNow, false);
  const std::string expected =
      "Name:            canary-demo\n"
      "Namespace:       jesse-test\n"
      "Status:          ✖ Degraded\n"
      "Message:         ProgressDeadlineExceeded: ReplicaSet \"canary-demo-65fb5ffc84\" has "
      "timed out progressing.\n"
      "Strategy:        Canary\n"
      "  Step:          0/4\n"
      "  SetWeight:     20\n"
      "  ActualWeight:  0\n"
      "Images:          demo:does-not-exist (canary)\n"
      "                 demo:green (stable)\n"
      "Replicas:\n"
      "  Desired:       5\n"
      "  Current:       6\n"
      "  Updated:       1\n"
      "  Ready:         5\n"
      "  Available:     5\n"
      "\n"
      "NAME                                     KIND        STATUS              AGE  INFO\n"
      "⟳ canary-demo                            Rollout     ✖ Degraded          7d   \n"
      "├──# revision:31                                                              \n"
      "│  └──⧉ canary-demo-65fb5ffc84           ReplicaSet  ◌ Progressing       7d   canary\n"
      "│     └──□ canary-demo-65fb5ffc84-9wf5r  Pod         ⚠ ImagePullBackOff  7d   ready:0/1\n"
      "├──# revision:30                                                              \n"
      "│  └──⧉ canary-demo-877894d5b            ReplicaSet  ✔ Healthy           7d   stable\n"
      "│     └──□ canary-demo-877894d5b-6jfpt   Pod         ✔ Running           7d   ready:1/1\n"
      "└──# revision:29                                                              \n"
      "   └──⧉ canary-demo-859c99b45c           ReplicaSet  • ScaledDown        7d   \n";
  EXPECT_EQ(text, expected);
}

TEST(RenderRollout, ColorAndJson) {
  RolloutView view = buildRolloutView(rollout(), {replicaSet("877894d5b", 30, 5, 5, "g")}, {}, {});
  EXPECT_NE(renderRollout(view, kNow, true).find("\033[31m✖\033[0m Degraded"), std::string::npos);
  json j = rolloutViewJson(view);
  EXPECT_EQ(j["status"], "Degraded");
  EXPECT_EQ(j["replicaSets"][0]["stable"], true);
  EXPECT_EQ(j["replicas"]["desired"], 5);
}

TEST(RenderRollout, AnalysisRunsUnderTheirRevision) {
  json ar = {
      {"metadata",
       {{"name", "canary-demo-877894d5b-30"},
        {"annotations", {{"rollout.argoproj.io/revision", "30"}}},
        {"ownerReferences", {{{"uid", "ro-uid"}}}}}},
      {"status", {{"phase", "Failed"}, {"metricResults", {{{"successful", 2}, {"failed", 1}}}}}}};
  RolloutView view =
      buildRolloutView(rollout(), {replicaSet("877894d5b", 30, 5, 5, "g")}, {}, {ar});
  std::string text = renderRollout(view, kNow, false);
  EXPECT_NE(text.find("└──α canary-demo-877894d5b-30"), std::string::npos) << text;
  EXPECT_NE(text.find("AnalysisRun  ✖ Failed"), std::string::npos) << text;
  EXPECT_NE(text.find("✔ 2,✖ 1"), std::string::npos) << text;
}

TEST(RenderList, ArgoColumns) {
  json ro = rollout();
  ro["status"]["phase"] = "Paused";
  std::string out = renderRolloutList({ro}, true);
  EXPECT_EQ(out,
            "NAMESPACE   NAME         STRATEGY  STATUS  STEP  SET-WEIGHT  READY  DESIRED  "
            "UP-TO-DATE  AVAILABLE\n"
            "jesse-test  canary-demo  Canary    Paused  0/4   20          5/6    5        1"
            "           5\n");
}

TEST(Table, HumanDurationAndAlignment) {
  EXPECT_EQ(humanDuration(45), "45s");
  EXPECT_EQ(humanDuration(200), "3m20s");
  EXPECT_EQ(humanDuration(3600 * 5), "5h");
  EXPECT_EQ(humanDuration(86400 * 7), "7d");
  EXPECT_EQ(humanDuration(86400 * 3 + 3600 * 2), "3d2h");
  EXPECT_EQ(displayWidth("\033[32m✔\033[0m ok"), 4u);
  EXPECT_EQ(alignColumns({{"a", "bb", "c"}, {"ccc", "d", "e"}}), "a    bb  c\nccc  d   e\n");
}

}  // namespace
}  // namespace vane::cli
