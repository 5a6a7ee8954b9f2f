// Typed Experiment and AnalysisRun: decode, encode, round trips, and bad fields as paths.
#include "kube/types_experiment.h"

#include <gtest/gtest.h>

#include "kube/types_analysisrun.h"

namespace vane::kube {
namespace {

using nlohmann::json;

json experimentJson() {
  return json::parse(R"({
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment",
    "metadata": {"name": "ex", "namespace": "default", "uid": "u1", "resourceVersion": "7",
                 "labels": {"rollouts-pod-template-hash": "abc"}, "finalizers": ["keep-me"],
                 "ownerReferences": [{"kind": "Rollout", "name": "web", "uid": "r1"}]},
    "spec": {
      "templates": [
        {"name": "baseline", "replicas": 2, "minReadySeconds": 5,
         "selector": {"matchLabels": {"app": "web"}},
         "template": {"metadata": {"labels": {"app": "web"}},
                      "spec": {"containers": [{"name": "c", "image": "v1"}]}},
         "service": {"name": "base-svc"}, "weight": 10},
        {"name": "canary", "selector": {"matchLabels": {"app": "web"}},
         "template": {"metadata": {"labels": {"app": "web"}}}}],
      "duration": "1m30s", "progressDeadlineSeconds": 120, "terminate": true,
      "scaleDownDelaySeconds": 0,
      "analyses": [{"name": "rate", "templateName": "success-rate", "clusterScope": true,
                    "requiredForCompletion": true, "args": [{"name": "a", "value": "1"}]}],
      "dryRun": [{"metricName": "m"}], "measurementRetention": [{"metricName": "m", "limit": 2}],
      "analysisRunMetadata": {"labels": {"team": "a"}},
      "futureField": {"x": 1}},
    "status": {
      "phase": "Running", "message": "m", "availableAt": "2026-01-01T00:00:00Z",
      "templateStatuses": [
        {"name": "baseline", "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
         "availableReplicas": 2, "status": "Running", "lastTransitionTime": "2026-01-01T00:00:00Z",
         "serviceName": "base-svc", "podTemplateHash": "h1"},
        {"name": "canary", "replicas": 0, "updatedReplicas": 0, "readyReplicas": 0,
         "availableReplicas": 0, "collisionCount": 1, "status": "Failed", "message": "late"}],
      "analysisRuns": [{"name": "rate", "analysisRun": "ex-rate", "phase": "Pending"},
                       {"name": "other"}],
      "conditions": [{"type": "Progressing", "status": "True", "lastUpdateTime": "t1",
                      "lastTransitionTime": "t0", "reason": "ReplicaSetUpdated",
                      "message": "p"}],
      "unmodelled": 3}
  })");
}

TEST(ExperimentDecodeTest, DecodesSpecAndStatus) {
  auto e = decodeExperiment(experimentJson());
  ASSERT_TRUE(e.ok()) << e.status().toString();
  EXPECT_EQ(e->metadata.name, "ex");
  EXPECT_EQ(e->label("rollouts-pod-template-hash"), "abc");
  ASSERT_EQ(e->spec.templates.size(), 2u);
  const ExperimentTemplate& b = e->spec.templates[0];
  EXPECT_EQ(b.name, "baseline");
  EXPECT_EQ(b.replicasOrDefault(), 2);
  EXPECT_EQ(b.minReadySeconds, 5);
  EXPECT_EQ(b.selector["matchLabels"]["app"], "web");
  ASSERT_TRUE(b.service.has_value());
  EXPECT_EQ(b.service->name, "base-svc");
  EXPECT_EQ(b.weight, 10);
  EXPECT_EQ(e->spec.templates[1].replicasOrDefault(), 1);
  EXPECT_FALSE(e->spec.templates[1].service.has_value());
  EXPECT_EQ(e->spec.duration, 90);
  EXPECT_EQ(e->spec.progressDeadlineSeconds, 120);
  EXPECT_TRUE(e->spec.terminate);
  EXPECT_EQ(e->spec.scaleDownDelaySeconds, 0);
  ASSERT_EQ(e->spec.analyses.size(), 1u);
  EXPECT_TRUE(e->spec.analyses[0].clusterScope);
  EXPECT_TRUE(e->spec.analyses[0].requiredForCompletion);
  EXPECT_EQ(e->spec.analyses[0].args[0]["value"], "1");
  EXPECT_EQ(e->spec.analysisRunMetadata["labels"]["team"], "a");

  EXPECT_EQ(e->status.phase, AnalysisPhase::kRunning);
  EXPECT_FALSE(e->completed());
  ASSERT_NE(e->status.templateStatus("canary"), nullptr);
  EXPECT_EQ(e->status.templateStatus("canary")->status, TemplateStatusCode::kFailed);
  EXPECT_EQ(e->status.templateStatus("canary")->collisionCount, 1);
  EXPECT_EQ(e->status.templateStatus("baseline")->serviceName, "base-svc");
  ASSERT_NE(e->status.analysisRun("rate"), nullptr);
  EXPECT_EQ(e->status.analysisRun("rate")->phase, AnalysisPhase::kPending);
  EXPECT_FALSE(e->status.analysisRun("other")->phase.has_value());
  ASSERT_NE(e->status.condition("Progressing"), nullptr);
  EXPECT_EQ(e->status.condition("Progressing")->lastTransitionTime, "t0");
  EXPECT_EQ(e->status.rest, json({{"unmodelled", 3}}));
}

TEST(ExperimentDecodeTest, RoundTripKeepsEverything) {
  const json in = experimentJson();
  auto e = decodeExperiment(in);
  ASSERT_TRUE(e.ok()) << e.status().toString();
  EXPECT_EQ(toJson(*e), in);
  EXPECT_EQ(toJson(e->status), in["status"]);
  // Re-encoded from the struct alone (no object as read), the modelled fields still match.
  Experiment bare = *e;
  bare.raw = json::object();
  json out = toJson(bare);
  json expected = in;
  expected["metadata"].erase("finalizers");
  expected["spec"].erase("futureField");
  EXPECT_EQ(out, expected);
}

TEST(ExperimentDecodeTest, EditedStatusIsWritten) {
  auto e = decodeExperiment(experimentJson());
  ASSERT_TRUE(e.ok());
  ExperimentStatus s = e->status;
  s.phase = AnalysisPhase::kSuccessful;
  s.message.clear();
  TemplateStatus ts = *s.templateStatus("baseline");
  ts.status = TemplateStatusCode::kSuccessful;
  s.setTemplateStatus(ts);
  TemplateStatus added;
  added.name = "new";
  s.setTemplateStatus(added);
  s.setAnalysisRun({"rate", "ex-rate", "", AnalysisPhase::kSuccessful});
  json j = toJson(s);
  EXPECT_EQ(j["phase"], "Successful");
  EXPECT_FALSE(j.contains("message"));
  EXPECT_EQ(j["templateStatuses"][0]["status"], "Successful");
  EXPECT_EQ(j["templateStatuses"][2], json({{"name", "new"},
                                            {"replicas", 0},
                                            {"updatedReplicas", 0},
                                            {"readyReplicas", 0},
                                            {"availableReplicas", 0}}));
  EXPECT_EQ(j["analysisRuns"][0],
            json({{"name", "rate"}, {"analysisRun", "ex-rate"}, {"phase", "Successful"}}));
  EXPECT_EQ(j["unmodelled"], 3);
}

TEST(ExperimentDecodeTest, EmptyObjectDecodes) {
  auto e = decodeExperiment(json::object());
  ASSERT_TRUE(e.ok()) << e.status().toString();
  EXPECT_TRUE(e->spec.templates.empty());
  EXPECT_FALSE(e->status.phase.has_value());
  EXPECT_FALSE(e->spec.duration.has_value());
}

TEST(ExperimentDecodeTest, ReportsPathOfFirstBadField) {
  auto bad = [](const char* ptr, json value) {
    json in = experimentJson();
    in[json::json_pointer(ptr)] = std::move(value);
    auto e = decodeExperiment(in);
    EXPECT_FALSE(e.ok()) << ptr;
    return e.ok() ? std::string() : e.status().field();
  };
  EXPECT_EQ(bad("/spec/templates/1/replicas", "two"), "spec.templates[1].replicas");
  EXPECT_EQ(bad("/spec/templates/0/name", 3), "spec.templates[0].name");
  EXPECT_EQ(bad("/spec/duration", "soon"), "spec.duration");
  EXPECT_EQ(bad("/spec/analyses/0/requiredForCompletion", "yes"),
            "spec.analyses[0].requiredForCompletion");
  EXPECT_EQ(bad("/spec/analyses/0/args", "x"), "spec.analyses[0].args");
  EXPECT_EQ(bad("/status/phase", "Done"), "status.phase");
  EXPECT_EQ(bad("/status/templateStatuses/1/status", "Gone"), "status.templateStatuses[1].status");
  EXPECT_EQ(bad("/status/analysisRuns/0/phase", 1), "status.analysisRuns[0].phase");
  EXPECT_EQ(bad("/metadata/labels/x", 1), "metadata.labels.x");
  auto st = decodeExperimentStatus(json{{"phase", "Nope"}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().toString(), "status.phase: unknown phase \"Nope\"");
}

TEST(RolloutExperimentStepTest, DecodesTheStepAndNamesABadField) {
  const json step = json::parse(R"({
    "duration": "10m",
    "templates": [{"name": "canary", "specRef": "canary", "replicas": 1, "weight": 5,
                   "metadata": {"labels": {"exp": "c"}, "annotations": {"a": "b"}},
                   "selector": {"matchLabels": {"app": "web"}}, "service": {"name": "svc"}},
                  {"name": "baseline", "specRef": "stable"}],
    "analyses": [{"name": "a", "templateName": "t", "args": [{"name": "x", "value": "1"}]}],
    "dryRun": [{"metricName": "m"}], "analysisRunMetadata": {"labels": {"l": "v"}}
  })");
  auto s = decodeRolloutExperimentStep(step, "spec.strategy.canary.steps[1].experiment");
  ASSERT_TRUE(s.ok()) << s.status().toString();
  ASSERT_EQ(s->templates.size(), 2u);
  EXPECT_EQ(s->templates[0].specRef, "canary");
  EXPECT_EQ(s->templates[0].weight, 5);
  EXPECT_EQ(s->templates[0].metadata.labels.at("exp"), "c");
  EXPECT_EQ(s->templates[0].metadata.annotations.at("a"), "b");
  EXPECT_EQ(s->templates[0].service->name, "svc");
  EXPECT_TRUE(s->templates[1].selector.is_null());
  EXPECT_FALSE(s->templates[1].weight.has_value());
  EXPECT_EQ(s->duration, "10m");
  EXPECT_EQ(s->analyses[0].args[0]["name"], "x");
  EXPECT_EQ(s->analysisRunMetadata["labels"]["l"], "v");

  json bad = step;
  bad["templates"][1]["weight"] = "heavy";
  auto e = decodeRolloutExperimentStep(bad, "spec.strategy.canary.steps[1].experiment");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().field(), "spec.strategy.canary.steps[1].experiment.templates[1].weight");
}

