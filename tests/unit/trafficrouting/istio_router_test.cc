// IstioRouter over a recording kube::Client that injects 409s (the real API server runs in the
// integration test): which calls are made, retry on conflict, namespaces, several VSs.
#include "trafficrouting/istio_router.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "istio_fixtures.h"
#include "router_test_client.h"

namespace vane::trafficrouting {
namespace {

using testing::destinationRule;
using testing::hostVs;
using testing::weights;
using W = std::vector<std::pair<std::string, int64_t>>;

/// Stores objects, enforces resourceVersion on update, records every call, injects conflicts.
class RecordingClient : public testing::RouterTestClient {
 public:
  std::string last_version;

  Result<json> get(const kube::Resource& r, const std::string& ns,
                   const std::string& name) override {
    last_version = r.version;
    calls.push_back("get " + r.resource + " " + ns + "/" + name);
    auto it = objects.find({r.resource, ns, name});
    if (it == objects.end()) return Status(Code::kNotFound, name + " not found");
    return it->second;
  }
  Result<json> update(const kube::Resource& r, const std::string& ns, const json& obj) override {
    std::string name = obj["metadata"]["name"];
    calls.push_back("update " + r.resource + " " + ns + "/" + name);
    auto it = objects.find({r.resource, ns, name});
    if (it == objects.end()) return Status(Code::kNotFound, name + " not found");
    if (conflicts_to_inject > 0) {
      --conflicts_to_inject;
      // Someone else wrote in between: bump the stored version.
      it->second["metadata"]["resourceVersion"] = std::to_string(
          std::stoi(it->second["metadata"]["resourceVersion"].get<std::string>()) + 1);
    }
    if (obj["metadata"]["resourceVersion"] != it->second["metadata"]["resourceVersion"]) {
      return Status(Code::kConflict, "the object has been modified").withHttpStatus(409);
    }
    json stored = obj;
    stored["metadata"]["resourceVersion"] =
        std::to_string(std::stoi(obj["metadata"]["resourceVersion"].get<std::string>()) + 1);
    it->second = stored;
    return stored;
  }
};

RouterContext context(std::vector<std::string> managed = {}) {
  RouterContext c;
  c.rolloutName = "ro";
  c.rolloutNamespace = "default";
  c.canaryService = "canary";
  c.stableService = "stable";
  c.managedRoutes = std::move(managed);
  c.istioApiVersion = "v1beta1";
  return c;
}

std::unique_ptr<TrafficRouter> router(RecordingClient& client, const char* istio,
                                      RouterContext ctx = context()) {
  auto r = IstioRouter::create(client, json::parse(istio), "istio", ctx);
  EXPECT_TRUE(r.ok()) << r.status().toString();
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(IstioRouter, SetWeightWritesOnlyWhenChanged) {
  RecordingClient client;
  client.put("virtualservices", hostVs());
  auto r = router(client, R"({"virtualService": {"name": "vsvc", "routes": ["primary"]}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type(), "Istio");
  ASSERT_TRUE(r->setWeight(30, {}).isOk());
  EXPECT_EQ(client.count("update"), 1);
  EXPECT_EQ(client.last_version, "v1beta1");
  EXPECT_EQ(weights(client.at("virtualservices", "default", "vsvc")["spec"]["http"][0]),
            (W{{"stable", 70}, {"canary", 30}}));
  ASSERT_TRUE(r->setWeight(30, {}).isOk());
  EXPECT_EQ(client.count("update"), 1);  // idempotent: no second write
  auto verified = r->verifyWeight(30, {});
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(*verified, std::optional<bool>(true));
  auto stale = r->verifyWeight(50, {});
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(*stale, std::optional<bool>(false));
}

TEST(IstioRouter, RetriesOnceOnConflictThenGivesUp) {
  RecordingClient client;
  client.put("virtualservices", hostVs());
  auto r = router(client, R"({"virtualService": {"name": "vsvc", "routes": ["primary"]}})");
  ASSERT_TRUE(r);
  client.conflicts_to_inject = 1;
  ASSERT_TRUE(r->setWeight(10, {}).isOk());
  EXPECT_EQ(client.count("get"), 2);
  EXPECT_EQ(client.count("update"), 2);
  client.conflicts_to_inject = 2;
  Status st = r->setWeight(20, {});
  EXPECT_EQ(st.code(), Code::kConflict);
  EXPECT_EQ(client.count("update"), 4);
}

TEST(IstioRouter, SeveralVirtualServicesAndNamespaces) {
  RecordingClient client;
  client.put("virtualservices", hostVs());
  json other = hostVs();
  other["metadata"]["namespace"] = "edge";
  other["metadata"]["name"] = "gw";
  client.put("virtualservices", other);
  auto r = router(client, R"({"virtualServices": [
      {"name": "vsvc", "routes": ["primary"]},
      {"name": "gw.edge.cluster.local", "routes": ["primary", "secondary"]}]})");
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->setWeight(5, {}).isOk());
  EXPECT_EQ(weights(client.at("virtualservices", "edge", "gw")["spec"]["http"][1]),
            (W{{"stable.default.svc.cluster.local", 95}, {"canary.default.svc.cluster.local", 5}}));
  EXPECT_EQ(
      weights(client.at("virtualservices", "default", "vsvc")["spec"]["http"][1]),
      (W{{"stable.default.svc.cluster.local", 100}, {"canary.default.svc.cluster.local", 0}}));
}

TEST(IstioRouter, MissingVirtualServiceAndInvalidSpecAreErrors) {
  RecordingClient client;
  auto r = router(client, R"({"virtualService": {"name": "vsvc"}})");
  ASSERT_TRUE(r);
  Status missing = r->setWeight(10, {});
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_TRUE(r->removeManagedRoutes().isOk());  // NotFound ignored
  client.put("virtualservices", hostVs());
  Status ambiguous = r->setWeight(10, {});
  EXPECT_EQ(ambiguous.code(), Code::kInvalid);
  EXPECT_EQ(ambiguous.message(), istio::kAmbiguousHttpRoutes);
  EXPECT_EQ(client.count("update"), 0);
}

TEST(IstioRouter, HeaderRoutesAddedAndRemoved) {
  RecordingClient client;
  client.put("virtualservices", hostVs());
  RouterContext ctx = context({"hdr"});
  ctx.stepRouteNames = {"hdr"};
  auto r = router(client, R"({"virtualService": {"name": "vsvc", "routes": ["primary"]}})", ctx);
  ASSERT_TRUE(r);
  SetHeaderRoute hr{"hdr", {HeaderRoutingMatch{"x-canary", StringMatch{"yes", "", ""}}}};
  ASSERT_TRUE(r->setHeaderRoute(hr).isOk());
  ASSERT_TRUE(r->setHeaderRoute(hr).isOk());
  EXPECT_EQ(client.count("update"), 1);
  json& vs = client.at("virtualservices", "default", "vsvc");
  EXPECT_EQ(testing::routeNames(vs), (std::vector<std::string>{"hdr", "primary", "secondary"}));
  ASSERT_TRUE(r->removeManagedRoutes().isOk());
  json expected = hostVs();
  EXPECT_EQ(vs["spec"], expected["spec"]);
}

TEST(IstioRouter, SyncManagedRoutesWritesOnlyWhenTheDesiredRoutesDiffer) {
  RecordingClient client;
  client.put("virtualservices", hostVs());
  RouterContext ctx = context({"qa", "mir"});
  ctx.stepRouteNames = {"qa", "mir"};
  auto r = router(client, R"({"virtualService": {"name": "vsvc", "routes": ["primary"]}})", ctx);
  ASSERT_TRUE(r);
  const SetHeaderRoute qa{"qa", {HeaderRoutingMatch{"x-canary", StringMatch{"qa", "", ""}}}};
  const SetMirrorRoute mir{"mir", {RouteMatch{StringMatch{"GET", "", ""}, std::nullopt, {}}}, 20};
  ASSERT_TRUE(r->syncManagedRoutes({qa, mir}).isOk());
  ASSERT_TRUE(r->syncManagedRoutes({qa, mir}).isOk());
  EXPECT_EQ(client.count("update"), 1);
  json& vs = client.at("virtualservices", "default", "vsvc");
  EXPECT_EQ(testing::routeNames(vs),
            (std::vector<std::string>{"qa", "mir", "primary", "secondary"}));
  ASSERT_TRUE(r->syncManagedRoutes({mir}).isOk());  // a later step removed "qa"
  EXPECT_EQ(testing::routeNames(vs), (std::vector<std::string>{"mir", "primary", "secondary"}));
  ASSERT_TRUE(r->syncManagedRoutes({}).isOk());
  ASSERT_TRUE(r->syncManagedRoutes({}).isOk());
  EXPECT_EQ(client.count("update"), 3);
  EXPECT_EQ(vs["spec"], hostVs()["spec"]);
}

TEST(IstioRouter, SubsetModeUpdatesTheDestinationRuleAndUsesItsHost) {
  RecordingClient client;
  client.put("destinationrules", destinationRule());
  client.put("virtualservices", testing::subsetVs());
  auto r = router(client, R"({"virtualService": {"name": "vsvc"}, "destinationRule":
      {"name": "dr", "canarySubsetName": "canary", "stableSubsetName": "stable"}})",
                  context({"hdr"}));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->updateHash("c1", "s1", {}).isOk());
  ASSERT_TRUE(r->updateHash("c1", "s1", {}).isOk());
  EXPECT_EQ(client.count("update destinationrules"), 1);
  json& dr = client.at("destinationrules", "default", "dr");
  EXPECT_EQ(dr["spec"]["subsets"][1]["labels"]["rollouts-pod-template-hash"], "c1");
  EXPECT_EQ(dr["metadata"]["annotations"]["argo-rollouts.argoproj.io/managed-by-rollouts"], "ro");
  ASSERT_TRUE(r->setHeaderRoute({"hdr", {{"x", StringMatch{"1", "", ""}}}}).isOk());
  EXPECT_EQ(
      client.at("virtualservices", "default", "vsvc")["spec"]["http"][0]["route"][0]["destination"],
      json::parse(R"({"host": "svc", "subset": "canary"})"));
}

