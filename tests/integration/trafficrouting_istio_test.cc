// IstioRouter against the real vane-apiserver with the real Istio CRDs, read back with kubectl.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "kube/client.h"
#include "support/manifests.h"
#include "support/process.h"
#include "trafficrouting/istio_router.h"

namespace vane::trafficrouting {
namespace {

using json = nlohmann::json;
using vane::testing::ApiServer;

constexpr const char* kVirtualService = R"(apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: vsvc
  namespace: default
spec:
  hosts: [svc]
  http:
  - name: primary
    retries: {attempts: 3, perTryTimeout: 2s}
    timeout: 10s
    route:
    - destination: {host: stable, port: {number: 8080}}
      weight: 100
    - destination: {host: canary, port: {number: 8080}}
      weight: 0
  - name: secondary
    route:
    - destination: {host: stable}
      weight: 100
    - destination: {host: canary}
      weight: 0
)";

constexpr const char* kSubsetResources = R"(apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: subset-vs
  namespace: default
spec:
  hosts: [svc]
  http:
  - route:
    - destination: {host: svc, subset: stable}
      weight: 100
    - destination: {host: svc, subset: canary}
      weight: 0
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: dr
  namespace: default
spec:
  host: svc
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  subsets:
  - name: stable
    labels: {app: svc}
  - name: canary
    labels: {app: svc}
  - name: legacy
    labels: {version: v0}
)";

class IstioRouterIT : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = ApiServer::start().release();
    ASSERT_NE(server_, nullptr);
    for (const char* crd : {"virtualservice.crd.yaml", "destinationrule.crd.yaml"}) {
      auto r = kubectl("apply -f " + vane::testing::istioCrdDir() + crd);
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    // The CRDs serve their resources once established.
    ASSERT_TRUE(vane::testing::waitFor(
        [] {
          return kubectl("get virtualservices.networking.istio.io -n default").exit_code == 0 &&
                 kubectl("get destinationrules.networking.istio.io -n default").exit_code == 0;
        },
        std::chrono::seconds(30)));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    auto cfg = kube::loadKubeconfig(server_->kubeconfig());
    ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
    auto client = kube::Client::create(*cfg);
    ASSERT_TRUE(client.ok()) << client.status().toString();
    client_ = std::move(client).value();
  }

  static vane::testing::CommandResult kubectl(const std::string& args) {
    return vane::testing::run(server_->kubectl() + args);
  }
  static void applyYaml(const std::string& yaml) {
    std::string path = vane::testing::makeTempDir("vane-istio-it") + "/objects.yaml";
    std::ofstream(path) << yaml;
    auto r = kubectl("apply -f " + path);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static json getJson(const std::string& what) {
    auto r = kubectl("get " + what + " -n default -o json");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.exit_code == 0 ? json::parse(r.output, nullptr, false) : json();
  }
  static std::vector<int64_t> weights(const json& route) {
    std::vector<int64_t> out;
    for (const json& d : route["route"]) out.push_back(d.value("weight", int64_t{0}));
    return out;
  }

  std::unique_ptr<TrafficRouter> router(const std::string& istio, const std::string& version,
                                        std::vector<std::string> managed = {}) {
    RouterContext ctx;
    ctx.rolloutName = "ro";
    ctx.rolloutNamespace = "default";
    ctx.canaryService = "canary";
    ctx.stableService = "stable";
    ctx.managedRoutes = managed;
    ctx.stepRouteNames = managed;
    ctx.istioApiVersion = version;
    auto r = IstioRouter::create(*client_, json::parse(istio), "istio", ctx);
    EXPECT_TRUE(r.ok()) << r.status().toString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  static ApiServer* server_;
  std::unique_ptr<kube::Client> client_;
};

ApiServer* IstioRouterIT::server_ = nullptr;

TEST_F(IstioRouterIT, WeightsThroughEveryServedVersion) {
  applyYaml(kVirtualService);
  const std::string istio = R"({"virtualService": {"name": "vsvc", "routes": ["primary"]}})";
  int32_t desired = 5;
  for (const char* version : {"v1alpha3", "v1beta1", "v1"}) {
    auto r = router(istio, version);
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->setWeight(desired, {}).isOk()) << version;
    json vs = getJson("virtualservices.networking.istio.io vsvc");
    EXPECT_EQ(weights(vs["spec"]["http"][0]), (std::vector<int64_t>{100 - desired, desired}))
        << version;
    EXPECT_EQ(weights(vs["spec"]["http"][1]), (std::vector<int64_t>{100, 0}));
    EXPECT_EQ(vs["spec"]["http"][0]["retries"]["attempts"], 3);
    EXPECT_EQ(vs["spec"]["http"][0]["timeout"], "10s");
    auto verified = r->verifyWeight(desired, {});
    ASSERT_TRUE(verified.ok()) << verified.status().toString();
    EXPECT_EQ(*verified, std::optional<bool>(true));
    desired += 25;
  }
  // An idempotent call does not write: the resourceVersion stays.
  std::string rv =
      getJson("virtualservices.networking.istio.io vsvc")["metadata"]["resourceVersion"];
  auto r = router(istio, "v1");
  ASSERT_TRUE(r->setWeight(desired - 25, {}).isOk());
  EXPECT_EQ(getJson("virtualservices.networking.istio.io vsvc")["metadata"]["resourceVersion"], rv);
}

