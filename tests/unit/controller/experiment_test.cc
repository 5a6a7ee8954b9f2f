// Experiments: the Experiment plan (planExperiment) driven through a small in-memory world that
// plays the ReplicaSet controller, and the canary experiment step driven through world.h.
#include "controller/experiment.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "controller/conditions.h"
#include "controller/executor.h"
#include "controller/hash.h"
#include "controller/rollout_experiment.h"
#include "controller/trafficrouting.h"
#include "controller/validation.h"
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
  spec["scaleDownDelaySeconds"] = 0;  // scaled down at once unless a test says otherwise
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
  /// Services the plan created, by template name.
  std::map<std::string, json>& services() { return svcs_; }
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
  Status lastError;  // the executor's, in the last reconcile (then no status was written)

  /// One reconcile: plan, execute through the Executor against the fake client, write the
  /// status as the ExperimentReconciler does.
  void reconcile() {
    ExperimentContext ctx;
    Status read = readExperiment(ctx, ex_);
    ASSERT_TRUE(read.ok()) << read.toString();
    for (const auto& [name, rs] : rss_) ctx.templateRSs[name] = *kube::decodeReplicaSet(rs);
    for (const auto& r : runs_) ctx.analysisRuns.push_back(*kube::decodeAnalysisRun(r));
    for (const auto& [name, svc] : svcs_) ctx.templateServices[name] = *kube::decodeService(svc);
    ctx.now = now;
    planExperiment(ctx);
    last = ctx.actions;
    for (const auto& e : ctx.events) events.push_back(e);
    lastError = execute(ctx);
    if (!lastError.ok()) ADD_FAILURE() << "executor: " << lastError.toString();
    if (lastError.ok()) ex_["status"] = kube::toJson(ctx.newStatus);
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
  // The objects live here between reconciles (tests edit them); they go into the fake API server
  // for the executor and come back by template name.
  Status execute(ExperimentContext& ctx) {
    namespace res = kube::resources;
    testing::seedAnalysisTemplates(client_, ex_["spec"]);
    auto& rss = client_.objects(res::kReplicaSets);
    auto& svcs = client_.objects(res::kServices);
    rss.clear();
    svcs.clear();
    for (const auto& [t, rs] : rss_) rss.push_back(rs);
    for (const auto& [t, svc] : svcs_) svcs.push_back(svc);
    client_.objects(res::kAnalysisRuns) = runs_;
    ExecReport report;
    Status st = Executor(ExecutorDeps{&client_, nullptr, {}, {}})
                    .execute(ctx.actions, {ex_, nullptr, now}, report);
    applyExecReport(ctx, report);
    auto byTemplate = [](const std::vector<json>& objs) {
      std::map<std::string, json> out;
      for (const json& o : objs) {
        out[o["metadata"]["annotations"].value(kAnnotationExperimentTemplate, "")] = o;
      }
      return out;
    };
    rss_ = byTemplate(rss);
    svcs_ = byTemplate(svcs);
    runs_ = client_.objects(res::kAnalysisRuns);
    return st;
  }
  testing::FakeClient client_;
  json ex_;
  std::map<std::string, json> rss_;
  std::vector<json> runs_;
  std::map<std::string, json> svcs_;
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

TEST(ExperimentPlanTest, EndedTemplatesKeepTheirPodsForTheScaleDownDelay) {
  json ex = experiment({{"duration", "10s"}});
  ex["spec"].erase("scaleDownDelaySeconds");  // Argo's default: 30 s
  ExWorld w(ex);
  w.settle();
  w.now += 11;
  w.settle();
  EXPECT_EQ(w.phase(), "Successful");
  // Annotated with the deadline, still at their replicas, requeued for the deadline.
  const std::string deadline = kube::formatTime(w.now + 30);
  for (const char* t : {"baseline", "canary"}) {
    EXPECT_EQ(w.replicaSets()[t]["metadata"]["annotations"][kAnnotationScaleDownDeadline], deadline)
        << t;
  }
  EXPECT_EQ(w.replicas("baseline"), 2);
  EXPECT_EQ(w.replicas("canary"), 1);
  ASSERT_TRUE(w.requeueAt.has_value());
  EXPECT_EQ(*w.requeueAt, *kube::parseTime(deadline));
  w.now = *kube::parseTime(deadline) - 1;
  w.settle();
  EXPECT_EQ(w.replicas("baseline"), 2);
  w.now += 1;
  w.reconcile();
  EXPECT_EQ(w.replicas("baseline"), 0);
  EXPECT_EQ(w.replicas("canary"), 0);
  w.settle();
  EXPECT_EQ(w.replicas("baseline"), 0);
  EXPECT_FALSE(w.requeueAt.has_value());
}

TEST(ExperimentPlanTest, ZeroScaleDownDelayRemovesAStaleDeadline) {
  ExWorld w(experiment({{"duration", "10s"}}));
  w.settle();
  w.replicaSets()["canary"]["metadata"]["annotations"][kAnnotationScaleDownDeadline] =
      kube::formatTime(w.now + 300);
  w.now += 11;
  w.settle();
  EXPECT_EQ(w.replicas("canary"), 0);
  EXPECT_FALSE(
      w.replicaSets()["canary"]["metadata"]["annotations"].contains(kAnnotationScaleDownDeadline));
}

TEST(ExperimentPlanTest, ProgressingConditionFollowsTheTemplates) {
  ExWorld w(experiment({{"duration", "30s"}}));
  auto progressing = [&w] {
    for (const auto& c : w.status().value("conditions", json::array())) {
      if (c["type"] == "Progressing") return c;
    }
    return json();
  };
  w.reconcile();
  json c = progressing();
  EXPECT_EQ(c["status"], "True");
  EXPECT_EQ(c["reason"], "ReplicaSetUpdated");
  EXPECT_EQ(c["message"], "Experiment \"ex\" is progressing.");
  const std::string since = c["lastTransitionTime"];
  w.now += 5;
  w.reconcile();  // available: the counts moved
  EXPECT_EQ(progressing()["reason"], "ReplicaSetUpdated");
  EXPECT_EQ(progressing()["lastTransitionTime"], since);
  EXPECT_EQ(progressing()["lastUpdateTime"], kube::formatTime(w.now));
  w.reconcile();  // no progress, running within the duration
  c = progressing();
  EXPECT_EQ(c["status"], "True");
  EXPECT_EQ(c["reason"], "NewReplicaSetAvailable");
  EXPECT_EQ(c["message"], "Experiment \"ex\" is running.");
  EXPECT_EQ(c["lastTransitionTime"], since);
  const json steady = w.status();
  w.now += 1;
  w.reconcile();
  EXPECT_EQ(w.status(), steady);  // nothing to write while it runs
  w.now += 31;
  w.settle();
  c = progressing();
  EXPECT_EQ(c["status"], "False");
  EXPECT_EQ(c["reason"], "ExperimentCompleted");
  EXPECT_EQ(c["message"], "Experiment \"ex\" has successfully ran and completed.");
  EXPECT_EQ(w.status()["conditions"].size(), 1u);
}

TEST(ExperimentPlanTest, InvalidSpecOnlySetsItsCondition) {
  json ex = experiment();
  ex["spec"]["templates"][1]["name"] = "baseline";
  ExWorld w(ex);
  w.reconcile();
  EXPECT_TRUE(w.last.empty());
  EXPECT_TRUE(w.replicaSets().empty());
  ASSERT_EQ(w.status()["conditions"].size(), 1u);
  const json c = w.status()["conditions"][0];
  EXPECT_EQ(c["type"], "InvalidSpec");
  EXPECT_EQ(c["status"], "True");
  EXPECT_EQ(c["reason"], "InvalidSpec");
  EXPECT_EQ(c["message"], "Experiment ex has repeated template name 'baseline' in templates");
  EXPECT_FALSE(w.status().contains("phase"));

  w.experiment()["spec"]["templates"][1].erase("selector");
  w.reconcile();
  EXPECT_EQ(w.status()["conditions"][0]["message"],
            "Rollout has missing field '.Spec.Templates[1].Selector'");
  w.experiment()["spec"]["templates"][1]["selector"] = json::object();
  w.reconcile();
  EXPECT_EQ(w.status()["conditions"][0]["message"],
            "This experiment is selecting all pods at index 1. A non-empty selector is "
            "required.");
  w.experiment()["spec"]["templates"][1]["selector"] = {{"matchLabels", {{"app", "web"}}}};
  w.experiment()["spec"]["templates"][1]["name"] = "canary";
  w.reconcile();
  EXPECT_EQ(w.replicaSets().size(), 2u);
  for (const auto& cond : w.status()["conditions"]) EXPECT_NE(cond["type"], "InvalidSpec");
  EXPECT_EQ(
      verifyExperimentSpec(*kube::decodeExperiment(experiment(
          {{"templates", json::array({{{"name", "a"},
                                       {"minReadySeconds", 700},
                                       {"selector", {{"matchLabels", {{"a", "b"}}}}}}})}}))),
      "MinReadySeconds cannot be longer than ProgressDeadlineSeconds. Check template index 0");
}

json analyses(bool required) {
  json a = {{"name", "smoke"},
            {"templateName", "smoke-pass"},
            {"args",
             json::array({{{"name", "hash"}, {"value", "{{templates.canary.podTemplateHash}}"}}})}};
  if (required) a["requiredForCompletion"] = true;
  return json::array({a});
}

TEST(ExperimentPlanTest, AFieldOfTheWrongTypeIsAnInvalidSpecNamingIt) {
  json ex = experiment();
  ex["spec"]["templates"][1]["replicas"] = "two";
  ExWorld w(ex);
  w.reconcile();
  EXPECT_TRUE(w.replicaSets().empty());
  ASSERT_EQ(w.status()["conditions"].size(), 1u);
  EXPECT_EQ(w.status()["conditions"][0]["type"], "InvalidSpec");
  EXPECT_EQ(w.status()["conditions"][0]["message"],
            "spec.templates[1].replicas: expected integer, got string");
  EXPECT_FALSE(w.status().contains("phase"));
  w.experiment()["spec"]["templates"][1]["replicas"] = 1;
  w.settle();
  EXPECT_EQ(w.replicaSets().size(), 2u);
  for (const auto& cond : w.status()["conditions"]) EXPECT_NE(cond["type"], "InvalidSpec");
  // A status the controller cannot read is an error, not a fresh start.
  w.experiment()["status"]["phase"] = "Done";
  ExperimentContext ctx;
  Status read = readExperiment(ctx, w.experiment());
  EXPECT_EQ(read.toString(), "status.phase: unknown phase \"Done\"");
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

// --- Template Services (experiments/service.go) ------------------------------------------

json exServicePorts() {
  return json::parse(R"([{"name":"http","containerPort":8080,"protocol":"TCP"},
                         {"containerPort":9090}])");
}

// baseline: no service; canary: `service: {}`; preview: `service: {name: preview-svc}`.
json serviceExperiment() {
  json ex = experiment();
  auto& t = ex["spec"]["templates"];
  t[1]["service"] = json::object();
  t[1]["template"]["spec"]["containers"][0]["ports"] = exServicePorts();
  json preview = t[1];
  preview["name"] = "preview";
  preview["service"] = {{"name", "preview-svc"}};
  t.push_back(preview);
  return ex;
}

TEST(ExperimentServiceTest, ATemplateWithServiceGetsOneOwnedByTheExperiment) {
  ExWorld w(serviceExperiment());
  w.reconcile();  // the ReplicaSets first; their Services on the next pass (as Argo)
  EXPECT_TRUE(w.services().empty());
  w.reconcile();
  ASSERT_EQ(w.services().size(), 2u);
  ASSERT_TRUE(w.services().count("canary"));
  const json svc = w.services()["canary"];
  const json rs = w.replicaSets()["canary"];
  EXPECT_EQ(svc["metadata"]["name"], "ex-canary");
  EXPECT_EQ(svc["metadata"]["namespace"], "default");
  EXPECT_EQ(svc["spec"]["selector"], rs["metadata"]["labels"]);
  EXPECT_EQ(svc["spec"]["selector"]["app"], "web");
  const std::string hash = rs["metadata"]["labels"]["rollouts-pod-template-hash"];
  EXPECT_FALSE(hash.empty());
  EXPECT_EQ(svc["spec"]["selector"]["rollouts-pod-template-hash"], hash);
  EXPECT_EQ(svc["spec"]["ports"], json::parse(R"([
      {"name":"http","port":8080,"targetPort":8080,"protocol":"TCP"},
      {"port":9090,"targetPort":9090}])"));
  EXPECT_EQ(svc["metadata"]["ownerReferences"][0]["kind"], "Experiment");
  EXPECT_EQ(svc["metadata"]["ownerReferences"][0]["uid"], "ex-uid");
  EXPECT_EQ(svc["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(svc["metadata"]["annotations"][kAnnotationExperimentName], "ex");
  EXPECT_EQ(svc["metadata"]["annotations"][kAnnotationExperimentTemplate], "canary");
  EXPECT_EQ(w.services()["preview"]["metadata"]["name"], "preview-svc");
  EXPECT_EQ(w.templateStatus("canary")["serviceName"], "ex-canary");
  EXPECT_EQ(w.templateStatus("canary")["podTemplateHash"], hash);
  EXPECT_EQ(w.templateStatus("preview")["serviceName"], "preview-svc");
  EXPECT_FALSE(w.templateStatus("baseline").contains("serviceName"));
  // Created once: a seen Service is only recorded.
  w.settle();
  EXPECT_EQ(firstAction<CreateService>(w.last), nullptr);
  EXPECT_EQ(w.phase(), "Running");
  EXPECT_EQ(w.templateStatus("canary")["serviceName"], "ex-canary");
}

TEST(ExperimentServiceTest, TheServiceGoesOnceTheEndedTemplateHasNoPods) {
  ExWorld w(serviceExperiment());
  w.settle();
  ASSERT_EQ(w.services().size(), 2u);
  w.experiment()["spec"]["terminate"] = true;
  // The first pass scales down while the pods are still available: the Services stay.
  w.reconcile();
  EXPECT_EQ(w.replicas("canary"), 0);
  EXPECT_EQ(w.services().size(), 2u);
  w.settle();
  EXPECT_TRUE(w.services().empty());
  EXPECT_EQ(w.phase(), "Successful");
  EXPECT_FALSE(w.templateStatus("canary").contains("serviceName"));
  EXPECT_FALSE(w.templateStatus("canary").contains("podTemplateHash"));
}

TEST(ExperimentServiceTest, NoContainerPortNoService) {
  json ex = experiment();
  ex["spec"]["templates"][1]["service"] = json::object();
  ExWorld w(ex);
  w.settle();
  EXPECT_TRUE(w.services().empty());
  EXPECT_EQ(w.phase(), "Running");
  EXPECT_FALSE(w.templateStatus("canary").contains("serviceName"));
}

TEST(ExperimentServiceTest, ServiceBodyIsPure) {
  const kube::Experiment ex = *kube::decodeExperiment(serviceExperiment());
  json rs = experimentReplicaSet(ex, ex.spec.templates[1], 1);
  auto svc = experimentService(ex, ex.spec.templates[1], *kube::decodeReplicaSet(rs));
  ASSERT_TRUE(svc.has_value());
  EXPECT_EQ((*svc)["metadata"]["name"], rs["metadata"]["name"]);
  EXPECT_FALSE(
      experimentService(ex, ex.spec.templates[0],
                        *kube::decodeReplicaSet(experimentReplicaSet(ex, ex.spec.templates[0], 1)))
          .has_value());
  EXPECT_EQ(experimentServiceTakenMessage("s", "t"),
            "Failed to create Service s for template 't': service s already exists and is not "
            "owned by experiment template t");
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

// --- Weighted experiment templates with traffic routing ------------------------------------

json weightedSteps() {
  return json::parse(R"([{"setWeight":20},
    {"experiment":{"templates":[
       {"name":"baseline","specRef":"stable","weight":10},
       {"name":"canary","specRef":"canary","weight":5,"service":{"name":"exp-canary"}},
       {"name":"plain","specRef":"canary"}]}},
    {"setWeight":40}])");
}

json istioCanary() {
  return json::parse(R"({"canaryService": "canary", "stableService": "stable",
    "trafficRouting": {"istio": {"virtualService": {"name": "vs", "routes": ["primary"]}}}})");
}

// The Experiment controller's part: Running, with the Services of its weighted templates.
void runWithServices(World& w, const std::string& v1, const std::string& v2) {
  ASSERT_FALSE(w.experiments().empty());
  json& ex = w.experiments().back();
  const std::string name = ex["metadata"]["name"];
  ex["status"] = {{"phase", "Running"},
                  {"templateStatuses",
                   {{{"name", "baseline"},
                     {"status", "Running"},
                     {"serviceName", name + "-baseline"},
                     {"podTemplateHash", v1 + "x"}},
                    {{"name", "canary"},
                     {"status", "Running"},
                     {"serviceName", "exp-canary"},
                     {"podTemplateHash", v2 + "x"}},
                    {{"name", "plain"}, {"status", "Running"}}}}};
}

json exStatusWeights(World& w) {
  const json& ro = w.rollout();
  return ro.value(json::json_pointer("/status/canary/weights"), json::object());
}

TEST(ExperimentWeightTest, WeightedTemplatesAreAdditionalDestinationsWhileItRuns) {
  World w(testing::basicRollout(5, weightedSteps(), istioCanary()));
  auto [v1, v2] = toExperimentStep(w);
  ASSERT_EQ(w.experiments().size(), 1u);
  const json& t = w.experiments()[0]["spec"]["templates"];
  EXPECT_EQ(t[0]["service"], json::object());  // weight implies a Service
  EXPECT_EQ(t[1]["service"], json({{"name", "exp-canary"}}));
  EXPECT_FALSE(t[2].contains("service"));
  // Not Running yet: no additional destination.
  w.reconcile();
  EXPECT_FALSE(exStatusWeights(w).contains("additional"));

  runWithServices(w, v1, v2);
  const std::string name = w.experiments()[0]["metadata"]["name"];
  w.reconcile();
  const json want = json::array(
      {{{"weight", 10}, {"serviceName", name + "-baseline"}, {"podTemplateHash", v1 + "x"}},
       {{"weight", 5}, {"serviceName", "exp-canary"}, {"podTemplateHash", v2 + "x"}}});
  const std::vector<trafficrouting::WeightDestination> routed = {{10, name + "-baseline", v1 + "x"},
                                                                 {5, "exp-canary", v2 + "x"}};
  const SetWeight* set = firstAction<SetWeight>(w.lastActions());
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->weight, 20);
  EXPECT_EQ(set->additional, routed);
  const UpdateHash* hash = firstAction<UpdateHash>(w.lastActions());
  ASSERT_NE(hash, nullptr);
  EXPECT_EQ(hash->additional, routed);
  const json weights = exStatusWeights(w);
  EXPECT_EQ(weights["canary"]["weight"], 20);
  EXPECT_EQ(weights["stable"]["weight"], 65);  // 100 - 20 - 10 - 5
  EXPECT_EQ(weights["additional"], want);
  bool evented = false;
  for (const auto& e : w.events()) {
    evented |= e.reason == kEventTrafficWeightUpdated &&
               e.message == "Traffic weight updated additional: [{10 " + name + "-baseline " + v1 +
                                "x} {5 exp-canary " + v2 + "x}]";
  }
  EXPECT_TRUE(evented);

  // The experiment ends: the weights go back to canary and stable.
  w.experiments()[0]["status"]["phase"] = "Successful";
  w.settle();
  EXPECT_EQ(*w.status().currentStepIndex, 3);
  const json after = exStatusWeights(w);
  EXPECT_FALSE(after.contains("additional")) << after.dump();
  EXPECT_EQ(after["stable"]["weight"].get<int>() + after["canary"]["weight"].get<int>(), 100);
  const SetWeight* last = firstAction<SetWeight>(w.lastActions());
  if (last != nullptr) {
    EXPECT_TRUE(last->additional.empty());
  }
}

TEST(ExperimentWeightTest, AbortTakesTheExperimentWeightsBack) {
  World w(testing::basicRollout(5, weightedSteps(), istioCanary()));
  auto [v1, v2] = toExperimentStep(w);
  runWithServices(w, v1, v2);
  w.reconcile();
  ASSERT_TRUE(exStatusWeights(w).contains("additional"));
  w.patchStatus({{"abort", true}});
  w.reconcile();
  const json weights = exStatusWeights(w);
  EXPECT_FALSE(weights.contains("additional")) << weights.dump();
  EXPECT_EQ(weights["canary"]["weight"], 0);
  EXPECT_EQ(weights["stable"]["weight"], 100);
  const SetWeight* set = firstAction<SetWeight>(w.lastActions());
  ASSERT_NE(set, nullptr);
  EXPECT_TRUE(set->additional.empty());
  EXPECT_TRUE(w.experiments()[0]["spec"].value("terminate", false));
}

std::vector<SpecError> experimentWeightErrors(json canary_extra) {
  auto ro = kube::decodeRollout(testing::basicRollout(5, weightedSteps(), canary_extra));
  EXPECT_TRUE(ro.ok());
  std::vector<SpecError> out;
  for (auto& e : validateRolloutSpec(*ro)) {
    if (e.field.find(".weight") != std::string::npos) out.push_back(e);
  }
  return out;
}

TEST(ExperimentWeightTest, WeightNeedsTrafficRouting) {
  auto errors = experimentWeightErrors(json::object());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "spec.strategy.canary.steps[1].experiment.templates[0].weight");
  EXPECT_EQ(errors[0].value, 10);
  EXPECT_EQ(errors[0].detail, kMessageExperimentWeightWithoutRouting);
  EXPECT_EQ(errors[1].field, "spec.strategy.canary.steps[1].experiment.templates[1].weight");
  EXPECT_EQ(errors[0].toString(),
            "spec.strategy.canary.steps[1].experiment.templates[0].weight: Invalid value: 10: " +
                std::string(kMessageExperimentWeightWithoutRouting));

  errors = experimentWeightErrors(json::parse(R"({"canaryService": "canary",
    "stableService": "stable", "trafficRouting": {"nginx": {"stableIngress": "web"}}})"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].detail, kMessageExperimentWeightUnsupportedRouting);

  EXPECT_TRUE(experimentWeightErrors(istioCanary()).empty());
}

