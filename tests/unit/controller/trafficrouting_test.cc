// The traffic-routing plan (controller/trafficrouting.cc) against Argo's reconcileTrafficRouting:
// which router calls are planned, in which order, and when none are.
#include "controller/trafficrouting.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "world.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using testing::basicRollout;
using testing::World;
using Calls = std::vector<std::string>;

json headerStep(const std::string& regex) {
  return {{"setHeaderRoute",
           {{"name", "hdr"},
            {"match", {{{"headerName", "agent"}, {"headerValue", {{"regex", regex}}}}}}}}};
}

json hostRollout() {
  return basicRollout(
      5, json::array({headerStep("firefox"), {{"setWeight", 20}}, {{"pause", json::object()}}}),
      json::parse(R"({"canaryService": "canary", "stableService": "stable",
        "trafficRouting": {"managedRoutes": [{"name": "hdr"}],
          "istio": {"virtualService": {"name": "vs", "routes": ["primary"]}}}})"));
}

json subsetRollout() {
  return basicRollout(2, json::array({{{"setWeight", 20}}, {{"pause", json::object()}}}),
                      json::parse(R"({"trafficRouting": {"istio": {
        "virtualService": {"name": "vs"},
        "destinationRule": {"name": "dr", "canarySubsetName": "canary",
                            "stableSubsetName": "stable"}}}})"));
}

// The planned router calls, by name, in order.
std::vector<std::string> routerCalls(const std::vector<Action>& actions) {
  std::vector<std::string> out;
  for (const Action& a : actions) {
    if (std::holds_alternative<UpdateHash>(a)) out.push_back("updateHash");
    if (std::holds_alternative<SetWeight>(a)) out.push_back("setWeight");
    if (std::holds_alternative<SyncManagedRoutes>(a)) out.push_back("syncManagedRoutes");
  }
  return out;
}

// The names SyncManagedRoutes asks for, in order; "-" when no SyncManagedRoutes was planned.
std::string synced(const std::vector<Action>& actions) {
  const SyncManagedRoutes* sync = firstAction<SyncManagedRoutes>(actions);
  if (sync == nullptr) return "-";
  std::string out;
  for (const ManagedRouteSpec& r : sync->routes) {
    out += (out.empty() ? "" : ",") + r.route.value("name", "") + (r.mirror ? "(mirror)" : "");
  }
  return out;
}

int32_t stepIndex(World& w) { return w.status().currentStepIndex.value_or(-1); }

json qaStep() {
  return {{"setHeaderRoute",
           {{"name", "qa"},
            {"match", {{{"headerName", "x-canary"}, {"headerValue", {{"exact", "qa"}}}}}}}}};
}

json mirrorStep(const std::string& name) {
  return {{"setMirrorRoute",
           {{"name", name}, {"percentage", 50}, {"match", {{{"path", {{"prefix", "/api"}}}}}}}}};
}

// The acceptance Rollout of issue 15: a header route before the first setWeight.
json qaRollout(json steps = json()) {
  if (steps.is_null()) {
    steps = json::array({qaStep(),
                         {{"setWeight", 10}},
                         {{"pause", json::object()}},
                         {{"setWeight", 40}},
                         {{"pause", json::object()}}});
  }
  return basicRollout(5, steps, json::parse(R"({"canaryService": "canary",
        "stableService": "stable", "trafficRouting": {
          "managedRoutes": [{"name": "mirror"}, {"name": "qa"}],
          "istio": {"virtualService": {"name": "vs", "routes": ["primary"]}}}})"));
}

// The V2 update of qaRollout, reconciled until it pauses at `step`.
World pausedAt(int32_t step, json steps = json()) {
  World w(qaRollout(std::move(steps)));
  w.settle();
  w.setImage("v2");
  w.settle();
  EXPECT_EQ(stepIndex(w), step);
  return w;
}

TEST(PlanTrafficRouting, InstallRunsNoRouteStepAndWaitsForTheStablePods) {
  World w(hostRollout());
  w.podsReady = false;
  for (int i = 0; i < 5; ++i) {
    w.reconcile();
    // checkReplicasAvailable: no ReplicaSet, or one without pods, takes no traffic yet.
    EXPECT_EQ(routerCalls(w.lastActions()), Calls{"syncManagedRoutes"}) << "reconcile " << i;
    EXPECT_EQ(synced(w.lastActions()), "");
  }
  w.podsReady = true;
  w.settle();
  bool hash_set = false;
  for (int i = 0; i < 3; ++i) {
    w.reconcile();
    EXPECT_EQ(synced(w.lastActions()), "");  // revision 1: no route step
    if (const UpdateHash* a = firstAction<UpdateHash>(w.lastActions())) {
      hash_set = true;
      EXPECT_EQ(a->canary, a->stable);
    }
  }
  EXPECT_TRUE(hash_set);
}