TEST(IstioRouter, HostModeUpdateHashIsANoOpAndBadVersionIsRejected) {
  RecordingClient client;
  auto r = router(client, R"({"virtualService": {"name": "vsvc"}})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->updateHash("c", "s", {}).isOk());
  EXPECT_TRUE(client.calls.empty());
  RouterContext ctx = context();
  ctx.istioApiVersion = "v2";
  auto bad = IstioRouter::create(client, json::parse(R"({"virtualService": {"name": "v"}})"),
                                 "istio", ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kUnsupported);
  for (const char* v : {"v1", "v1beta1", "v1alpha3"}) {
    auto res = istioVirtualServiceResource(v);
    ASSERT_TRUE(res.ok());
    EXPECT_EQ(res->apiVersion(), std::string("networking.istio.io/") + v);
    EXPECT_EQ(istioDestinationRuleResource(v)->resource, "destinationrules");
  }
}

TEST(IstioRouter, EmitsArgoEventsOnlyForWritesAndMissingObjects) {
  RecordingClient client;
  client.put("virtualservices", testing::subsetVs());
  std::vector<std::string> events;
  RouterContext ctx = context({"hdr"});
  ctx.recordEvent = [&](bool warning, const std::string& reason, const std::string& message) {
    events.push_back(std::string(warning ? "Warning " : "Normal ") + reason + ": " + message);
  };
  auto r = router(client, R"({"virtualServices": [{"name": "vsvc"},
      {"name": "gone"}], "destinationRule": {"name": "dr", "canarySubsetName": "canary",
      "stableSubsetName": "stable"}})",
                  ctx);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->setWeight(0, {}).code(), Code::kNotFound);  // vsvc unchanged: no write, no event
  EXPECT_EQ(r->updateHash("c", "s", {}).code(), Code::kNotFound);
  client.put("destinationrules", destinationRule());
  ASSERT_TRUE(r->updateHash("c", "s", {}).isOk());
  ASSERT_TRUE(r->updateHash("c", "s", {}).isOk());
  EXPECT_EQ(r->setWeight(10, {}).code(), Code::kNotFound);
  ASSERT_TRUE(r->removeManagedRoutes().isOk());
  EXPECT_EQ(events, (std::vector<std::string>{
                        "Warning VirtualServiceNotFound: VirtualService `gone` not found",
                        "Warning DestinationRuleNotFound: DestinationRule `dr` not found",
                        "Normal UpdatedDestinationRule: DestinationRule dr subset updated "
                        "(canary: c, stable: s)",
                        "Normal Updated VirtualService: VirtualService `vsvc` set to "
                        "desiredWeight '10'",
                        "Warning VirtualServiceNotFound: VirtualService `gone` not found"}));
}

TEST(IstioRouter, RegisteredUnderIstio) {
  RecordingClient client;
  RouterRegistry registry;
  registerIstioRouter(registry, client);
  auto routers =
      registry.create(json::parse(R"({"istio": {"virtualService": {"name": "vsvc"}}})"), context());
  ASSERT_TRUE(routers.ok()) << routers.status().toString();
  EXPECT_EQ((*routers)[0]->type(), "Istio");
  auto bad = registry.create(json::parse(R"({"istio": {"virtualService": {}}})"), context());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "spec.strategy.canary.trafficRouting.istio.virtualService.name");
}

}  // namespace
}  // namespace vane::trafficrouting
