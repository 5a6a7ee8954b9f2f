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
    if (std::holds_alternative<SetHeaderRoute>(a)) out.push_back("setHeaderRoute");
    if (std::holds_alternative<SetMirrorRoute>(a)) out.push_back("setMirrorRoute");
    if (std::holds_alternative<RemoveManagedRoutes>(a)) out.push_back("removeManagedRoutes");
  }
  return out;
}

TEST(PlanTrafficRouting, InstallRunsNoRouteStepAndWaitsForTheStablePods) {
  World w(hostRollout());
  w.podsReady = false;
  for (int i = 0; i < 5; ++i) {
    w.reconcile();
    // checkReplicasAvailable: no ReplicaSet, or one without pods, takes no traffic yet.
    EXPECT_EQ(routerCalls(w.lastActions()), Calls{"removeManagedRoutes"}) << "reconcile " << i;
  }
  w.podsReady = true;
  w.settle();
  bool hash_set = false;
  for (int i = 0; i < 3; ++i) {
    w.reconcile();
    EXPECT_EQ(firstAction<SetHeaderRoute>(w.lastActions()), nullptr);  // revision 1: no step
    if (const UpdateHash* a = firstAction<UpdateHash>(w.lastActions())) {
      hash_set = true;
      EXPECT_EQ(a->canary, a->stable);
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
  EXPECT_EQ(calls[0], "removeManagedRoutes");
  EXPECT_EQ(calls[1], "setHeaderRoute");
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
  EXPECT_EQ(routerCalls(w.lastActions()), Calls{"removeManagedRoutes"});
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
