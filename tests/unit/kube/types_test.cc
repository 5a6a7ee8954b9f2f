#include "kube/types.h"

#include <gtest/gtest.h>

namespace vane::kube {
namespace {

using nlohmann::json;

json rolloutJson() {
  return json::parse(R"({
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
    "metadata": {"name": "web", "namespace": "default", "uid": "u1", "generation": 3,
                 "resourceVersion": "42", "labels": {"app": "web"}},
    "spec": {
      "replicas": 5, "minReadySeconds": 2, "revisionHistoryLimit": 3,
      "progressDeadlineSeconds": 120, "progressDeadlineAbort": true,
      "selector": {"matchLabels": {"app": "web"}},
      "template": {"metadata": {"labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}},
      "strategy": {"canary": {
        "maxSurge": "20%", "maxUnavailable": 0,
        "canaryService": "web-canary", "stableService": "web-stable",
        "canaryMetadata": {"labels": {"role": "canary"}},
        "scaleDownDelaySeconds": 10, "abortScaleDownDelaySeconds": 0,
        "minPodsPerReplicaSet": 2, "dynamicStableScale": false,
        "analysis": {"templates": [{"templateName": "rate"}], "startingStep": 2},
        "trafficRouting": {"istio": {"virtualService": {"name": "vs"}},
                           "managedRoutes": [{"name": "hdr"}]},
        "steps": [
          {"setWeight": 20},
          {"pause": {"duration": "30s"}},
          {"pause": {"duration": 45}},
          {"pause": {"duration": "1m"}},
          {"pause": {"duration": "1h"}},
          {"pause": {}},
          {"setCanaryScale": {"replicas": 2}},
          {"analysis": {"templates": [{"templateName": "t"}]}},
          {"setHeaderRoute": {"name": "hdr", "match": [{"headerName": "x"}]}},
          {"setMirrorRoute": {"name": "m"}}
        ]}}},
    "status": {
      "currentStepIndex": 1, "currentPodHash": "abc", "stableRS": "def",
      "observedGeneration": "3", "phase": "Paused", "message": "CanaryPauseStep",
      "controllerPause": true,
      "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}],
      "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                      "message": "m", "lastUpdateTime": "t1", "lastTransitionTime": "t0"}],
      "canary": {"weights": {"canary": {"weight": 20, "serviceName": "web-canary",
                                        "podTemplateHash": "abc"},
                             "stable": {"weight": 80, "serviceName": "web-stable",
                                        "podTemplateHash": "def"}},
                 "stablePingPong": "ping"},
      "blueGreen": {}, "alb": {"x": 1}, "HPAReplicas": 5, "replicas": 5}
  })");
}

TEST(RolloutDecodeTest, DecodesSpec) {
  auto r = decodeRollout(rolloutJson());
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(r->metadata.name, "web");
  EXPECT_EQ(r->metadata.generation, 3);
  EXPECT_EQ(*r->spec.replicas, 5);
  EXPECT_EQ(r->spec.minReadySeconds, 2);
  EXPECT_TRUE(r->spec.progressDeadlineAbort);
  EXPECT_EQ(r->spec.progressDeadlineOrDefault(), 120);
  ASSERT_TRUE(r->spec.canary);
  const auto& c = *r->spec.canary;
  EXPECT_EQ(*c.maxSurge, "20%");
  EXPECT_EQ(*c.maxUnavailable, 0);
  EXPECT_EQ(c.canaryService, "web-canary");
  EXPECT_EQ(c.canaryMetadata->labels.at("role"), "canary");
  EXPECT_EQ(*c.minPodsPerReplicaSet, 2);
  EXPECT_EQ(*c.analysis->startingStep, 2);
  EXPECT_EQ(c.managedRoutes, std::vector<std::string>{"hdr"});
  ASSERT_EQ(c.steps.size(), 10u);
  EXPECT_EQ(*c.steps[0].setWeight, 20);
  EXPECT_EQ(*c.steps[1].pause->duration, 30);
  EXPECT_EQ(*c.steps[2].pause->duration, 45);
  EXPECT_EQ(*c.steps[3].pause->duration, 60);
  EXPECT_EQ(*c.steps[4].pause->duration, 3600);
  EXPECT_FALSE(c.steps[5].pause->duration.has_value());
  EXPECT_EQ(*c.steps[6].setCanaryScale->replicas, 2);
  EXPECT_TRUE(c.steps[7].analysis.has_value());
  EXPECT_EQ((*c.steps[8].setHeaderRoute)["name"], "hdr");
  EXPECT_TRUE(c.steps[9].setMirrorRoute.has_value());
  for (const auto& s : c.steps) EXPECT_EQ(s.fieldCount(), 1);
}

TEST(RolloutDecodeTest, DecodesStatusAndKeepsUnknownFields) {
  auto r = decodeRollout(rolloutJson());
  ASSERT_TRUE(r.ok());
  const auto& s = r->status;
  EXPECT_EQ(*s.currentStepIndex, 1);
  EXPECT_EQ(s.stableRS, "def");
  EXPECT_TRUE(s.controllerPause);
  EXPECT_TRUE(s.hasPauseCondition("CanaryPauseStep"));
  EXPECT_EQ(s.condition("Progressing")->reason, "ReplicaSetUpdated");
  EXPECT_EQ(s.canary.weights->canary.weight, 20);
  json out = toJson(s);
  EXPECT_EQ(out["alb"]["x"], 1);
  EXPECT_EQ(out["canary"]["stablePingPong"], "ping");
  EXPECT_EQ(out["canary"]["weights"]["stable"]["podTemplateHash"], "def");
  EXPECT_EQ(out["observedGeneration"], "3");
  EXPECT_EQ(out["pauseConditions"][0]["startTime"], "2026-01-01T00:00:00Z");
  EXPECT_FALSE(out.contains("abort"));  // omitempty
  // Round trip is stable.
  auto again = decodeRolloutStatus(out);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(toJson(*again), out);
}

TEST(RolloutDecodeTest, NumericObservedGenerationIsAccepted) {
  auto s = decodeRolloutStatus(json{{"observedGeneration", 4}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->observedGeneration, "4");
}

struct BadCase {
  const char* patch;  // JSON merge patch onto rolloutJson()
  const char* error;
};

TEST(RolloutDecodeTest, ReportsPathOfFirstBadField) {
  const BadCase cases[] = {
      {R"({"spec":{"strategy":{"canary":{"steps":[{"setWeight":10},{"pause":{}},{"setWeight":"x"}]}}}})",
       "spec.strategy.canary.steps[2].setWeight: expected integer, got string"},
      {R"({"spec":{"replicas":"five"}})", "spec.replicas: expected integer, got string"},
      {R"({"spec":{"strategy":{"canary":{"steps":[{"pause":{"duration":"10d"}}]}}}})",
       "spec.strategy.canary.steps[0].pause.duration: unknown unit \"d\" in duration \"10d\" "
       "(valid units are \"ns\", \"us\", \"ms\", \"s\", \"m\", \"h\")"},
      {R"({"spec":{"strategy":{"canary":{"steps":[{"pause":{"duration":-5}}]}}}})",
       "spec.strategy.canary.steps[0].pause.duration: Duration needs to be greater than 0"},
      {R"({"spec":{"strategy":{"canary":{"maxSurge":true}}}})",
       "spec.strategy.canary.maxSurge: expected integer or string, got boolean"},
      {R"({"spec":{"strategy":{"canary":{"steps":"x"}}}})",
       "spec.strategy.canary.steps: expected array, got string"},
      {R"({"spec":{"paused":"yes"}})", "spec.paused: expected boolean, got string"},
      {R"({"status":{"currentStepIndex":1.5}})",
       "status.currentStepIndex: expected integer, got number"},
  };
  for (const auto& c : cases) {
    json obj = rolloutJson();
    obj.merge_patch(json::parse(c.patch));
    auto r = decodeRollout(obj);
    ASSERT_FALSE(r.ok()) << c.patch;
    EXPECT_EQ(r.status().toString(), c.error);
  }
}

TEST(DurationTest, ArgoForms) {
  EXPECT_EQ(*parseDurationSeconds(30), 30);
  EXPECT_EQ(*parseDurationSeconds("30"), 30);
  EXPECT_EQ(*parseDurationSeconds("30s"), 30);
  EXPECT_EQ(*parseDurationSeconds("1m"), 60);
  EXPECT_EQ(*parseDurationSeconds("1h"), 3600);
  EXPECT_EQ(*parseDurationSeconds("1h30m5s"), 5405);
  EXPECT_EQ(*parseDurationSeconds("1.5h"), 5400);  // Go syntax throughout (base/duration.h)
  EXPECT_EQ(*parseDurationSeconds("1500ms"), 1);
  EXPECT_EQ(*parseDurationSeconds("0"), 0);
  EXPECT_FALSE(parseDurationSeconds("1d").ok());
  EXPECT_FALSE(parseDurationSeconds("").ok());
  EXPECT_FALSE(parseDurationSeconds("abc").ok());
  EXPECT_FALSE(parseDurationSeconds(json::object()).ok());
  EXPECT_EQ(parseDurationSeconds("-1s").status().message(), "Duration needs to be greater than 0");
}

TEST(ReplicaSetDecodeTest, ReadsCountsHashAndRevision) {
  json rs =
      json::parse(R"({"metadata":{"name":"web-abc","labels":{"rollouts-pod-template-hash":"abc"},
      "annotations":{"rollout.argoproj.io/revision":"4"}},
      "spec":{"replicas":3,"template":{}},
      "status":{"replicas":3,"readyReplicas":2,"availableReplicas":1}})");
  auto r = decodeReplicaSet(rs);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 3);
  EXPECT_EQ(r->status.availableReplicas, 1);
  EXPECT_EQ(r->podTemplateHash(), "abc");
  EXPECT_EQ(*r->revision(), 4);
  rs["spec"].erase("replicas");
  EXPECT_EQ(decodeReplicaSet(rs)->replicas, 1);  // Kubernetes default
}

TEST(ServiceDecodeTest, Selector) {
  auto s = decodeService(json::parse(
      R"({"metadata":{"name":"svc"},"spec":{"selector":{"app":"web","rollouts-pod-template-hash":"h"}}})"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->selector.at("rollouts-pod-template-hash"), "h");
}

TEST(PodTest, ReadinessAndAvailability) {
  json pod = json::parse(R"({"metadata":{"name":"p"},"status":{"conditions":[
      {"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}]}})");
  const int64_t t0 = *parseTime("2026-01-01T00:00:00Z");
  EXPECT_TRUE(podReady(pod));
  EXPECT_TRUE(podAvailable(pod, 0, t0));
  EXPECT_FALSE(podAvailable(pod, 10, t0 + 5));
  EXPECT_TRUE(podAvailable(pod, 10, t0 + 10));
  pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:01Z";
  EXPECT_FALSE(podReady(pod));
  EXPECT_FALSE(
      podReady(json::parse(R"({"status":{"conditions":[{"type":"Ready","status":"False"}]}})")));
  EXPECT_FALSE(podReady(json::object()));
}

TEST(TimeTest, RoundTrip) {
  EXPECT_EQ(formatTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(*parseTime(formatTime(1790000000)), 1790000000);
  EXPECT_EQ(*parseTime("2026-11-24T19:43:18.123456Z"), *parseTime("2026-11-24T19:43:18Z"));
  EXPECT_FALSE(parseTime("yesterday").has_value());
}

}  // namespace
}  // namespace vane::kube
