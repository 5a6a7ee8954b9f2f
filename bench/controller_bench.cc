// CPU cost of the pure canary plan: a reconcile with nothing to do (healthy, steady) and a step
// transition (a timed pause that has just expired), objects in memory.
#include <benchmark/benchmark.h>

#include "controller/canary.h"
#include "controller/hash.h"
#include "controller/informers.h"
#include "controller/reconciler.h"
#include "kube/types.h"

namespace {

using nlohmann::json;
using namespace vane;

json rolloutJson() {
  return json::parse(R"({
    "metadata": {"name": "web", "namespace": "default", "uid": "u", "generation": 2},
    "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "web"}},
      "template": {"metadata": {"labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "c", "image": "v2",
                            "resources": {"limits": {"cpu": "1"}}, "env": [{"name": "A", "value": "1"}]}]}},
      "strategy": {"canary": {"canaryService": "c", "stableService": "s", "steps": [
        {"setWeight": 20}, {"pause": {"duration": "30s"}}, {"setWeight": 60}, {"pause": {}}]}}}
  })");
}

json replicaSet(const json& ro, const std::string& hash, int replicas, int revision) {
  json rs = {
      {"metadata",
       {{"name", "web-" + hash},
        {"labels", {{"app", "web"}, {"rollouts-pod-template-hash", hash}}},
        {"annotations",
         {{"rollout.argoproj.io/revision", std::to_string(revision)},
          {"rollout.argoproj.io/desired-replicas", "5"}}}}},
      {"spec", {{"replicas", replicas}, {"template", ro["spec"]["template"]}}},
      {"status",
       {{"replicas", replicas}, {"readyReplicas", replicas}, {"availableReplicas", replicas}}}};
  return rs;
}

// Runs plans until they stop changing the status, so the returned status is the steady one.
json settle(json ro, std::vector<kube::ReplicaSet> rss, int64_t now) {
  for (int i = 0; i < 10; ++i) {
    controller::RolloutContext ctx;
    ctx.rollout = *kube::decodeRollout(ro);
    ctx.allRSs = rss;
    ctx.now = now;
    controller::planRollout(ctx,
                            {{"c", rss[0].podTemplateHash()}, {"s", rss[0].podTemplateHash()}});
    json st = kube::toJson(ctx.newStatus);
    if (st == ro.value("status", json::object())) break;
    ro["status"] = st;
  }
  return ro;
}

void BM_ReconcileNothingToDo(benchmark::State& state) {
  json ro = rolloutJson();
  const std::string hash = controller::podTemplateHash(ro["spec"]["template"]);
  std::vector<kube::ReplicaSet> rss{*kube::decodeReplicaSet(replicaSet(ro, hash, 5, 1))};
  ro = settle(ro, rss, 1800000000);
  for (auto _ : state) {
    controller::RolloutContext ctx;
    ctx.rollout = *kube::decodeRollout(ro);
    ctx.invalidSpecMessage = controller::validateRollout(ctx.rollout);
    ctx.allRSs = rss;
    ctx.now = 1800000000;
    controller::planRollout(ctx, {{"c", hash}, {"s", hash}});
    benchmark::DoNotOptimize(kube::toJson(ctx.newStatus) == ro["status"]);
    if (!ctx.actions.empty()) state.SkipWithError("steady rollout planned actions");
  }
}
BENCHMARK(BM_ReconcileNothingToDo);

// The same no-op reconcile as vane-controller runs it since issue 17: the Rollout and its
// ReplicaSet were decoded once, when they entered the informer cache (CachedRollout, with its
// validation); the reconcile copies them into the context, plans, and compares the statuses.
void BM_ReconcileNothingToDoTypedCache(benchmark::State& state) {
  json ro = rolloutJson();
  const std::string hash = controller::podTemplateHash(ro["spec"]["template"]);
  json rs_json = replicaSet(ro, hash, 5, 1);
  std::vector<kube::ReplicaSet> rss{*kube::decodeReplicaSet(rs_json)};
  ro = settle(ro, rss, 1800000000);
  const auto cached = controller::decodeCachedRollout(ro);
  const auto cached_rs = controller::decodeCachedReplicaSet(rs_json);
  if (!cached || !cached->validation || !cached_rs) {
    state.SkipWithError("did not decode");
    return;
  }
  for (auto _ : state) {
    controller::RolloutContext ctx;
    ctx.rollout = cached->rollout;
    ctx.invalidSpecMessage = *cached->validation;
    ctx.allRSs.push_back(*cached_rs);
    ctx.now = 1800000000;
    controller::planRollout(ctx, {{"c", hash}, {"s", hash}});
    const bool changed = kube::toJson(ctx.newStatus) != kube::toJson(ctx.rollout.status);
    if (changed || !ctx.actions.empty()) state.SkipWithError("steady rollout planned a write");
  }
}
BENCHMARK(BM_ReconcileNothingToDoTypedCache);

void BM_StepTransitionPauseExpired(benchmark::State& state) {
  json ro = rolloutJson();
  const std::string hash = controller::podTemplateHash(ro["spec"]["template"]);
  std::vector<kube::ReplicaSet> rss{*kube::decodeReplicaSet(replicaSet(ro, hash, 1, 2)),
                                    *kube::decodeReplicaSet(replicaSet(ro, "stable1", 4, 1))};
  rss[1].metadata.labels["rollouts-pod-template-hash"] = "stable1";
  ro["status"] = {{"currentPodHash", hash},
                  {"stableRS", "stable1"},
                  {"currentStepIndex", 1},
                  {"controllerPause", true},
                  {"pauseConditions",
                   {{{"reason", "CanaryPauseStep"}, {"startTime", "2027-01-15T08:00:00Z"}}}}};
  ro["status"]["currentStepHash"] =
      controller::stepsHash(ro["spec"]["strategy"]["canary"]["steps"]);
  const int64_t now = *kube::parseTime("2027-01-15T08:00:31Z");
  for (auto _ : state) {
    controller::RolloutContext ctx;
    ctx.rollout = *kube::decodeRollout(ro);
    ctx.invalidSpecMessage = controller::validateRollout(ctx.rollout);
    ctx.allRSs = rss;
    ctx.now = now;
    controller::planRollout(ctx, {{"c", hash}, {"s", "stable1"}});
    if (ctx.newStatus.currentStepIndex.value_or(0) != 2) state.SkipWithError("no transition");
    benchmark::DoNotOptimize(kube::toJson(ctx.newStatus));
  }
}
BENCHMARK(BM_StepTransitionPauseExpired);

}  // namespace

BENCHMARK_MAIN();
