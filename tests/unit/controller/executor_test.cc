// The Executor (controller/executor.h) against the FakeClient: which requests each action makes,
// which outcomes are tolerated, what comes back in the report, and, through world.h, the exact
// writes of a canary update planned by planRollout.
#include "controller/executor.h"

#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "controller/experiment.h"
#include "controller/hash.h"
#include "fake_client.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::FakeClient;
using testing::World;
namespace res = kube::resources;

json rolloutObject() { return testing::basicRollout(3, json::array()); }

json object(const std::string& name, json extra = json::object()) {
  json o = {{"metadata", {{"name", name}, {"namespace", "default"}}}};
  o.merge_patch(extra);
  return o;
}

struct Fixture {
  FakeClient client;
  json owner = rolloutObject();
  kube::Rollout rollout = *kube::decodeRollout(owner);
  ExecReport report;
  std::function<std::vector<json>(const std::string&)> ownedPods;

  Status run(const std::vector<Action>& plan, bool as_rollout = true) {
    Executor executor(ExecutorDeps{&client, nullptr, "v1beta1", ownedPods});
    return executor.execute(plan, {owner, as_rollout ? &rollout : nullptr, testing::kNow}, report);
  }
};

TEST(ExecutorTest, ScaleReplicaSetPatchesAnnotationsOnlyWhenPlanned) {
  Fixture f;
  f.client.objects(res::kReplicaSets) = {object("a"), object("b")};
  ASSERT_TRUE(f.run({ScaleReplicaSet{"a", 3},
                     ScaleReplicaSet{"b", 2, json{{kAnnotationDesiredReplicas, "3"}}}})
                  .ok());
  auto w = f.client.writes();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].body, json({{"spec", {{"replicas", 3}}}}));
  EXPECT_EQ(w[1].body,
            json({{"spec", {{"replicas", 2}}},
                  {"metadata", {{"annotations", {{kAnnotationDesiredReplicas, "3"}}}}}}));
  EXPECT_EQ(f.client.find(res::kReplicaSets, "b")
                ->at("metadata")["annotations"][kAnnotationDesiredReplicas],
            "3");
}

TEST(ExecutorTest, ToleratedOutcomesAndTheFirstErrorStopsThePlan) {
  Fixture f;
  f.client.objects(res::kReplicaSets) = {object("exists")};
  // Already there, already gone: what the plan wanted anyway.
  ASSERT_TRUE(
      f.run({CreateReplicaSet{object("exists")}, DeleteReplicaSet{"gone"},
             DeleteAnalysisRun{"gone"}, TerminateAnalysisRun{"gone"}, TerminateExperiment{"gone"},
             DeleteExperiment{"gone"}, PatchPod{"gone", {}}, DeleteService{"gone"}})
          .ok());
  // A missing ReplicaSet to scale is an error, and nothing after it runs.
  f.client.requests.clear();
  Status s = f.run({ScaleReplicaSet{"missing", 1}, AnnotateReplicaSet{"exists", {{"k", "v"}}}});
  EXPECT_EQ(s.code(), Code::kNotFound);
  ASSERT_EQ(f.client.requests.size(), 1u);
  // An injected server error on a delete is not tolerated.
  f.client.faults["delete replicasets/exists"] = Status(Code::kUnavailable, "down");
  EXPECT_EQ(f.run({DeleteReplicaSet{"exists"}}).code(), Code::kUnavailable);
}

TEST(ExecutorTest, AnnotateRolloutReportsTheNewResourceVersion) {
  Fixture f;
  f.client.objects(res::kRollouts) = {f.owner};
  ASSERT_TRUE(f.run({AnnotateRollout{"web", {{kAnnotationRevision, "2"}}}}).ok());
  EXPECT_FALSE(f.report.rolloutResourceVersion.empty());
  EXPECT_EQ(f.report.rolloutResourceVersion,
            f.client.find(res::kRollouts, "web")->at("metadata")["resourceVersion"]);
}