json runJson() {
  return json::parse(R"({
    "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
    "metadata": {"name": "web-abc-2-1", "namespace": "default",
                 "creationTimestamp": "2026-01-01T00:00:00Z",
                 "labels": {"rollouts-pod-template-hash": "abc", "rollout-type": "Step"}},
    "spec": {"metrics": [{"name": "rate", "provider": {"prometheus": {"query": "q"}}}],
             "args": [{"name": "svc", "value": "web"}], "terminate": true,
             "dryRun": [{"metricName": "rate"}], "ttlStrategy": {"secondsAfterCompletion": 5}},
    "status": {"phase": "Failed", "message": "Metric \"rate\" assessed Failed",
               "startedAt": "2026-01-01T00:00:01Z",
               "metricResults": [{"name": "rate", "phase": "Failed", "count": 3, "failed": 2,
                                  "successful": 1, "dryRun": true,
                                  "measurements": [{"phase": "Failed", "value": "0.2"}]}],
               "runSummary": {"count": 1, "successful": 0, "failed": 1, "inconclusive": 0,
                              "error": 0},
               "dryRunSummary": {"count": 1}}
  })");
}

TEST(AnalysisRunDecodeTest, DecodesAndRoundTrips) {
  const json in = runJson();
  auto r = decodeAnalysisRun(in);
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(r->metadata.name, "web-abc-2-1");
  EXPECT_EQ(r->label("rollout-type"), "Step");
  EXPECT_TRUE(r->spec.terminate);
  EXPECT_EQ(r->spec.metrics[0]["name"], "rate");
  EXPECT_EQ(r->status.phase, AnalysisPhase::kFailed);
  EXPECT_TRUE(r->completed());
  ASSERT_EQ(r->status.metricResults.size(), 1u);
  EXPECT_EQ(r->status.metricResults[0].phase, AnalysisPhase::kFailed);
  EXPECT_EQ(r->status.metricResults[0].failed, 2);
  EXPECT_TRUE(r->status.metricResults[0].dryRun);
  ASSERT_TRUE(r->status.runSummary.has_value());
  EXPECT_EQ(r->status.runSummary->failed, 1);
  EXPECT_EQ(toJson(*r), in);
  EXPECT_EQ(toJson(r->status), in["status"]);

  AnalysisRun edited = *r;
  edited.spec.terminate = false;
  edited.status.phase = AnalysisPhase::kError;
  json out = toJson(edited);
  EXPECT_FALSE(out["spec"].contains("terminate"));
  EXPECT_EQ(out["spec"]["ttlStrategy"], in["spec"]["ttlStrategy"]);
  EXPECT_EQ(out["status"]["phase"], "Error");
  EXPECT_EQ(out["status"]["metricResults"][0]["measurements"][0]["value"], "0.2");
}

