// Experiments: the Experiment plan (planExperiment) driven through a small in-memory world that
// plays the ReplicaSet controller, and the canary experiment step driven through world.h.
#include "controller/experiment.h"

#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "controller/hash.h"
#include "controller/rollout_experiment.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::World;

// --- The Experiment object ---------------------------------------------------------------

json podTemplate(const std::string& image) {
  return {{"metadata", {{"labels", {{"app", "web"}}}}},
          {"spec", {{"containers", json::array({{{"name", "c"}, {"image", image}}})}}}};
}

json experiment(json spec_extra = json::object()) {
  json spec = {{"templates", json::array({{{"name", "baseline"},
                                           {"replicas", 2},
                                           {"selector", {{"matchLabels", {{"app", "web"}}}}},
                                           {"template", podTemplate("v1")}},
                                          {{"name", "canary"},
                                           {"selector", {{"matchLabels", {{"app", "web"}}}}},
                                           {"template", podTemplate("v2")}}})}};
  spec.merge_patch(spec_extra);
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Experiment"},
          {"metadata", {{"name", "ex"}, {"namespace", "default"}, {"uid", "ex-uid"}}},
          {"spec", spec}};
}

// Plays the ReplicaSet controller (pods available at once when ready) and the API server.
class ExWorld {
 public:
  explicit ExWorld(json ex) : ex_(std::move(ex)) {}
  json& experiment() { return ex_; }
  std::map<std::string, json>& replicaSets() { return rss_; }
  std::vector<json>& runs() { return runs_; }
  const json& status() const { return ex_["status"]; }
  std::string phase() const { return ex_["status"].value("phase", ""); }
  json templateStatus(const std::string& name) const {
    for (const auto& t : ex_["status"]["templateStatuses"]) {
      if (t["name"] == name) return t;
    }
    return nullptr;
  }
  json analysisStatus(const std::string& name) const {
    for (const auto& t : ex_["status"]["analysisRuns"]) {
      if (t["name"] == name) return t;
    }
    return nullptr;
  }
  int replicas(const std::string& tmpl) const {
    auto it = rss_.find(tmpl);
    return it == rss_.end() ? -1 : it->second["spec"].value("replicas", 0);
  }
  int64_t now = 1800000000;
  bool ready = true;
  std::optional<int64_t> requeueAt;
  std::vector<Action> last;
  std::vector<Event> events;

  void reconcile() {
    ExperimentContext ctx;
    ctx.experiment = ex_;
    ctx.templateRSs = rss_;
    ctx.analysisRuns = runs_;
    ctx.now = now;
    planExperiment(ctx);
    last = ctx.actions;
    for (const auto& e : ctx.events) events.push_back(e);
    for (const auto& a : ctx.actions) apply(a);
    ex_["status"] = ctx.newStatus;
    requeueAt = ctx.requeueAt;
    for (auto& [name, rs] : rss_) {
      const int n = rs["spec"].value("replicas", 0);
      rs["status"] = {
          {"replicas", n}, {"readyReplicas", ready ? n : 0}, {"availableReplicas", ready ? n : 0}};
    }
  }
  void settle(int n = 10) {
    for (int i = 0; i < n; ++i) {
      json before = ex_;
      reconcile();
      if (last.empty() && before == ex_) return;
    }
  }
  void setRunPhase(const std::string& run, const std::string& phase) {
    for (auto& r : runs_) {
      if (r["metadata"]["name"] == run) r["status"] = {{"phase", phase}};
    }
  }

 private:
  void apply(const Action& a) {
    switch (a.kind) {
      case Action::Kind::kCreateReplicaSet:
        rss_[a.body["metadata"]["annotations"][kAnnotationExperimentTemplate]] = a.body;
        break;
      case Action::Kind::kScaleReplicaSet:
        for (auto& [name, rs] : rss_) {
          if (rs["metadata"]["name"] == a.name) rs["spec"]["replicas"] = a.replicas;
        }
        break;
      case Action::Kind::kCreateAnalysisRun:
        runs_.push_back(
            {{"metadata", {{"name", a.name}}}, {"spec", {{"args", a.body["analysis"]["args"]}}}});
        break;
      case Action::Kind::kTerminateAnalysisRun:
        for (auto& r : runs_) {
          if (r["metadata"]["name"] == a.name) r["spec"]["terminate"] = true;
        }
        break;
      default:
        break;
    }
  }
  json ex_;
  std::map<std::string, json> rss_;
  std::vector<json> runs_;
};