TEST(ExecutorTest, ServiceSelectorNamesTheRollout) {
  Fixture f;
  f.client.objects(res::kServices) = {object("stable")};
  ASSERT_TRUE(f.run({PatchServiceSelector{"stable", "abc", "web"}}).ok());
  const json svc = *f.client.find(res::kServices, "stable");
  EXPECT_EQ(svc["spec"]["selector"][kLabelPodTemplateHash], "abc");
  EXPECT_EQ(svc["metadata"]["annotations"][kAnnotationManagedBy], "web");
}

TEST(ExecutorTest, RouterActionsWithoutRoutersFailWithAWarning) {
  Fixture f;
  Status s = f.run({SetWeight{20, {}}});
  EXPECT_EQ(s.code(), Code::kUnsupported);
  ASSERT_EQ(f.report.events.size(), 1u);
  EXPECT_EQ(f.report.events[0].type, "Warning");
  EXPECT_EQ(f.report.events[0].reason, kEventTrafficRoutingError);
}

TEST(ExecutorTest, SyncManagedRoutesTellsTheRoutersTheDecodedRoutesInOrder) {
  FakeClient client;
  const json owner = testing::basicRollout(3, json::array(), json::parse(R"({"trafficRouting": {
      "managedRoutes": [{"name": "qa"}, {"name": "copy"}],
      "istio": {"virtualService": {"name": "vs"}}}})"));
  const kube::Rollout rollout = *kube::decodeRollout(owner);
  std::vector<std::string> calls;
  trafficrouting::RouterRegistry routers;
  routers.add(
      "istio",
      [&calls](const json&, const std::string&, const trafficrouting::RouterContext&)
          -> Result<std::unique_ptr<trafficrouting::TrafficRouter>> {
        return std::unique_ptr<trafficrouting::TrafficRouter>(new testing::RecordingRouter(calls));
      });
  Executor executor(ExecutorDeps{&client, &routers, "v1beta1", {}});
  const json header = json::parse(
      R"({"name": "qa", "match": [{"headerName": "x-canary", "headerValue": {"exact": "qa"}}]})");
  const json mirror = json::parse(R"({"name": "copy", "match": [{"path": {"prefix": "/"}}]})");
  ExecReport report;
  const SyncManagedRoutes both{{{false, header, "spec.strategy.canary.steps[0].setHeaderRoute"},
                                {true, mirror, "spec.strategy.canary.steps[1].setMirrorRoute"}}};
  ASSERT_TRUE(executor.execute({both}, {owner, &rollout, testing::kNow}, report).isOk());
  ASSERT_TRUE(executor.execute({SyncManagedRoutes{}}, {owner, &rollout, testing::kNow}, report));
  EXPECT_EQ(calls, (std::vector<std::string>{"syncManagedRoutes qa,copy", "syncManagedRoutes"}));
}

json pod(const std::string& name, const std::string& rs_uid, int64_t created) {
  return {{"metadata",
           {{"name", name},
            {"labels", {{"app", "web"}}},
            {"creationTimestamp", kube::formatTime(created)},
            {"ownerReferences", json::array({{{"uid", rs_uid}, {"controller", true}}})}}},
          {"status",
           {{"conditions", json::array({{{"type", "Ready"},
                                         {"status", "True"},
                                         {"lastTransitionTime", kube::formatTime(created)}}})}}}};
}

RestartPods restartAll(bool stop) {
  RestartPods a;
  a.restartAt = testing::kNow - 60;
  a.replicaSets = {"uid-rs"};
  a.replicas = 3;
  a.totalReplicas = 3;
  a.maxUnavailable = 1;
  a.stopIfRestarted = stop;
  return a;
}