TEST(AnalysisRunDecodeTest, ReportsPathOfFirstBadField) {
  auto bad = [](const char* ptr, json value) {
    json in = runJson();
    in[json::json_pointer(ptr)] = std::move(value);
    auto r = decodeAnalysisRun(in);
    EXPECT_FALSE(r.ok()) << ptr;
    return r.ok() ? std::string() : r.status().toString();
  };
  EXPECT_EQ(bad("/status/metricResults/0/phase", "Done"),
            "status.metricResults[0].phase: unknown phase \"Done\"");
  EXPECT_EQ(bad("/spec/terminate", "yes").rfind("spec.terminate: ", 0), 0u);
  EXPECT_EQ(bad("/spec/metrics", 1).rfind("spec.metrics: ", 0), 0u);
  EXPECT_EQ(bad("/status/runSummary/count", "x").rfind("status.runSummary.count: ", 0), 0u);
}

TEST(AnalysisPhaseTest, NamesRoundTrip) {
  for (AnalysisPhase p :
       {AnalysisPhase::kPending, AnalysisPhase::kRunning, AnalysisPhase::kSuccessful,
        AnalysisPhase::kFailed, AnalysisPhase::kError, AnalysisPhase::kInconclusive}) {
    EXPECT_EQ(parsePhase(phaseName(p)), p);
  }
  EXPECT_FALSE(parsePhase("").has_value());
  EXPECT_FALSE(parsePhase("successful").has_value());
  EXPECT_EQ(phaseName(std::optional<AnalysisPhase>()), "");
  for (TemplateStatusCode c :
       {TemplateStatusCode::kProgressing, TemplateStatusCode::kRunning,
        TemplateStatusCode::kSuccessful, TemplateStatusCode::kFailed, TemplateStatusCode::kError}) {
    EXPECT_EQ(parseTemplateStatus(templateStatusName(c)), c);
  }
  EXPECT_TRUE(isCompleted(TemplateStatusCode::kError));
  EXPECT_FALSE(isCompleted(TemplateStatusCode::kRunning));
}

}  // namespace
}  // namespace vane::kube