TEST(ExperimentPlanTest, TemplatesRunForTheDurationThenScaleDown) {
  ExWorld w(experiment({{"duration", "30s"}}));
  w.reconcile();
  EXPECT_EQ(w.phase(), "Pending");
  ASSERT_EQ(w.replicaSets().size(), 2u);
  const json& rs = w.replicaSets()["baseline"];
  const std::string hash = podTemplateHash(podTemplate("v1"));
  EXPECT_EQ(rs["metadata"]["name"], "ex-baseline");
  EXPECT_EQ(rs["metadata"]["labels"]["rollouts-pod-template-hash"], hash);
  EXPECT_EQ(rs["spec"]["selector"]["matchLabels"]["rollouts-pod-template-hash"], hash);
  EXPECT_EQ(rs["spec"]["template"]["metadata"]["labels"]["rollouts-pod-template-hash"], hash);
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["kind"], "Experiment");
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["uid"], "ex-uid");
  EXPECT_EQ(rs["metadata"]["annotations"][kAnnotationExperimentName], "ex");
  EXPECT_EQ(w.replicas("baseline"), 2);
  EXPECT_EQ(w.replicas("canary"), 1);  // replicas default to 1

  w.reconcile();  // the ReplicaSets are available
  EXPECT_EQ(w.phase(), "Running");
  EXPECT_EQ(w.status()["availableAt"], kube::formatTime(w.now));
  json ts = w.templateStatus("baseline");
  EXPECT_EQ(ts["status"], "Running");
  EXPECT_EQ(ts["replicas"], 2);
  EXPECT_EQ(ts["updatedReplicas"], 2);
  EXPECT_EQ(ts["readyReplicas"], 2);
  EXPECT_EQ(ts["availableReplicas"], 2);
  EXPECT_FALSE(ts.value("lastTransitionTime", "").empty());
  ASSERT_TRUE(w.requeueAt.has_value());
  EXPECT_EQ(*w.requeueAt, w.now + 31);

  w.now += 10;
  w.reconcile();
  EXPECT_EQ(w.phase(), "Running");
  w.now += 21;
  w.reconcile();
  EXPECT_EQ(w.phase(), "Successful");
  EXPECT_EQ(w.templateStatus("canary")["status"], "Successful");
  EXPECT_EQ(w.replicas("baseline"), 2);
  w.settle();  // finished: scaled to 0
  EXPECT_EQ(w.replicas("baseline"), 0);
  EXPECT_EQ(w.replicas("canary"), 0);
  EXPECT_EQ(w.phase(), "Successful");
  EXPECT_FALSE(w.requeueAt.has_value());
}

json analyses(bool required) {
  json a = {{"name", "smoke"},
            {"templateName", "smoke-pass"},
            {"args",
             json::array({{{"name", "hash"}, {"value", "{{templates.canary.podTemplateHash}}"}}})}};
  if (required) a["requiredForCompletion"] = true;
  return json::array({a});
}

TEST(ExperimentPlanTest, RequiredAnalysisEndsTheExperiment) {
  ExWorld w(experiment({{"analyses", analyses(true)}}));
  w.reconcile();
  w.reconcile();
  EXPECT_EQ(w.phase(), "Running");
  EXPECT_TRUE(w.runs().empty());  // runs start once availableAt was recorded
  w.reconcile();
  ASSERT_EQ(w.runs().size(), 1u);
  EXPECT_EQ(w.runs()[0]["metadata"]["name"], "ex-smoke");
  EXPECT_EQ(w.runs()[0]["spec"]["args"][0]["value"], podTemplateHash(podTemplate("v2")));
  EXPECT_EQ(w.analysisStatus("smoke")["phase"], "Pending");
  EXPECT_EQ(w.analysisStatus("smoke")["analysisRun"], "ex-smoke");
  EXPECT_FALSE(w.requeueAt.has_value());  // no duration: runs until the analysis completes
  w.setRunPhase("ex-smoke", "Running");
  w.reconcile();
  EXPECT_EQ(w.analysisStatus("smoke")["phase"], "Running");
  EXPECT_EQ(w.phase(), "Running");
  w.setRunPhase("ex-smoke", "Successful");
  w.reconcile();
  EXPECT_EQ(w.phase(), "Successful");
  EXPECT_EQ(w.status()["message"], "Required AnalysisRuns completed");
  w.settle();
  EXPECT_EQ(w.replicas("baseline"), 0);
  EXPECT_EQ(w.replicas("canary"), 0);
}