TEST(ExecutorTest, RestartReportsTheCountAndStopsWhereThePlanSays) {
  Fixture f;
  f.client.objects(res::kPods) = {pod("p1", "uid-rs", testing::kNow - 600),
                                  pod("p2", "uid-rs", testing::kNow - 600),
                                  pod("p3", "uid-rs", testing::kNow - 600)};
  f.ownedPods = [&](const std::string&) { return f.client.objects(res::kPods); };
  f.client.objects(res::kReplicaSets) = {object("rs")};
  ASSERT_TRUE(f.run({restartAll(true), ScaleReplicaSet{"rs", 5}}).ok());
  ASSERT_TRUE(f.report.restart.has_value());
  EXPECT_EQ(f.report.restart->restarted, 1);  // maxUnavailable 1
  EXPECT_EQ(f.report.restart->needsRestart, 3);
  EXPECT_TRUE(f.report.stopped);
  for (const auto& w : f.client.writes()) EXPECT_EQ(w.verb, "delete");  // the scale did not run
  EXPECT_EQ(f.client.objects(res::kPods).size(), 2u);

  // Blue-green does not stop; the plan goes on.
  f.report = {};
  ASSERT_TRUE(f.run({restartAll(false), ScaleReplicaSet{"rs", 5}}).ok());
  EXPECT_FALSE(f.report.stopped);
  EXPECT_EQ(f.client.find(res::kReplicaSets, "rs")->at("spec")["replicas"], 5);
}

TEST(ExecutorTest, RestartWithoutAPodCacheDoesNothing) {
  Fixture f;
  ASSERT_TRUE(f.run({restartAll(true)}).ok());
  EXPECT_FALSE(f.report.restart.has_value());
  EXPECT_FALSE(f.report.stopped);
  EXPECT_TRUE(f.client.requests.empty());
}

TEST(ExecutorTest, RestartAppliedToTheStatusByThePureStep) {
  RolloutContext ctx;
  json ro = rolloutObject();
  ro["spec"]["restartAt"] = kube::formatTime(testing::kNow - 60);
  ctx.rollout = *kube::decodeRollout(ro);
  ctx.now = testing::kNow;
  applyPodRestart(ctx, {1, 3});
  EXPECT_TRUE(ctx.newStatus.restartedAt.empty());
  ASSERT_TRUE(ctx.requeueAt.has_value());
  EXPECT_EQ(*ctx.requeueAt, testing::kNow + 30);
  applyPodRestart(ctx, {0, 0});
  EXPECT_EQ(ctx.newStatus.restartedAt, kube::formatTime(testing::kNow - 60));
}

json experimentObject() {
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Experiment"},
          {"metadata",
           {{"name", "ex"},
            {"namespace", "default"},
            {"uid", "ex-uid"},
            {"labels", {{kLabelInstanceId, "east"}}}}},
          {"spec", json::object()}};
}

TEST(ExecutorTest, ExperimentAnalysisRunsAreOwnedByTheExperiment) {
  Fixture f;
  f.owner = experimentObject();
  testing::seedAnalysisTemplate(f.client, "smoke", json::array());
  const json analysis = {{"templates", json::array({{{"templateName", "smoke"}}})}};
  ASSERT_TRUE(f.run({CreateAnalysisRun{"ex-smoke", analysis, analysis::RunType::kBackground,
                                       std::nullopt, "", "smoke"}},
                    false)
                  .ok());
  const json* run = f.client.find(res::kAnalysisRuns, "ex-smoke");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ((*run)["metadata"]["ownerReferences"][0]["kind"], "Experiment");
  EXPECT_EQ((*run)["metadata"]["ownerReferences"][0]["uid"], "ex-uid");
  EXPECT_EQ((*run)["metadata"]["labels"][kLabelInstanceId], "east");
  EXPECT_FALSE((*run)["metadata"]["labels"].contains("rollout-type"));
}

TEST(ExecutorTest, AMissingTemplateFailsTheExperimentAnalysisNotTheReconcile) {
  Fixture f;
  f.owner = experimentObject();
  const json analysis = {{"templates", json::array({{{"templateName", "missing"}}})}};
  ASSERT_TRUE(f.run({CreateAnalysisRun{"ex-a", analysis, analysis::RunType::kBackground,
                                       std::nullopt, "", "a"}},
                    false)
                  .ok());
  ASSERT_EQ(f.report.analysisErrors.size(), 1u);
  EXPECT_EQ(f.report.analysisErrors[0].first, "a");
  ExperimentContext ctx;
  applyExecReport(ctx, f.report);
  ASSERT_EQ(ctx.newStatus.analysisRuns.size(), 1u);
  EXPECT_EQ(ctx.newStatus.analysisRuns[0].phase, kube::AnalysisPhase::kError);

  // For a Rollout the same error fails the reconcile (it is retried).
  Fixture r;
  EXPECT_EQ(
      r.run({CreateAnalysisRun{"web-x", analysis, analysis::RunType::kStep, 0, "h", ""}}).code(),
      Code::kNotFound);
}