TEST(PlanTrafficRouting, ManagedRoutesAreSyncedBeforeTheWeights) {
  World w(hostRollout());
  w.settle();
  w.setImage("v2");
  w.settle();
  ASSERT_EQ(stepIndex(w), 2);
  w.reconcile();
  const auto calls = routerCalls(w.lastActions());
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[0], "syncManagedRoutes");
  EXPECT_EQ(synced(w.lastActions()), "hdr");
  // The executor told the router the desired routes by name.
  EXPECT_NE(std::find(w.routerCalls.begin(), w.routerCalls.end(), "syncManagedRoutes hdr"),
            w.routerCalls.end());
}

// (Vane) argo-rollouts #4486: Argo sets the route only while on its step, and removes it while
// the canary (scaled to 0 before any setWeight) has no pod, so it never comes back. Here the
// step completes, the route is held out while the canary has no pod and written once it has.
TEST(PlanTrafficRouting, HeaderRouteBeforeTheFirstSetWeightIsWrittenOnceTheCanaryHasAPod) {
  World w(qaRollout());
  w.settle();
  w.setImage("v2");
  bool held_out = false;
  for (int i = 0; i < 30 && stepIndex(w) != 2; ++i) {
    w.reconcile();
    if (synced(w.lastActions()) == "") held_out = true;
  }
  ASSERT_EQ(stepIndex(w), 2) << "stuck at step " << stepIndex(w);
  EXPECT_TRUE(held_out);
  w.settle();
  w.reconcile();
  EXPECT_EQ(synced(w.lastActions()), "qa");
  EXPECT_EQ(w.status().canary.weights->canary.weight, 10);
  // Promoted to the next pause (kubectl vane promote), the route stays.
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  ASSERT_EQ(stepIndex(w), 4);
  w.reconcile();
  EXPECT_EQ(synced(w.lastActions()), "qa");
  EXPECT_EQ(w.status().canary.weights->canary.weight, 40);
}

TEST(PlanTrafficRouting, RoutesAreHeldOutWhileTheCanaryHasNoAvailablePod) {
  World w = pausedAt(2);
  w.reconcile();
  ASSERT_EQ(synced(w.lastActions()), "qa");
  w.podsReady = false;  // every canary pod deleted, the new ones not Ready yet
  w.reconcile();
  w.reconcile();
  EXPECT_EQ(synced(w.lastActions()), "");
  w.podsReady = true;
  w.reconcile();
  w.reconcile();
  EXPECT_EQ(synced(w.lastActions()), "qa");
  EXPECT_EQ(stepIndex(w), 2);
}

TEST(PlanTrafficRouting, RoutesAreRemovedOnAbortPromoteFullAndCompletion) {
  {
    World w = pausedAt(2);
    w.patchStatus({{"abort", true}});
    w.reconcile();
    EXPECT_EQ(synced(w.lastActions()), "");
    w.settle();
    w.reconcile();
    EXPECT_EQ(synced(w.lastActions()), "");
  }
  {
    World w = pausedAt(2);
    w.patchStatus({{"promoteFull", true}});
    w.reconcile();
    EXPECT_EQ(synced(w.lastActions()), "");
  }
  {
    World w = pausedAt(2);
    for (int i = 0; i < 2; ++i) {
      w.patchStatus({{"pauseConditions", nullptr}});
      w.settle();
    }
    ASSERT_EQ(w.status().stableRS, w.status().currentPodHash);
    w.reconcile();
    EXPECT_EQ(synced(w.lastActions()), "");
  }
}

// Routes of the previous revision do not survive into the next update's early steps.
TEST(PlanTrafficRouting, ANewRevisionStartsWithoutThePreviousRoutes) {
  const json steps = json::array({{{"setWeight", 20}}, qaStep(), {{"pause", json::object()}}});
  World w = pausedAt(2, steps);
  w.reconcile();
  ASSERT_EQ(synced(w.lastActions()), "qa");
  w.setImage("v3");
  w.reconcile();  // the steps start again
  ASSERT_EQ(stepIndex(w), 0);
  bool canary_weighted = false;  // step 0 reconciled with V3 available (its weight set)
  for (int i = 0; i < 30 && stepIndex(w) == 0; ++i) {
    w.reconcile();
    EXPECT_EQ(synced(w.lastActions()), "") << "reconcile " << i;
    const SetWeight* weight = firstAction<SetWeight>(w.lastActions());
    canary_weighted |= weight != nullptr && weight->weight == 20;
  }
  EXPECT_TRUE(canary_weighted);
  w.settle();
  ASSERT_EQ(stepIndex(w), 2);
  w.reconcile();
  EXPECT_EQ(synced(w.lastActions()), "qa");
}

