#include "cli/rollout_view.h"

#include <gtest/gtest.h>

#include "analysis/judge/judge.h"
#include "analysis/judge_provider.h"
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
                const std::string& image, const std::string& prefix = "canary-demo",
                const std::string& owner = "ro-uid") {
  json rs = {
      {"metadata",
       {{"name", prefix + "-" + hash},
        {"uid", "rs-" + hash},
        {"generation", 1},
        {"creationTimestamp", ago(7 * 86400)},
        {"labels", {{"rollouts-pod-template-hash", hash}}},
        {"annotations", {{"rollout.argoproj.io/revision", std::to_string(rev)}}},
        {"ownerReferences", {{{"uid", owner}, {"controller", true}}}}}},
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

// A vane.dev/judge measurement (its metadata as the provider writes it, from the real judge):
// the run shows its score, and each judged metric a row with its classification and explanation.
TEST(RenderRollout, JudgedMetricsUnderTheirAnalysisRun) {
  std::mt19937_64 rng(1);
  std::vector<double> base, slow, same;
  for (int i = 0; i < 40; ++i) {
    base.push_back(100 + i % 7);
    slow.push_back(125 + i % 7);
    same.push_back(100 + (i + 3) % 7);
  }
  judge::MetricConfig latency, errors;
  latency.name = "latency";
  errors.name = "errors";
  latency.groups = errors.groups = {"perf"};
  const judge::Thresholds t;
  judge::JudgeResult r = judge::scoreMetrics(
      {judge::judgeMetric(latency, slow, base, rng), judge::judgeMetric(errors, same, base, rng)},
      {}, t);
  json metadata = {{"judgement", analysis::judgeResultToJson(r, t).dump()}};
  for (const auto& m : r.metrics) metadata[m.name] = judge::explain(m);
  json ar = {{"metadata",
              {{"name", "canary-demo-877894d5b-30-judge"},
               {"annotations", {{"rollout.argoproj.io/revision", "30"}}},
               {"ownerReferences", {{{"uid", "ro-uid"}}}}}},
             {"status",
              {{"phase", "Failed"},
               {"metricResults",
                {{{"name", "judge"},
                  {"failed", 1},
                  {"measurements", {{{"phase", "Failed"}, {"metadata", metadata}}}}}}}}}};
  RolloutView view =
      buildRolloutView(rollout(), {replicaSet("877894d5b", 30, 5, 5, "g")}, {}, {ar});
  ASSERT_EQ(view.analysisRuns.size(), 1u);
  ASSERT_EQ(view.analysisRuns[0].judged.size(), 2u);
  EXPECT_EQ(view.analysisRuns[0].judgeScore, "50");
  std::string text = renderRollout(view, kNow, false);
  EXPECT_NE(text.find("✖ 1,score 50"), std::string::npos) << text;
  EXPECT_NE(text.find("   ├──⚖ latency"), std::string::npos) << text;
  EXPECT_NE(text.find("Judgement    ✖ High"), std::string::npos) << text;
  EXPECT_NE(text.find("canary-baseline 98% CI ["), std::string::npos) << text;
  EXPECT_NE(text.find("   └──⚖ errors"), std::string::npos) << text;
  EXPECT_NE(text.find("Judgement    ✔ Pass"), std::string::npos) << text;
  EXPECT_EQ(rolloutViewJson(view)["analysisRuns"][0]["judged"][0]["classification"], "High");
}

TEST(RenderList, ArgoColumns) {
  json ro = rollout();
  ro["status"]["phase"] = "Paused";
  std::string out = renderRolloutList({ro}, true);
  // Each value padded to Argo's minimum width (%-10s %-9s %-12s ...), then aligned.
  EXPECT_EQ(out,
            "NAMESPACE   NAME         STRATEGY   STATUS        STEP  SET-WEIGHT  READY  DESIRED  "
            "UP-TO-DATE  AVAILABLE\n"
            "jesse-test  canary-demo  Canary     Paused        0/4   20          5/6    5        "
            "1           5        \n");
}

TEST(RenderList, BlueGreenHasNoStepOrWeight) {
  json ro = rollout();
  ro["spec"]["strategy"] = {{"blueGreen", {{"activeService", "active"}}}};
  std::vector<std::string> row = rolloutListRow(ro, false);
  EXPECT_EQ(row[1], "BlueGreen");
  EXPECT_EQ(row[3], "-   ");
  EXPECT_EQ(row[4], "-         ");
}

// Lines with their trailing spaces removed (our tabwriter pads empty last cells).
std::string trimLines(const std::string& text) {
  std::string out, line;
  for (char c : text) {
    if (c != '\n') {
      line += c;
      continue;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
    line.clear();
  }
  return out;
}

// Argo's TestGetBlueGreenRollout (cmd/get/get_test.go), from a hand-written blue-green status.
TEST(RenderRollout, BlueGreenMatchesArgosTree) {
  json ro = json::parse(R"({
    "metadata": {"name": "bluegreen-demo", "namespace": "jesse-test", "uid": "bg-uid",
                 "generation": 12},
    "spec": {"replicas": 3, "strategy": {"blueGreen": {"activeService": "bluegreen-demo",
             "previewService": "bluegreen-demo-preview", "autoPromotionEnabled": false}},
      "template": {"spec": {"containers": [{"name": "app", "image": "argoproj/rollouts-demo:green"}]}}},
    "status": {"observedGeneration": "12", "phase": "Paused", "message": "BlueGreenPause",
      "currentPodHash": "74b948fccb", "stableRS": "6cbccd9f99", "controllerPause": true,
      "pauseConditions": [{"reason": "BlueGreenPause", "startTime": "2026-11-18T11:00:00Z"}],
      "blueGreen": {"activeSelector": "6cbccd9f99", "previewSelector": "74b948fccb"},
      "replicas": 6, "updatedReplicas": 3, "readyReplicas": 6, "availableReplicas": 3}})");
  ro["metadata"]["creationTimestamp"] = ago(7 * 86400);
  const std::string kPrefix = "bluegreen-demo";
  std::vector<json> sets = {
      replicaSet("74b948fccb", 11, 3, 3, "argoproj/rollouts-demo:green", kPrefix, "bg-uid"),
      replicaSet("6cbccd9f99", 10, 3, 3, "argoproj/rollouts-demo:blue", kPrefix, "bg-uid"),
      replicaSet("746d5fddf6", 8, 0, 0, "argoproj/rollouts-demo:blue", kPrefix, "bg-uid")};
  std::vector<json> pods;
  for (const char* p : {"5jz59", "mkhrl", "vvj2t"}) {
    pods.push_back(pod(kPrefix + "-74b948fccb-" + p, "74b948fccb", true));
  }
  for (const char* p : {"gk78v", "kxj8g", "t2d4f"}) {
    pods.push_back(pod(kPrefix + "-6cbccd9f99-" + p, "6cbccd9f99", true));
  }
  RolloutView view = buildRolloutView(ro, sets, pods, {});
  EXPECT_EQ(view.strategy, "BlueGreen");
  EXPECT_EQ(view.step, "");
  EXPECT_EQ(trimLines(renderRollout(view, kNow, false)),
            R"(Name:            bluegreen-demo
Namespace:       jesse-test
Status:          ॥ Paused
Message:         BlueGreenPause
Strategy:        BlueGreen
Images:          argoproj/rollouts-demo:blue (stable, active)
                 argoproj/rollouts-demo:green (preview)
Replicas:
  Desired:       3
  Current:       6
  Updated:       3
  Ready:         6
  Available:     3

NAME                                        KIND        STATUS        AGE  INFO
⟳ bluegreen-demo                            Rollout     ॥ Paused      7d
├──# revision:11
│  └──⧉ bluegreen-demo-74b948fccb           ReplicaSet  ✔ Healthy     7d   preview
│     ├──□ bluegreen-demo-74b948fccb-5jz59  Pod         ✔ Running     7d   ready:1/1
│     ├──□ bluegreen-demo-74b948fccb-mkhrl  Pod         ✔ Running     7d   ready:1/1
│     └──□ bluegreen-demo-74b948fccb-vvj2t  Pod         ✔ Running     7d   ready:1/1
├──# revision:10
│  └──⧉ bluegreen-demo-6cbccd9f99           ReplicaSet  ✔ Healthy     7d   stable,active
│     ├──□ bluegreen-demo-6cbccd9f99-gk78v  Pod         ✔ Running     7d   ready:1/1
│     ├──□ bluegreen-demo-6cbccd9f99-kxj8g  Pod         ✔ Running     7d   ready:1/1
│     └──□ bluegreen-demo-6cbccd9f99-t2d4f  Pod         ✔ Running     7d   ready:1/1
└──# revision:8
   └──⧉ bluegreen-demo-746d5fddf6           ReplicaSet  • ScaledDown  7d
)");
  json j = rolloutViewJson(view);
  EXPECT_EQ(j["replicaSets"][0]["preview"], true);
  EXPECT_EQ(j["replicaSets"][1]["active"], true);
  EXPECT_EQ(j["replicaSets"][1]["stable"], true);
}

TEST(RenderRollout, BlueGreenAfterPromotionIsActiveAndStable) {
  json ro = rollout();
  ro["spec"]["strategy"] = {{"blueGreen", {{"activeService", "active"}}}};
  ro["status"] = {{"phase", "Healthy"},
                  {"stableRS", "877894d5b"},
                  {"currentPodHash", "877894d5b"},
                  {"blueGreen", {{"activeSelector", "877894d5b"}}},
                  {"replicas", 5},
                  {"availableReplicas", 5}};
  RolloutView view = buildRolloutView(ro,
                                      {replicaSet("877894d5b", 30, 5, 5, "demo:green"),
                                       replicaSet("65fb5ffc84", 29, 0, 0, "demo:blue")},
                                      {}, {});
  std::string text = renderRollout(view, kNow, false);
  EXPECT_EQ(text.find("Step:"), std::string::npos) << text;
  EXPECT_EQ(text.find("Weight"), std::string::npos) << text;
  EXPECT_NE(text.find("Images:          demo:green (stable, active)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ReplicaSet  ✔ Healthy     7d   stable,active\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("canary\n"), std::string::npos) << text;  // no canary tag
  EXPECT_EQ(text.find("(canary"), std::string::npos) << text;
  EXPECT_NE(renderRollout(view, kNow, true).find("\033[32mactive\033[0m"), std::string::npos);
}

json ownedBy(json obj, const std::string& uid) {
  obj["metadata"]["ownerReferences"] = {{{"uid", uid}, {"controller", true}}};
  return obj;
}

json experiment(const std::string& name, const std::string& phase, int revision) {
  return {{"metadata",
           {{"name", name},
            {"namespace", "jesse-test"},
            {"uid", "exp-" + name},
            {"creationTimestamp", ago(7 * 86400)},
            {"annotations", {{"rollout.argoproj.io/revision", std::to_string(revision)}}}}},
          {"spec", {{"templates", {{{"name", "canary-preview"}}}}}},
          {"status", {{"phase", phase}}}};
}

// Argo's TestGetRolloutWithExperimentJob without the Job rows (Vane has no Job provider yet).
TEST(RenderRollout, ExperimentNodeWithItsReplicaSetsAndAnalysisRuns) {
  json ro = rollout();
  ro["metadata"]["creationTimestamp"] = ago(7 * 86400);
  ro["spec"]["strategy"]["canary"]["steps"] =
      json::parse(R"([{"experiment": {"templates": [{"name": "canary-preview"}]}}])");
  ro["status"] = {{"phase", "Progressing"},  {"message", "more replicas need to be updated"},
                  {"currentStepIndex", 0},   {"currentPodHash", "645d5dbc4c"},
                  {"stableRS", "877894d5b"}, {"replicas", 5},
                  {"updatedReplicas", 0},    {"readyReplicas", 5},
                  {"availableReplicas", 5}};
  json exp = ownedBy(experiment("canary-demo-645d5dbc4c-2-0", "Running", 2), "ro-uid");
  json exp_rs = replicaSet("canary-preview", 0, 1, 1, "argoproj/rollouts-demo:blue",
                           "canary-demo-645d5dbc4c-2-0", "exp-canary-demo-645d5dbc4c-2-0");
  exp_rs["metadata"]["annotations"]["experiment.argoproj.io/template-name"] = "canary-preview";
  json ar = {{"metadata",
              {{"name", "canary-demo-645d5dbc4c-2-0-stress-test"},
               {"creationTimestamp", ago(7 * 86400)},
               {"ownerReferences", {{{"uid", "exp-canary-demo-645d5dbc4c-2-0"}}}}}},
             {"status", {{"phase", "Running"}}}};
  json not_owned = experiment("someone-elses", "Running", 2);
  std::vector<json> sets = {replicaSet("645d5dbc4c", 2, 0, 0, "argoproj/rollouts-demo:blue"),
                            exp_rs,
                            replicaSet("877894d5b", 1, 5, 5, "argoproj/rollouts-demo:green")};
  std::vector<json> pods = {
      pod("canary-demo-645d5dbc4c-2-0-canary-preview-zmmvz", "canary-preview", true),
      pod("canary-demo-877894d5b-n6xqz", "877894d5b", true),
      pod("canary-demo-877894d5b-nlmj9", "877894d5b", true)};
  RolloutView view = buildRolloutView(ro, sets, pods, {ar}, {exp, not_owned});
  ASSERT_EQ(view.experiments.size(), 1u);
  EXPECT_EQ(trimLines(renderRollout(view, kNow, false)),
            R"(Name:            canary-demo
Namespace:       jesse-test
Status:          ◌ Progressing
Message:         more replicas need to be updated
Strategy:        Canary
  Step:          0/1
  SetWeight:     0
  ActualWeight:  0
Images:          argoproj/rollouts-demo:blue (Σ:canary-preview)
                 argoproj/rollouts-demo:green (stable)
Replicas:
  Desired:       5
  Current:       5
  Updated:       0
  Ready:         5
  Available:     5

NAME                                                           KIND         STATUS         AGE  INFO
⟳ canary-demo                                                  Rollout      ◌ Progressing  7d
├──# revision:2
│  ├──⧉ canary-demo-645d5dbc4c                                 ReplicaSet   • ScaledDown   7d   canary
│  └──Σ canary-demo-645d5dbc4c-2-0                             Experiment   ◌ Running      7d
│     ├──⧉ canary-demo-645d5dbc4c-2-0-canary-preview           ReplicaSet   ✔ Healthy      7d
│     │  └──□ canary-demo-645d5dbc4c-2-0-canary-preview-zmmvz  Pod          ✔ Running      7d   ready:1/1
│     └──α canary-demo-645d5dbc4c-2-0-stress-test              AnalysisRun  ◌ Running      7d
└──# revision:1
   └──⧉ canary-demo-877894d5b                                  ReplicaSet   ✔ Healthy      7d   stable
      ├──□ canary-demo-877894d5b-n6xqz                         Pod          ✔ Running      7d   ready:1/1
      └──□ canary-demo-877894d5b-nlmj9                         Pod          ✔ Running      7d   ready:1/1
)");
  json j = rolloutViewJson(view);
  EXPECT_EQ(j["experiments"][0]["name"], "canary-demo-645d5dbc4c-2-0");
  EXPECT_EQ(j["experiments"][0]["analysisRuns"][0]["status"], "Running");
}

// Argo's TestGetExperiment.
TEST(RenderExperiment, MatchesArgosTree) {
  const std::string name = "rollout-experiment-analysis-6f646bf7b7-1-vcv27";
  json exp = experiment(name, "Running", 2);
  std::vector<json> sets = {
      replicaSet("canary-7699dcf5d", 0, 1, 1, "argoproj/rollouts-demo:yellow", name, "exp-" + name),
      replicaSet("baseline-7d768b8b5f", 0, 1, 1, "argoproj/rollouts-demo:blue", name,
                 "exp-" + name)};
  std::vector<json> pods = {pod(name + "-baseline-7dczdst", "baseline-7d768b8b5f", true),
                            pod(name + "-canary-7699vgr24", "canary-7699dcf5d", true)};
  ExperimentView view = buildExperimentView(exp, sets, pods, {}, kNow);
  EXPECT_EQ(trimLines(renderExperiment(view, kNow, false)),
            R"(Name:            rollout-experiment-analysis-6f646bf7b7-1-vcv27
Namespace:       jesse-test
Status:          ◌ Running
Images:          argoproj/rollouts-demo:blue
                 argoproj/rollouts-demo:yellow

NAME                                                                     KIND        STATUS     AGE  INFO
Σ rollout-experiment-analysis-6f646bf7b7-1-vcv27                         Experiment  ◌ Running  7d
├──⧉ rollout-experiment-analysis-6f646bf7b7-1-vcv27-baseline-7d768b8b5f  ReplicaSet  ✔ Healthy  7d
│  └──□ rollout-experiment-analysis-6f646bf7b7-1-vcv27-baseline-7dczdst  Pod         ✔ Running  7d   ready:1/1
└──⧉ rollout-experiment-analysis-6f646bf7b7-1-vcv27-canary-7699dcf5d     ReplicaSet  ✔ Healthy  7d
   └──□ rollout-experiment-analysis-6f646bf7b7-1-vcv27-canary-7699vgr24  Pod         ✔ Running  7d   ready:1/1
)");
  exp["status"]["message"] = "Experiment failed";
  exp["status"]["phase"] = "Failed";
  std::string failed = renderExperiment(buildExperimentView(exp, {}, {}, {}, kNow), kNow, false);
  EXPECT_NE(failed.find("Status:          ✖ Failed\nMessage:         Experiment failed\n"),
            std::string::npos)
      << failed;
}

TEST(RenderList, ExperimentColumnsWithDurationAndRemaining) {
  json running = experiment("exp-1", "Running", 1);
  running["spec"]["duration"] = "1h";
  running["status"]["availableAt"] = ago(600);
  json done = experiment("exp-2", "Successful", 1);
  done["spec"]["duration"] = "30m";
  done["status"]["availableAt"] = ago(600);  // completed: no REMAINING
  EXPECT_EQ(renderExperimentList({running, done}, false, kNow),
            "NAME        STATUS      DURATION  REMAINING  AGE\n"
            "exp-1       Running     60m       50m        7d \n"
            "exp-2       Successful  30m       -          7d \n");
  EXPECT_EQ(renderExperimentList({experiment("e", "Pending", 1)}, true, kNow),
            "NAMESPACE   NAME        STATUS   DURATION  REMAINING  AGE\n"
            "jesse-test  e           Pending  -         -          7d \n");
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
