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
using Kind = Action::Kind;

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

std::vector<Kind> routerCalls(const std::vector<Action>& actions) {
  std::vector<Kind> out;
  for (const Action& a : actions) {
    if (a.kind == Kind::kUpdateHash || a.kind == Kind::kSetWeight ||
        a.kind == Kind::kSetHeaderRoute || a.kind == Kind::kSetMirrorRoute ||
        a.kind == Kind::kRemoveManagedRoutes) {
      out.push_back(a.kind);
    }
  }
  return out;
}

TEST(PlanTrafficRouting, InstallRunsNoRouteStepAndWaitsForTheStablePods) {
  World w(hostRollout());
  w.podsReady = false;
  for (int i = 0; i < 5; ++i) {
    w.reconcile();
    // checkReplicasAvailable: no ReplicaSet, or one without pods, takes no traffic yet.
    EXPECT_EQ(routerCalls(w.lastActions()), std::vector<Kind>{Kind::kRemoveManagedRoutes})
        << "reconcile " << i;
  }
  w.podsReady = true;
  w.settle();
  bool hash_set = false;
  for (int i = 0; i < 3; ++i) {
    w.reconcile();
    for (const Action& a : w.lastActions()) {
      EXPECT_NE(a.kind, Kind::kSetHeaderRoute);  // revision 1: Argo runs no route step
      if (a.kind == Kind::kUpdateHash) {
        hash_set = true;
        EXPECT_EQ(a.body["canary"], a.body["stable"]);
      }
    }
  }
  EXPECT_TRUE(hash_set);
}

TEST(PlanTrafficRouting, ManagedRoutesAreRemovedBeforeTheStepRouteIsSet) {
  World w(hostRollout());
  w.settle();
  w.setImage("v2");
  w.reconcile();  // the reset of the steps
  w.reconcile();  // V2's ReplicaSet created; step 0 is the header route
  const auto calls = routerCalls(w.lastActions());
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[0], Kind::kRemoveManagedRoutes);
  EXPECT_EQ(calls[1], Kind::kSetHeaderRoute);
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
  EXPECT_EQ(routerCalls(w.lastActions()), std::vector<Kind>{Kind::kRemoveManagedRoutes});
  w.podsReady = true;
  w.reconcile();  // the kubelet makes V2 available
  w.reconcile();
  bool moved = false;
  for (const Action& a : w.lastActions()) {
    if (a.kind == Kind::kUpdateHash) {
      moved = true;
      EXPECT_EQ(a.body["canary"], v2);
      EXPECT_EQ(a.body["stable"], v1);
    }
  }
  EXPECT_TRUE(moved);
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