TEST(ExecutorTest, ATakenServiceNameIsReportedAndErrorsItsTemplate) {
  Fixture f;
  f.owner = experimentObject();
  f.client.objects(res::kServices) = {object("preview")};  // someone else's
  ASSERT_TRUE(f.run({CreateService{"preview", "canary", object("preview")}}, false).ok());
  ASSERT_EQ(f.report.servicesTaken.size(), 1u);
  ExperimentContext ctx;
  kube::TemplateStatus running;
  running.name = "canary";
  running.status = kube::TemplateStatusCode::kRunning;
  running.serviceName = "preview";
  ctx.newStatus.templateStatuses = {running};
  applyExecReport(ctx, f.report);
  EXPECT_EQ(ctx.newStatus.templateStatuses[0].status, kube::TemplateStatusCode::kError);
  EXPECT_TRUE(ctx.newStatus.templateStatuses[0].serviceName.empty());

  // Ours (controlled by this Experiment, for this template): nothing to report.
  Fixture g;
  g.owner = experimentObject();
  g.client.objects(res::kServices) = {object(
      "preview",
      {{"metadata",
        {{"ownerReferences", json::array({{{"uid", "ex-uid"}, {"controller", true}}})},
         {"annotations",
          {{kAnnotationExperimentName, "ex"}, {kAnnotationExperimentTemplate, "canary"}}}}}})};
  ASSERT_TRUE(g.run({CreateService{"preview", "canary", object("preview")}}, false).ok());
  EXPECT_TRUE(g.report.servicesTaken.empty());
}

// planRollout + the executor: the writes of a canary update, step by step.
TEST(ExecutorTest, CanaryUpdateWritesExactlyThePlannedObjects) {
  World w(testing::basicRollout(
      5, json::array({{{"setWeight", 20}}, {{"pause", {{"duration", "1h"}}}}})));
  w.settle();
  const std::string v1 = testing::hashOf(w);
  w.setImage("v2");
  const std::string v2 = testing::hashOf(w);
  auto writes = [&] {
    std::vector<std::string> out;
    for (const auto& r : w.client().writes())
      out.push_back(r.verb + " " + r.resource + "/" + r.name);
    w.client().requests.clear();
    return out;
  };
  writes();
  w.reconcile();  // the steps start over: status only
  EXPECT_TRUE(writes().empty());
  // The new ReplicaSet at 0, the revision on the Rollout, and stable down to its 80% (4 of 5)
  // within maxUnavailable.
  w.reconcile();
  EXPECT_EQ(writes(),
            (std::vector<std::string>{"create replicasets/web-" + v2, "patch rollouts/web",
                                      "patch replicasets/web-" + v1}));
  EXPECT_EQ(w.rollout()["metadata"]["annotations"][kAnnotationRevision], "2");
  EXPECT_EQ(w.replicasOf(v1), 4);
  w.reconcile();  // 20% of 5: one canary pod
  EXPECT_EQ(writes(), (std::vector<std::string>{"patch replicasets/web-" + v2}));
  EXPECT_EQ(w.replicasOf(v2), 1);
  w.settle();  // the canary pod is available: stable goes to 4 and the step completes
  EXPECT_EQ(*w.status().currentStepIndex, 1);
  EXPECT_EQ(w.replicasOf(v2), 1);
  EXPECT_EQ(w.replicasOf(v1), 4);
  writes();
  w.reconcile();  // paused for an hour: status only, no object written
  EXPECT_TRUE(writes().empty());
}

}  // namespace
}  // namespace vane::controller