TEST_F(IstioRouterIT, HeaderRouteInsertedFirstAndRemoved) {
  applyYaml(kVirtualService);
  auto r = router(R"({"virtualService": {"name": "vsvc", "routes": ["primary"]}})", "v1beta1",
                  {"mirror", "canary-header"});
  ASSERT_TRUE(r);
  SetHeaderRoute hr{"canary-header", {HeaderRoutingMatch{"x-canary", StringMatch{"yes", "", ""}}}};
  ASSERT_TRUE(r->setHeaderRoute(hr).isOk());
  ASSERT_TRUE(r->setHeaderRoute(hr).isOk());
  json vs = getJson("virtualservices.networking.istio.io vsvc");
  ASSERT_EQ(vs["spec"]["http"].size(), 3u);
  EXPECT_EQ(vs["spec"]["http"][0]["name"], "canary-header");
  EXPECT_EQ(vs["spec"]["http"][0]["match"][0]["headers"]["x-canary"]["exact"], "yes");
  EXPECT_EQ(vs["spec"]["http"][0]["route"][0]["destination"]["host"], "canary");
  SetMirrorRoute mr{"mirror", {RouteMatch{StringMatch{"GET", "", ""}, std::nullopt, {}}}, 25};
  ASSERT_TRUE(r->setMirrorRoute(mr).isOk());
  ASSERT_TRUE(r->setWeight(30, {}).isOk());
  vs = getJson("virtualservices.networking.istio.io vsvc");
  ASSERT_EQ(vs["spec"]["http"].size(), 4u);
  EXPECT_EQ(vs["spec"]["http"][0]["name"], "mirror");
  EXPECT_EQ(vs["spec"]["http"][0]["mirror"]["host"], "canary");
  EXPECT_EQ(vs["spec"]["http"][0]["mirrorPercentage"]["value"].get<double>(), 25.0);
  EXPECT_EQ(weights(vs["spec"]["http"][0]), (std::vector<int64_t>{70, 30}));
  EXPECT_EQ(vs["spec"]["http"][1]["name"], "canary-header");
  EXPECT_EQ(weights(vs["spec"]["http"][2]), (std::vector<int64_t>{70, 30}));
  ASSERT_TRUE(r->removeManagedRoutes().isOk());
  vs = getJson("virtualservices.networking.istio.io vsvc");
  ASSERT_EQ(vs["spec"]["http"].size(), 2u);
  EXPECT_EQ(vs["spec"]["http"][0]["name"], "primary");
}

