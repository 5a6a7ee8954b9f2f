// The pod restarter (Argo rollout/restart.go): the plan (when, which ReplicaSets, in which order,
// how many at once) and the pod loop over in-memory pods with a recording evict function.
#include "controller/restart.h"

#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "controller/hash.h"
#include "controller/replicaset.h"
#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::kNow;
using testing::World;

kube::ReplicaSet makeRS(const std::string& hash, int32_t replicas, int64_t created) {
  json rs = {{"metadata",
              {{"name", "web-" + hash},
               {"uid", "uid-" + hash},
               {"creationTimestamp", kube::formatTime(created)},
               {"labels", {{kLabelPodTemplateHash, hash}}}}},
             {"spec", {{"replicas", replicas}}}};
  return *kube::decodeReplicaSet(rs);
}

RolloutContext context(json rollout, const std::string& restart_at) {
  if (!restart_at.empty()) rollout["spec"]["restartAt"] = restart_at;
  RolloutContext ctx;
  ctx.rollout = *kube::decodeRollout(rollout);
  ctx.now = kNow;
  ctx.newStatus = ctx.rollout.status;
  return ctx;
}

const RestartPods* restartAction(const RolloutContext& ctx) {
  return firstAction<RestartPods>(ctx.actions);
}

TEST(RestartPlanTest, NothingWithoutRestartAt) {
  auto ctx = context(testing::basicRollout(4, json::array()), "");
  planPodRestart(ctx);
  EXPECT_TRUE(ctx.actions.empty());
  EXPECT_FALSE(ctx.requeueAt);
}

TEST(RestartPlanTest, FutureRestartAtRequeuesAtIt) {
  auto ctx = context(testing::basicRollout(4, json::array()), kube::formatTime(kNow + 90));
  planPodRestart(ctx);
  EXPECT_EQ(restartAction(ctx), nullptr);
  ASSERT_TRUE(ctx.requeueAt);
  EXPECT_EQ(*ctx.requeueAt, kNow + 90);
}

TEST(RestartPlanTest, DoneWhenStatusRestartedAtMatches) {
  json ro = testing::basicRollout(4, json::array());
  ro["status"]["restartedAt"] = kube::formatTime(kNow - 60);
  auto ctx = context(ro, kube::formatTime(kNow - 60));
  planPodRestart(ctx);
  EXPECT_TRUE(ctx.actions.empty());
}

TEST(RestartPlanTest, PassedRestartAtPlansStableThenNewThenOlder) {
  json ro = testing::basicRollout(4, json::array());
  ro["status"]["stableRS"] = "stable";
  auto ctx = context(ro, kube::formatTime(kNow - 60));
  const std::string hash = podTemplateHash(ctx.rollout.spec.template_);
  ctx.allRSs = {makeRS("old2", 0, kNow - 200), makeRS(hash, 1, kNow - 100),
                makeRS("old1", 1, kNow - 300), makeRS("stable", 3, kNow - 250)};
  classifyReplicaSets(ctx);
  planPodRestart(ctx);
  const RestartPods* a = restartAction(ctx);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->replicaSets,
            (std::vector<std::string>{"uid-stable", "uid-" + hash, "uid-old1", "uid-old2"}));
  EXPECT_EQ(a->restartAt, kNow - 60);
  EXPECT_EQ(a->replicas, 4);
  EXPECT_EQ(a->totalReplicas, 5);
  EXPECT_EQ(a->maxUnavailable, 1);  // 25% of 4
  EXPECT_TRUE(a->stopIfRestarted);
}

TEST(RestartPlanTest, MaxUnavailableAsArgo) {
  auto canary = [](json patch) {
    json ro = testing::basicRollout(10, json::array(), patch);
    return restartMaxUnavailable(*kube::decodeRollout(ro));
  };
  EXPECT_EQ(canary(json::object()), 2);  // 25% of 10, down
  EXPECT_EQ(canary({{"maxUnavailable", 4}}), 4);
  EXPECT_EQ(canary({{"maxUnavailable", 0}, {"maxSurge", 0}}), 1);  // fencepost
  EXPECT_EQ(canary({{"maxUnavailable", 20}}), 10);                 // capped at replicas
  json bg = testing::basicRollout(10, json::array());
  bg["spec"]["strategy"] = {{"blueGreen", {{"activeService", "a"}}}};
  EXPECT_EQ(restartMaxUnavailable(*kube::decodeRollout(bg)), 2);  // default 25%
  bg["spec"]["strategy"]["blueGreen"]["maxUnavailable"] = "50%";
  EXPECT_EQ(restartMaxUnavailable(*kube::decodeRollout(bg)), 5);
  bg["spec"]["replicas"] = 0;
  EXPECT_EQ(restartMaxUnavailable(*kube::decodeRollout(bg)), 0);
}

json pod(const std::string& name, int64_t created, bool ready = true) {
  json p = {
      {"metadata", {{"name", name}, {"creationTimestamp", kube::formatTime(created)}}},
      {"status",
       {{"conditions", json::array({{{"type", "Ready"},
                                     {"status", ready ? "True" : "False"},
                                     {"lastTransitionTime", kube::formatTime(created + 1)}}})}}}};
  return p;
}

RestartPods body(int32_t replicas, int32_t total, int32_t max_unavailable) {
  RestartPods a;
  a.restartAt = kNow - 60;
  a.replicas = replicas;
  a.totalReplicas = total;
  a.maxUnavailable = max_unavailable;
  return a;
}

struct Recorder {
  std::vector<std::string> evicted;
  std::map<std::string, Status> failures;
  std::function<Status(const json&)> fn() {
    return [this](const json& p) {
      const std::string name = p["metadata"]["name"];
      if (failures.count(name)) return failures[name];
      evicted.push_back(name);
      return Status::ok();
    };
  }
};