// --- Experiment history (FilterExperimentsToDelete) ----------------------------------------

json historyExperiment(const std::string& name, const std::string& hash, const std::string& phase,
                       int64_t created) {
  json ex = {{"metadata", {{"name", name}, {"creationTimestamp", kube::formatTime(created)}}},
             {"status", {{"phase", phase}}}};
  if (!hash.empty()) ex["metadata"]["labels"] = {{"rollouts-pod-template-hash", hash}};
  return ex;
}

kube::ReplicaSet historyReplicaSet(const std::string& hash, bool deleting) {
  json rs = {
      {"metadata", {{"name", "web-" + hash}, {"labels", {{"rollouts-pod-template-hash", hash}}}}},
      {"spec", {{"replicas", 0}}}};
  if (deleting) rs["metadata"]["deletionTimestamp"] = "2027-01-01T00:00:00Z";
  return *kube::decodeReplicaSet(rs);
}

TEST(ExperimentHistoryTest, KeepsTheNewestPerOutcomeAndDropsThoseWithoutAReplicaSet) {
  RolloutContext ctx;
  ctx.allRSs = {historyReplicaSet("h1", false), historyReplicaSet("h2", true)};
  std::vector<json> exs = {
      historyExperiment("ok-1", "h1", "Successful", 100),
      historyExperiment("ok-2", "h1", "Successful", 200),
      historyExperiment("ok-3", "h1", "Successful", 300),
      historyExperiment("bad-1", "h1", "Failed", 400),
      historyExperiment("bad-2", "h1", "Error", 500),
      historyExperiment("bad-3", "h1", "Inconclusive", 50),
      historyExperiment("running", "h1", "Running", 10),
      historyExperiment("unlabelled", "", "Successful", 900),
      historyExperiment("no-rs", "gone", "Running", 901),
      historyExperiment("rs-deleting", "h2", "Successful", 902),
      historyExperiment("ok-0", "h1", "Successful", 1),
  };
  exs.back()["metadata"]["deletionTimestamp"] = "2027-01-01T00:00:00Z";  // already going
  std::vector<kube::Experiment> typed;
  for (const auto& e : exs) typed.push_back(*kube::decodeExperiment(e));
  std::vector<const kube::Experiment*> others;
  for (const auto& e : typed) others.push_back(&e);
  auto out = experimentsToDelete(ctx, others, 2, 1);
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, (std::vector<std::string>{"bad-1", "bad-3", "no-rs", "ok-1", "rs-deleting",
                                           "unlabelled"}));
}

TEST(ExperimentHistoryTest, TheRolloutDeletesOldExperimentsButNotItsOwn) {
  World w(testing::basicRollout(5, experimentSteps()));
  auto [v1, v2] = toExperimentStep(w);
  setPhase(w, "Successful");
  w.settle();
  ASSERT_EQ(w.status().stableRS, v2);
  const std::string own = w.experiments()[0]["metadata"]["name"];
  w.experiments().push_back(historyExperiment("web-old-1-1", "gone", "Successful", w.now - 100));
  w.reconcile();
  std::vector<std::string> deleted;
  for (const DeleteExperiment* a : actionsOf<DeleteExperiment>(w.lastActions())) {
    deleted.push_back(a->name);
  }
  EXPECT_EQ(deleted, std::vector<std::string>{"web-old-1-1"}) << own;
}

}  // namespace
}  // namespace vane::controller
