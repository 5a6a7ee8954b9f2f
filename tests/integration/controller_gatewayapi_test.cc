// A Rollout written for Argo with the Gateway API plugin configuration
// (trafficRouting.plugins["argoproj-labs/gatewayAPI"]) runs unchanged: the Rollout controller
// in-process (with the Gateway API router registered as in vane-controller) against
// vane-apiserver --simulate-workloads with the project's Gateway API CRDs applied. The HTTPRoute
// is checked at every pause: a header route before the first weight, the weights per step, abort
// back to stable and completion leave the user's rules exactly as written.
#include <gtest/gtest.h>

#include "support/controller_fixture.h"
#include "support/manifests.h"
#include "trafficrouting/gatewayapi_router.h"
#include "trafficrouting/gatewayapi_transform.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;
namespace gw = trafficrouting::gatewayapi;

const char* kRouteYaml = R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web-route
  namespace: default
spec:
  parentRefs:
  - name: gateway
  rules:
  - matches:
    - path: {type: PathPrefix, value: /}
    backendRefs:
    - name: web-stable
      port: 80
    - name: web-canary
      port: 80
      weight: 0
)";

std::string rolloutYaml(const std::string& image) {
  return vane::testing::webRollout(image, 4, R"(    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        managedRoutes:
        - name: canary-header
        plugins:
          argoproj-labs/gatewayAPI:
            httpRoute: web-route
            namespace: default
      steps:
      - setCanaryScale:
          replicas: 1
      - setHeaderRoute:
          name: canary-header
          match:
          - headerName: x-canary
            headerValue:
              exact: "yes"
      - pause: {}
      - setWeight: 20
      - pause: {}
      - setWeight: 50
      - pause: {}
)");
}

class ControllerGatewayApiTest : public vane::testing::ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    if (HasFatalFailure()) return;
    kubectlOk("apply -f " + std::string(VANE_SOURCE_DIR) +
              "/examples/gatewayapi/local-gatewayapi-crds.yaml");
    applyYaml(vane::testing::servicesYaml({"web-canary", "web-stable"}));
    applyYaml(kRouteYaml);
  }

  json route() {
    return get(trafficrouting::gatewayApiResource(gw::RouteKind::kHttp), "web-route");
  }

  /// "stable/canary" weights of the user's rule and the managed header rules' count, e.g.
  /// "80/20 h1 label".
  std::string routeState() {
    json r = route();
    const json& rules = r["spec"]["rules"];
    std::string weights, out;
    int headers = 0;
    for (const json& rule : rules) {
      const json& refs = rule["backendRefs"];
      if (refs.size() == 1 && refs[0]["name"] == "web-canary" && !refs[0].contains("weight")) {
        ++headers;
        continue;
      }
      for (const json& ref : refs) {
        weights += (weights.empty() ? "" : "/") +
                   (ref.contains("weight") ? ref["weight"].dump() : std::string("-"));
      }
    }
    out = weights + " h" + std::to_string(headers);
    const json labels = r["metadata"].value("labels", json::object());
    if (labels.contains(gw::kDefaultInProgressLabelKey)) out += " label";
    return out;
  }

  bool waitRoute(const std::string& want, seconds timeout = seconds(20)) {
    return vane::testing::waitFor([&] { return routeState() == want; }, timeout);
  }
  bool waitStep(const std::string& phase, int step, seconds timeout = seconds(30)) {
    return vane::testing::waitFor(
        [&] {
          json ro = rollout();
          return vane::testing::statusIsCurrent(ro) && ro.contains("status") &&
                 ro["status"].value("phase", "") == phase &&
                 ro["status"].value("currentStepIndex", -1) == step;
        },
        timeout);
  }
  std::string explain() { return describe() + "\nroute: " + route().dump(); }
};