TEST(ExperimentPlanTest, AStaleStatusAdoptsTheRunningRunInsteadOfADuplicate) {
  ExWorld w(experiment({{"analyses", analyses(true)}}));
  w.settle();
  ASSERT_EQ(w.runs().size(), 1u);
  w.setRunPhase("ex-smoke", "Running");
  w.experiment()["status"].erase("analysisRuns");  // read before the write that named the run
  w.reconcile();
  EXPECT_EQ(w.runs().size(), 1u);
  EXPECT_EQ(w.analysisStatus("smoke")["analysisRun"], "ex-smoke");
  EXPECT_EQ(w.analysisStatus("smoke")["phase"], "Running");
}

TEST(ExperimentPlanTest, FailedAnalysisFailsTheExperiment) {
  ExWorld w(experiment({{"duration", "1h"}, {"analyses", analyses(false)}}));
  w.settle();
  ASSERT_EQ(w.runs().size(), 1u);
  w.setRunPhase("ex-smoke", "Failed");
  w.runs()[0]["status"]["message"] = "metric smoke failed";
  w.reconcile();
  EXPECT_EQ(w.phase(), "Failed");
  EXPECT_EQ(w.status()["message"], "metric smoke failed");
  EXPECT_EQ(w.analysisStatus("smoke")["phase"], "Failed");
  bool warned = false;
  for (const auto& e : w.events) warned |= e.reason == "AnalysisRunFailed" && e.type == "Warning";
  EXPECT_TRUE(warned);
  w.settle();
  EXPECT_EQ(w.replicas("baseline"), 0);
  EXPECT_EQ(w.phase(), "Failed");
}

TEST(ExperimentPlanTest, TerminateEndsItSuccessfullyAndStopsTheRuns) {
  ExWorld w(experiment({{"analyses", analyses(false)}}));
  w.settle();
  ASSERT_EQ(w.runs().size(), 1u);
  w.setRunPhase("ex-smoke", "Running");
  w.reconcile();
  w.experiment()["spec"]["terminate"] = true;
  w.reconcile();
  EXPECT_EQ(w.runs()[0]["spec"].value("terminate", false), true);
  EXPECT_EQ(w.replicas("baseline"), 0);
  w.settle();
  EXPECT_EQ(w.phase(), "Successful");
  EXPECT_EQ(w.templateStatus("baseline")["status"], "Successful");
}

TEST(ExperimentPlanTest, ProgressDeadlineFailsATemplateThatNeverBecomesAvailable) {
  ExWorld w(experiment({{"progressDeadlineSeconds", 10}}));
  w.ready = false;
  w.settle();
  EXPECT_EQ(w.phase(), "Pending");
  EXPECT_EQ(w.templateStatus("baseline")["status"], "Progressing");
  ASSERT_TRUE(w.requeueAt.has_value());
  EXPECT_EQ(*w.requeueAt, w.now + 11);
  w.now += 11;
  w.reconcile();
  EXPECT_EQ(w.templateStatus("baseline")["status"], "Failed");
  EXPECT_EQ(w.templateStatus("baseline")["message"],
            "Template 'baseline' exceeded its progressDeadlineSeconds (10)");
  EXPECT_EQ(w.phase(), "Failed");
  EXPECT_EQ(w.status()["message"], "Template 'baseline' exceeded its progressDeadlineSeconds (10)");
  w.settle();
  EXPECT_EQ(w.replicas("canary"), 0);
}

// --- The canary experiment step -------------------------------------------------------------

json experimentSteps() {
  return json::parse(R"([{"setWeight":20},
    {"experiment":{"duration":"3s","templates":[
       {"name":"baseline","specRef":"stable"},
       {"name":"canary","specRef":"canary","replicas":2,"metadata":{"labels":{"role":"exp"}}}],
     "analyses":[{"name":"smoke","templateName":"smoke-pass","requiredForCompletion":true,
                  "args":[{"name":"hash","valueFrom":{"podTemplateHashValue":"Latest"}}]}]}},
    {"setWeight":40}])");
}