TEST(PlanTrafficRouting, LaterStepsReplaceAndRemoveRoutesInManagedRoutesOrder) {
  json no_match = {{"setHeaderRoute", {{"name", "qa"}}}};
  const json steps = json::array({qaStep(),
                                  mirrorStep("mirror"),
                                  {{"setWeight", 20}},
                                  {{"pause", json::object()}},
                                  no_match,
                                  {{"pause", json::object()}}});
  World w = pausedAt(3, steps);
  w.reconcile();
  EXPECT_EQ(synced(w.lastActions()), "mirror(mirror),qa");  // managedRoutes order
  const SyncManagedRoutes* sync = firstAction<SyncManagedRoutes>(w.lastActions());
  ASSERT_NE(sync, nullptr);
  EXPECT_EQ(sync->routes[0].path, "spec.strategy.canary.steps[1].setMirrorRoute");
  EXPECT_EQ(sync->routes[0].route["percentage"], 50);
  w.patchStatus({{"pauseConditions", nullptr}});
  w.settle();
  ASSERT_EQ(stepIndex(w), 5);
  w.reconcile();
  EXPECT_EQ(synced(w.lastActions()), "mirror(mirror)");
}

// (Vane) argo-rollouts #4561: Argo's availability guard returns before the route step's call,
// and the step completes anyway: the route is never written. Here the routes are synced before
// the guard, so the step completes with its route written.
TEST(PlanTrafficRouting, RouteStepIsNotSkippedWhileTheStableReplicaSetIsShort) {
  const json steps = json::array({{{"setWeight", 20}}, qaStep(), {{"pause", json::object()}}});
  World w(qaRollout(steps));
  w.settle();
  const std::string stable = w.status().stableRS;
  w.setImage("v2");
  for (int i = 0; i < 30 && stepIndex(w) != 1; ++i) w.reconcile();
  ASSERT_EQ(stepIndex(w), 1);
  for (json& rs : w.replicaSets()) {
    if (rs["metadata"]["labels"].value("rollouts-pod-template-hash", "") == stable) {
      rs["status"]["availableReplicas"] = 1;  // 4 needed for 80 %
    }
  }
  w.reconcile();
  EXPECT_EQ(firstAction<SetWeight>(w.lastActions()), nullptr);  // the guard held the weights
  EXPECT_EQ(synced(w.lastActions()), "qa");
  EXPECT_EQ(stepIndex(w), 2);
}

TEST(PlanTrafficRouting, SubsetModeMovesNoSubsetOntoAReplicaSetThatIsNotAvailable) {
  World w(subsetRollout());
  w.settle();
  const std::string v1 = w.status().stableRS;
  w.setImage("v2");
  w.podsReady = false;
  w.settle();
  // V2 is scaled up but has no available pod: Argo's shouldDelayDestinationRuleUpdate.
  const std::string v2 = w.status().currentPodHash;
  ASSERT_NE(v1, v2);
  ASSERT_EQ(w.replicasOf(v2), 1);
  w.reconcile();
  EXPECT_EQ(routerCalls(w.lastActions()), Calls{});  // no managed routes: nothing to sync
  w.podsReady = true;
  w.reconcile();  // the kubelet makes V2 available
  w.routerCalls.clear();
  w.reconcile();
  const UpdateHash* moved = firstAction<UpdateHash>(w.lastActions());
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->canary, v2);
  EXPECT_EQ(moved->stable, v1);
  // The executor told the router, subsets before weight (router.h call order).
  ASSERT_GE(w.routerCalls.size(), 2u);
  EXPECT_EQ(w.routerCalls[0], "updateHash " + v2 + " " + v1);
  EXPECT_EQ(w.routerCalls[1].rfind("setWeight ", 0), 0u);
}

TEST(PlanTrafficRouting, WeightUpdatedEventUsesArgosWording) {
  World w(hostRollout());
  w.settle();
  w.setImage("v2");
  w.settle();
  std::vector<std::string> messages;
  for (const Event& e : w.events()) {
    if (e.reason == "TrafficWeightUpdated") messages.push_back(e.message);
  }
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.front(), "Traffic weight updated to 0");
  EXPECT_NE(std::find(messages.begin(), messages.end(), "Traffic weight updated from 0 to 20"),
            messages.end());
}

}  // namespace
}  // namespace vane::controller