using Names = std::vector<std::string>;

TEST(RestartPodsTest, RestartsOldPodsWithinTheBudget) {
  std::vector<json> pods = {pod("a", kNow - 600), pod("b", kNow - 600), pod("c", kNow - 60),
                            pod("d", kNow - 600)};
  Recorder r;
  // 4 available, 4 wanted, maxUnavailable 2: two at once. "c" was created at restartAt: current.
  auto out = restartPods(body(4, 4, 2), pods, kNow, r.fn());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(r.evicted, (Names{"a", "b"}));
  EXPECT_EQ(out->restarted, 2);
  EXPECT_EQ(out->needsRestart, 3);
}

TEST(RestartPodsTest, WaitsForAvailabilityAndRestartsOneWhenMaxUnavailableIsZero) {
  std::vector<json> pods = {pod("a", kNow - 600), pod("b", kNow - 600, false),
                            pod("c", kNow - 600)};
  Recorder r;
  auto out = restartPods(body(3, 3, 0), pods, kNow, r.fn());  // 2 available, min 2: none
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(r.evicted.empty());
  EXPECT_EQ(out->needsRestart, 3);
  pods[1] = pod("b", kNow - 600);
  out = restartPods(body(3, 3, 0), pods, kNow, r.fn());  // at least one at a time
  EXPECT_EQ(r.evicted, (Names{"a"}));
}

TEST(RestartPodsTest, SurplusReplicasRaiseTheMinimum) {
  // A canary weight that does not divide evenly: 5 pods for 4 replicas.
  std::vector<json> pods;
  for (const char* n : {"a", "b", "c", "d", "e"}) pods.push_back(pod(n, kNow - 600));
  Recorder r;
  auto out = restartPods(body(4, 5, 1), pods, kNow, r.fn());
  EXPECT_EQ(r.evicted, (Names{"a"}));
}

TEST(RestartPodsTest, DeletingPodsCountButAreNotEvictedAgain) {
  std::vector<json> pods = {pod("a", kNow - 600), pod("b", kNow - 600)};
  pods[0]["metadata"]["deletionTimestamp"] = kube::formatTime(kNow - 1);
  Recorder r;
  auto out = restartPods(body(2, 2, 2), pods, kNow, r.fn());
  EXPECT_EQ(r.evicted, (Names{"b"}));
  EXPECT_EQ(out->needsRestart, 2);
  EXPECT_EQ(out->restarted, 1);
}

TEST(RestartPodsTest, DisruptionBudgetSkipsThePodOtherErrorsStop) {
  std::vector<json> pods = {pod("a", kNow - 600), pod("b", kNow - 600), pod("c", kNow - 600)};
  Recorder r;
  r.failures["a"] = Status(Code::kTooManyRequests, "Cannot evict pod");
  auto out = restartPods(body(3, 3, 1), pods, kNow, r.fn());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(r.evicted, (Names{"b"}));
  r.failures["b"] = Status(Code::kForbidden, "no");
  r.evicted.clear();
  out = restartPods(body(3, 3, 1), pods, kNow, r.fn());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kForbidden);
}

TEST(RestartPlanTest, NewTemplateMarksTheRestartDone) {
  World w(testing::basicRollout(3, json::array()));
  w.settle();
  w.rollout()["spec"]["restartAt"] = kube::formatTime(w.now - 10);
  w.setImage("v2");
  w.reconcile();
  EXPECT_EQ(w.status().restartedAt, kube::formatTime(w.now - 10));
}

TEST(RestartPlanTest, CanaryPlanRestartsBeforeAnythingElse) {
  World w(testing::basicRollout(3, json::array()));
  w.settle();
  w.rollout()["spec"]["restartAt"] = kube::formatTime(w.now - 10);
  w.bumpGeneration();
  w.reconcile();
  ASSERT_FALSE(w.lastActions().empty());
  EXPECT_TRUE(std::holds_alternative<RestartPods>(w.lastActions()[0]));
}

// Executed: the canary deletes what the budget allows and stops that reconcile (no status, no
// events); the ReplicaSet controller replaces the pods; once none predates restartAt the status
// records it.
TEST(RestartPlanTest, CanaryRestartStopsEachReconcileUntilEveryPodIsNew) {
  World w(testing::basicRollout(3, json::array()));
  w.settle();
  w.now += 100;
  const std::string restart_at = kube::formatTime(w.now - 10);
  w.rollout()["spec"]["restartAt"] = restart_at;
  w.bumpGeneration();
  const json before = w.rollout()["status"];
  const size_t events = w.events().size();
  auto deletedPods = [&] {
    int n = 0;
    for (const auto& r : w.client().requests) n += r.verb == "delete" && r.resource == "pods";
    w.client().requests.clear();
    return n;
  };
  deletedPods();
  for (int i = 0; i < 3; ++i) {
    w.reconcile();
    EXPECT_EQ(deletedPods(), 1) << "reconcile " << i;  // maxUnavailable 0: one at a time
    EXPECT_EQ(w.rollout()["status"], before) << "reconcile " << i;
    EXPECT_EQ(w.events().size(), events);
    w.now += 1;
  }
  w.reconcile();  // every pod is newer than restartAt
  EXPECT_EQ(deletedPods(), 0);
  EXPECT_EQ(w.status().restartedAt, restart_at);
  for (const auto& pod : w.pods()) {
    EXPECT_GT(kube::parseTime(pod["metadata"]["creationTimestamp"]).value_or(0),
              kube::parseTime(restart_at).value_or(0));
  }
}

}  // namespace
}  // namespace vane::controller