std::string hashOf(World& w) { return podTemplateHash(w.rollout()["spec"]["template"]); }

// Deploys v1 and starts v2 up to the experiment step; returns {stable, canary} hashes.
std::pair<std::string, std::string> toExperimentStep(World& w) {
  w.settle();
  const std::string v1 = hashOf(w);
  w.setImage("v2");
  w.settle();
  return {v1, hashOf(w)};
}

std::string currentExperiment(World& w) {
  return w.rollout()["status"]["canary"].value("currentExperiment", "");
}

void setPhase(World& w, const std::string& phase, const std::string& message = "") {
  ASSERT_FALSE(w.experiments().empty());
  w.experiments().back()["status"] = {{"phase", phase}};
  if (!message.empty()) w.experiments().back()["status"]["message"] = message;
}

TEST(ExperimentStepTest, CreatesTheExperimentAndCompletesWhenSuccessful) {
  World w(testing::basicRollout(5, experimentSteps()));
  auto [v1, v2] = toExperimentStep(w);
  EXPECT_EQ(*w.status().currentStepIndex, 1);
  ASSERT_EQ(w.experiments().size(), 1u);
  const json ex = w.experiments()[0];
  const std::string name = "web-" + v2 + "-2-1";
  EXPECT_EQ(ex["metadata"]["name"], name);
  EXPECT_EQ(currentExperiment(w), name);
  EXPECT_EQ(ex["metadata"]["labels"]["rollouts-pod-template-hash"], v2);
  EXPECT_EQ(ex["metadata"]["annotations"]["rollout.argoproj.io/revision"], "2");
  EXPECT_EQ(ex["metadata"]["ownerReferences"][0]["kind"], "Rollout");
  EXPECT_EQ(ex["metadata"]["ownerReferences"][0]["uid"], "uid-1");
  EXPECT_EQ(ex["spec"]["duration"], "3s");
  const json& t = ex["spec"]["templates"];
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0]["name"], "baseline");
  EXPECT_EQ(t[0]["template"]["spec"]["containers"][0]["image"], "v1");
  EXPECT_FALSE(t[0].contains("replicas"));
  EXPECT_EQ(t[1]["template"]["spec"]["containers"][0]["image"], "v2");
  EXPECT_EQ(t[1]["replicas"], 2);
  EXPECT_EQ(t[1]["template"]["metadata"]["labels"]["role"], "exp");
  EXPECT_EQ(t[1]["selector"]["matchLabels"]["role"], "exp");
  const json& a = ex["spec"]["analyses"][0];
  EXPECT_EQ(a["templateName"], "smoke-pass");
  EXPECT_EQ(a["requiredForCompletion"], true);
  EXPECT_EQ(a["args"][0]["value"], v2);
  EXPECT_FALSE(a["args"][0].contains("valueFrom"));

  // The step blocks while the experiment runs.
  setPhase(w, "Running");
  w.settle();
  EXPECT_EQ(*w.status().currentStepIndex, 1);
  EXPECT_EQ(w.status().phase, kPhaseProgressing);
  EXPECT_EQ(w.experiments().size(), 1u);

  setPhase(w, "Successful");
  w.settle();
  EXPECT_EQ(w.status().phase, kPhaseHealthy);
  EXPECT_EQ(w.status().stableRS, v2);
  EXPECT_EQ(currentExperiment(w), "");
  EXPECT_EQ(w.experiments().size(), 1u);
  EXPECT_FALSE(w.experiments()[0]["spec"].value("terminate", false));
}

TEST(ExperimentStepTest, ALongExperimentDoesNotExceedTheProgressDeadline) {
  World w(testing::basicRollout(5, experimentSteps()));
  toExperimentStep(w);
  setPhase(w, "Running");
  w.now += 3600;  // past the default progressDeadlineSeconds (600)
  w.settle();
  auto s = w.status();
  EXPECT_EQ(*s.currentStepIndex, 1);
  EXPECT_EQ(s.phase, kPhaseProgressing);
  ASSERT_NE(s.condition(kConditionProgressing), nullptr);
  EXPECT_NE(s.condition(kConditionProgressing)->reason, kReasonTimedOut);
}