TEST_F(ControllerGatewayApiTest, HeaderRouteWeightsAbortAndCompletion) {
  applyYaml(rolloutYaml("nginx:1"));
  ASSERT_TRUE(waitStep("Healthy", 7)) << explain();
  // The user's spec, with only the weights the router owns set.
  const json expected = json::parse(R"({"parentRefs": [{"name": "gateway"}], "rules": [
      {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": [
        {"name": "web-stable", "port": 80, "weight": 100},
        {"name": "web-canary", "port": 80, "weight": 0}]}]})");

  applyYaml(rolloutYaml("nginx:2"));
  // Steps 0-2: one canary pod, the header rule first, no weight yet. While the canary has no
  // available pod the managed routes are held out, and written as soon as it has one (the
  // plugin's open issue #147 and argo-rollouts #4486 remove them for good).
  ASSERT_TRUE(waitStep("Paused", 2)) << explain();
  ASSERT_TRUE(waitRoute("100/0 h1")) << explain();
  json r = route();
  EXPECT_EQ(r["spec"]["rules"][0]["matches"][0]["headers"][0],
            json::parse(R"({"name": "x-canary", "type": "Exact", "value": "yes"})"));
  EXPECT_EQ(r["spec"]["rules"][0]["matches"][0]["path"],
            expected["rules"][0]["matches"][0]["path"]);

  promote();
  ASSERT_TRUE(waitStep("Paused", 4)) << explain();
  ASSERT_TRUE(waitRoute("80/20 h1 label")) << explain();
  // A manual edit of the weights, and a deleted header rule, are corrected at the Rollout's
  // next reconcile (there is no HTTPRoute informer: the annotation below triggers one). (Vane)
  // Managed routes are desired state: Argo would set the header rule again only while sitting
  // on its step (argo-rollouts #4486).
  json edited = route();
  edited["spec"]["rules"][1]["backendRefs"][0]["weight"] = 50;
  edited["spec"]["rules"][1]["backendRefs"][1]["weight"] = 50;
  edited["spec"]["rules"].erase(0);
  // A reconcile already under way may correct part of it at once: the written object is checked.
  auto written =
      client_->update(trafficrouting::gatewayApiResource(gw::RouteKind::kHttp), "default", edited);
  ASSERT_TRUE(written.ok()) << written.status().toString();
  ASSERT_EQ((*written)["spec"]["rules"].size(), 1u);
  kubectlOk("annotate rollout web vane.test/nudge=1 --overwrite");
  ASSERT_TRUE(waitRoute("80/20 h1 label")) << routeState() << "\n" << explain();
  promote();
  ASSERT_TRUE(waitStep("Paused", 6)) << explain();
  ASSERT_TRUE(waitRoute("50/50 h1 label")) << explain();

  // Abort: all traffic back to stable, the header rule removed, the label gone.
  patchStatus("web", R"({"status":{"abort":true}})");
  ASSERT_TRUE(waitRoute("100/0 h0")) << explain();
  ASSERT_TRUE(vane::testing::waitFor([&] { return status("phase") == "Degraded"; }, seconds(30)))
      << explain();

  // Retry, then run through to completion.
  patchStatus("web", R"({"status":{"abort":false}})");
  ASSERT_TRUE(waitStep("Paused", 2)) << explain();
  ASSERT_TRUE(waitRoute("100/0 h1")) << explain();
  promote();
  ASSERT_TRUE(waitStep("Paused", 4)) << explain();
  ASSERT_TRUE(waitRoute("80/20 h1 label")) << explain();
  patchStatus("web", R"({"status":{"promoteFull":true}})");
  ASSERT_TRUE(waitStep("Healthy", 7)) << explain();
  ASSERT_TRUE(waitRoute("100/0 h0")) << explain();
  r = route();
  EXPECT_FALSE(r["metadata"]["annotations"].contains(gw::kManagedRulesAnnotation)) << r.dump();
  EXPECT_FALSE(r["metadata"].contains("labels")) << r.dump();
  EXPECT_EQ(r["spec"], expected);
}

}  // namespace
}  // namespace vane::controller