TEST_F(IstioRouterIT, SubsetModeUpdatesDestinationRuleThenWeights) {
  applyYaml(kSubsetResources);
  auto r = router(R"({"virtualService": {"name": "subset-vs"}, "destinationRule":
      {"name": "dr", "canarySubsetName": "canary", "stableSubsetName": "stable"}})",
                  "v1");
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->updateHash("c1", "s1", {}).isOk());
  ASSERT_TRUE(r->setWeight(40, {}).isOk());
  json dr = getJson("destinationrules.networking.istio.io dr");
  EXPECT_EQ(dr["metadata"]["annotations"]["argo-rollouts.argoproj.io/managed-by-rollouts"], "ro");
  EXPECT_EQ(dr["spec"]["subsets"][0]["labels"]["rollouts-pod-template-hash"], "s1");
  EXPECT_EQ(dr["spec"]["subsets"][1]["labels"]["rollouts-pod-template-hash"], "c1");
  EXPECT_EQ(dr["spec"]["subsets"][2]["name"], "legacy");
  EXPECT_EQ(dr["spec"]["trafficPolicy"]["loadBalancer"]["simple"], "ROUND_ROBIN");
  json vs = getJson("virtualservices.networking.istio.io subset-vs");
  EXPECT_EQ(weights(vs["spec"]["http"][0]), (std::vector<int64_t>{60, 40}));
}

constexpr const char* kEdgeVirtualService = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: edge-vs
  namespace: edge
spec:
  hosts: [svc.example]
  tls:
  - match:
    - {port: 443, sniHosts: [a.example]}
    route:
    - destination: {host: stable.default.svc.cluster.local}
      weight: 100
    - destination: {host: canary.default.svc.cluster.local}
      weight: 0
  tcp:
  - match:
    - {port: 9000}
    route:
    - destination: {host: stable}
      weight: 100
    - destination: {host: canary}
      weight: 0
)";

TEST_F(IstioRouterIT, SeveralVirtualServicesAcrossNamespacesWithTlsAndTcp) {
  auto ns = kubectl("create namespace edge");
  ASSERT_TRUE(ns.exit_code == 0 || ns.output.find("AlreadyExists") != std::string::npos)
      << ns.output;
  applyYaml(kVirtualService);
  applyYaml(kEdgeVirtualService);
  auto r = router(R"({"virtualServices": [
      {"name": "vsvc", "routes": ["secondary"]},
      {"name": "edge-vs.edge", "tlsRoutes": [{"port": 443, "sniHosts": ["a.example"]}],
       "tcpRoutes": [{"port": 9000}]}]})",
                  "v1");
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->setWeight(30, {{10, "exp-svc", "h1"}}).isOk());
  json vs = getJson("virtualservices.networking.istio.io vsvc");
  EXPECT_EQ(weights(vs["spec"]["http"][0]), (std::vector<int64_t>{100, 0}));
  EXPECT_EQ(weights(vs["spec"]["http"][1]), (std::vector<int64_t>{60, 30, 10}));
  EXPECT_EQ(vs["spec"]["http"][1]["route"][2]["destination"]["host"], "exp-svc");
  auto edge = kubectl("get virtualservices.networking.istio.io edge-vs -n edge -o json");
  ASSERT_EQ(edge.exit_code, 0) << edge.output;
  json e = json::parse(edge.output);
  EXPECT_EQ(weights(e["spec"]["tls"][0]), (std::vector<int64_t>{60, 30, 10}));
  EXPECT_EQ(weights(e["spec"]["tcp"][0]), (std::vector<int64_t>{60, 30, 10}));
  // The experiment ends: its destinations go away everywhere.
  ASSERT_TRUE(r->setWeight(30, {}).isOk());
  e = json::parse(
      kubectl("get virtualservices.networking.istio.io edge-vs -n edge -o json").output);
  EXPECT_EQ(weights(e["spec"]["tcp"][0]), (std::vector<int64_t>{70, 30}));
  auto verified = r->verifyWeight(30, {});
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(*verified, std::optional<bool>(true));
}

TEST_F(IstioRouterIT, MissingVirtualServiceIsNotFound) {
  auto r = router(R"({"virtualService": {"name": "absent"}})", "v1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->setWeight(10, {}).code(), Code::kNotFound);
  EXPECT_TRUE(r->removeManagedRoutes().isOk());
}

}  // namespace
}  // namespace vane::trafficrouting