TEST(ExperimentStepTest, FailedExperimentAbortsTheRollout) {
  World w(testing::basicRollout(5, experimentSteps()));
  auto [v1, v2] = toExperimentStep(w);
  setPhase(w, "Failed", "Metric \"smoke\" assessed Failed");
  w.settle();
  auto s = w.status();
  EXPECT_TRUE(s.abort);
  EXPECT_EQ(s.phase, kPhaseDegraded);
  EXPECT_NE(s.message.find(std::string(kAbortExperiment) + ": Metric \"smoke\" assessed Failed"),
            std::string::npos)
      << s.message;
  EXPECT_EQ(w.replicasOf(v2), 0);
  EXPECT_EQ(w.replicasOf(v1), 5);
  EXPECT_EQ(currentExperiment(w), "");
  // Retry: a new experiment (the failed one is not reused).
  w.patchStatus({{"abort", false}});
  w.settle();
  ASSERT_EQ(w.experiments().size(), 2u);
  EXPECT_EQ(w.experiments()[1]["metadata"]["name"], "web-" + v2 + "-2-1-1");
  EXPECT_EQ(currentExperiment(w), "web-" + v2 + "-2-1-1");
}

TEST(ExperimentStepTest, InconclusiveExperimentPauses) {
  World w(testing::basicRollout(5, experimentSteps()));
  toExperimentStep(w);
  setPhase(w, "Inconclusive");
  w.settle();
  auto s = w.status();
  EXPECT_TRUE(s.hasPauseCondition(kPauseInconclusiveExperiment));
  EXPECT_EQ(s.phase, kPhasePaused);
  EXPECT_EQ(w.experiments().size(), 1u);
  // Resumed: a new experiment replaces the inconclusive one.
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  EXPECT_EQ(w.experiments().size(), 2u);
  EXPECT_FALSE(w.status().hasPauseCondition(kPauseInconclusiveExperiment));
}

TEST(ExperimentStepTest, PromoteAbortAndNewRevisionTerminateIt) {
  {
    World w(testing::basicRollout(5, experimentSteps()));
    toExperimentStep(w);
    setPhase(w, "Running");
    w.patchStatus({{"currentStepIndex", 2}});  // promote: the step is left
    w.settle();
    EXPECT_TRUE(w.experiments()[0]["spec"].value("terminate", false));
    EXPECT_EQ(currentExperiment(w), "");
    EXPECT_EQ(w.status().phase, kPhaseHealthy);
  }
  {
    World w(testing::basicRollout(5, experimentSteps()));
    toExperimentStep(w);
    setPhase(w, "Running");
    w.patchStatus({{"promoteFull", true}});
    w.settle();
    EXPECT_TRUE(w.experiments()[0]["spec"].value("terminate", false));
    EXPECT_EQ(w.status().phase, kPhaseHealthy);
  }
  {
    World w(testing::basicRollout(5, experimentSteps()));
    toExperimentStep(w);
    setPhase(w, "Running");
    w.patchStatus({{"abort", true}});
    w.settle();
    EXPECT_TRUE(w.experiments()[0]["spec"].value("terminate", false));
  }
  {
    World w(testing::basicRollout(5, experimentSteps()));
    toExperimentStep(w);
    setPhase(w, "Running");
    w.setImage("v3");
    w.settle();
    EXPECT_TRUE(w.experiments()[0]["spec"].value("terminate", false));
    // v3 reaches the experiment step again with an experiment of its own.
    ASSERT_EQ(w.experiments().size(), 2u);
    EXPECT_EQ(w.experiments()[1]["metadata"]["labels"]["rollouts-pod-template-hash"], hashOf(w));
  }
}

TEST(ExperimentStepTest, BadSpecRefIsReportedNotCreated) {
  json steps = experimentSteps();
  steps[1]["experiment"]["templates"][0]["specRef"] = "nope";
  World w(testing::basicRollout(5, steps));
  w.settle();
  w.setImage("v2");
  w.settle();
  EXPECT_TRUE(w.experiments().empty());
  bool reported = false;
  for (const auto& e : w.events()) {
    reported |= e.type == "Warning" &&
                e.message.find("steps[1].experiment.templates[0].specRef") != std::string::npos;
  }
  EXPECT_TRUE(reported);
}

}  // namespace
}  // namespace vane::controller
