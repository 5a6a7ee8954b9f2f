// What the controller watches besides its own objects, against a real vane-apiserver with the
// Rollout controller in-process: an edit of a VirtualService that a Rollout names is corrected
// without any change to the Rollout (Argo's IstioController), and a Service that no Rollout names
// any more is released (Argo's service controller, service/service.go).
#include <gtest/gtest.h>

#include "controller/conditions.h"
#include "support/controller_fixture.h"
#include "support/manifests.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;
namespace res = kube::resources;

std::string watchIstioRollout(const std::string& image) {
  return vane::testing::webRollout(image, 5, R"(    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        istio:
          virtualService:
            name: web-vsvc
            routes:
            - primary
      steps:
      - setWeight: 20
      - pause: {}
)");
}

std::string watchCanaryRollout(const std::string& canary_svc, const std::string& stable_svc) {
  return vane::testing::webRollout("nginx:1", 2,
                                   "    canary:\n      canaryService: " + canary_svc +
                                       "\n      stableService: " + stable_svc +
                                       "\n      steps:\n      - setWeight: 50\n");
}

class ControllerWatchTest : public vane::testing::ControllerFixture {
 protected:
  bool waitPhase(const std::string& phase, int step) {
    return vane::testing::waitFor(
        [&] {
          json ro = rollout();
          const json s = ro.value("status", json::object());
          return s.value("phase", "") == phase && s.value("currentStepIndex", -1) == step &&
                 vane::testing::statusIsCurrent(ro);
        },
        seconds(60));
  }
  /// "stable/canary" weights of the VirtualService's primary route.
  std::string weights() {
    auto vs = client_->get(res::virtualServices("v1alpha3"), "default", "web-vsvc");
    if (!vs.ok()) return vs.status().toString();
    std::string out;
    for (const json& d : (*vs)["spec"]["http"][0].value("route", json::array())) {
      out += (out.empty() ? "" : "/") + std::to_string(d.value("weight", -1));
    }
    return out;
  }
  /// The managed-by annotation of a Service ("" when absent).
  std::string managedBy(const std::string& service) {
    json svc = get(res::kServices, service);
    return svc["metadata"].value("annotations", json::object()).value(kAnnotationManagedBy, "");
  }
  /// Applies the Istio CRDs and restarts the controller: it looks for them when it starts, as
  /// Argo's controller does.
  void installIstio(bool restart = true) {
    const std::string istio = vane::testing::istioCrdDir();
    kubectlOk("apply -f " + istio + "virtualservice.crd.yaml -f " + istio +
              "destinationrule.crd.yaml");
    ASSERT_TRUE(vane::testing::waitFor(
        [&] {
          return client_->list(res::virtualServices("v1alpha3"), "default").ok() &&
                 client_->list(res::destinationRules("v1alpha3"), "default").ok();
        },
        seconds(30)));
    if (restart) startController();
  }
  /// Pauses the Rollout at setWeight 20, edits the weights by hand, and expects them restored
  /// with no change to the Rollout.
  void expectManualEditCorrected() {
    applyYaml(vane::testing::servicesYaml({"web-canary", "web-stable"}));
    applyYaml(vane::testing::webVirtualServiceYaml());
    applyYaml(watchIstioRollout("nginx:1"));
    ASSERT_TRUE(waitPhase("Healthy", 2)) << describe();
    kubectlOk(
        "patch rollout web --type json -p "
        "'[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":"
        "\"nginx:2\"}]'");
    ASSERT_TRUE(waitPhase("Paused", 1)) << describe();
    ASSERT_TRUE(vane::testing::waitFor([&] { return weights() == "80/20"; }, seconds(20)))
        << weights() << "\n"
        << describe();
    const json before = rollout()["metadata"];

    // Someone edits the weights by hand; the pause is indefinite, so only the watch can notice.
    kubectlOk(
        "patch virtualservice web-vsvc --type json -p "
        "'[{\"op\":\"replace\",\"path\":\"/spec/http/0/route/0/weight\",\"value\":50},"
        "{\"op\":\"replace\",\"path\":\"/spec/http/0/route/1/weight\",\"value\":50}]'");
    EXPECT_TRUE(vane::testing::waitFor([&] { return weights() == "80/20"; }, seconds(20)))
        << weights() << "\n"
        << describe();
    const json after = rollout()["metadata"];
    EXPECT_EQ(after["generation"], before["generation"]) << "the Rollout's spec did not change";
    EXPECT_EQ(status("currentStepIndex"), "1");
  }
  bool released(const std::string& service) {
    return vane::testing::waitFor(
        [&] { return serviceHash(service).empty() && managedBy(service).empty(); }, seconds(20));
  }
};

TEST_F(ControllerWatchTest, ManualVirtualServiceEditIsCorrected) {
  installIstio();
  if (HasFatalFailure()) return;
  expectManualEditCorrected();
}

TEST_F(ControllerWatchTest, IstioInstalledAfterTheControllerIsWatched) {
  // As Argo's IstioController: without Istio at start the controller looks again now and then
  // (here every 200 ms instead of 10 minutes).
  controller_->stop();
  ControllerOptions opts;
  opts.workers = 2;
  opts.istioProbeInterval = std::chrono::milliseconds(200);
  controller_ = std::make_unique<Manager>(*client_, opts, events_.get(), &routers_, &providers_);
  Status st = controller_->start(seconds(20));
  ASSERT_TRUE(st.isOk()) << st.toString();
  installIstio(/*restart=*/false);
  if (HasFatalFailure()) return;
  expectManualEditCorrected();
}

TEST_F(ControllerWatchTest, ServiceIsReleasedWhenTheRolloutNamesOthers) {
  applyYaml(
      vane::testing::servicesYaml({"web-canary", "web-stable", "web-canary2", "web-stable2"}));
  applyYaml(watchCanaryRollout("web-canary", "web-stable"));
  ASSERT_TRUE(waitPhase("Healthy", 1)) << describe();
  const std::string stable = status("stableRS");
  ASSERT_TRUE(
      vane::testing::waitFor([&] { return serviceHash("web-stable") == stable; }, seconds(20)));
  EXPECT_EQ(managedBy("web-stable"), "web");
  EXPECT_EQ(managedBy("web-canary"), "web");

  applyYaml(watchCanaryRollout("web-canary2", "web-stable2"));
  EXPECT_TRUE(released("web-stable")) << get(res::kServices, "web-stable").dump();
  EXPECT_TRUE(released("web-canary")) << get(res::kServices, "web-canary").dump();
  // The Services it names now are the Rollout's, and the rest of the old ones is untouched.
  EXPECT_TRUE(
      vane::testing::waitFor([&] { return serviceHash("web-stable2") == stable; }, seconds(20)))
      << describe();
  EXPECT_EQ(managedBy("web-stable2"), "web");
  EXPECT_EQ(get(res::kServices, "web-stable")["spec"]["selector"], json({{"app", "web"}}));
}

TEST_F(ControllerWatchTest, ServiceIsReleasedWhenTheRolloutIsDeleted) {
  applyYaml(vane::testing::servicesYaml({"web-canary", "web-stable"}));
  applyYaml(watchCanaryRollout("web-canary", "web-stable"));
  ASSERT_TRUE(waitPhase("Healthy", 1)) << describe();
  const std::string stable = status("stableRS");
  ASSERT_TRUE(
      vane::testing::waitFor([&] { return serviceHash("web-stable") == stable; }, seconds(20)));

  kubectlOk("delete rollout web");
  EXPECT_TRUE(released("web-stable")) << get(res::kServices, "web-stable").dump();
  EXPECT_TRUE(released("web-canary")) << get(res::kServices, "web-canary").dump();
}

constexpr const char* kWatchSubsetSplit = R"(apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: web-vsvc
spec:
  hosts:
  - web
  http:
  - name: primary
    route:
    - destination:
        host: web
        subset: stable
      weight: 100
    - destination:
        host: web
        subset: canary
      weight: 0
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: web-destrule
spec:
  host: web
  subsets:
  - name: stable
    labels:
      app: web
  - name: canary
    labels:
      app: web
)";

TEST_F(ControllerWatchTest, DestinationRuleIsReleasedWhenTheRolloutIsDeleted) {
  installIstio();
  if (HasFatalFailure()) return;
  applyYaml(vane::testing::servicesYaml({"web"}));
  applyYaml(kWatchSubsetSplit);
  applyYaml(vane::testing::webRollout("nginx:1", 2, R"(    canary:
      trafficRouting:
        istio:
          virtualService:
            name: web-vsvc
            routes:
            - primary
          destinationRule:
            name: web-destrule
            canarySubsetName: canary
            stableSubsetName: stable
      steps:
      - setWeight: 20
      - pause: {}
)"));
  ASSERT_TRUE(waitPhase("Healthy", 2)) << describe();
  const std::string stable = status("stableRS");
  auto rule = [&] {
    auto dr = client_->get(res::destinationRules("v1alpha3"), "default", "web-destrule");
    return dr.ok() ? *dr : json::object();
  };
  auto subsetLabels = [&] {
    const json dr = rule();
    std::string out;
    for (const json& s : dr.value("spec", json::object()).value("subsets", json::array())) {
      out += s.value("labels", json::object()).dump() + " ";
    }
    return out;
  };
  const std::string managed =
      "{\"app\":\"web\",\"rollouts-pod-template-hash\":\"" + stable + "\"} ";
  ASSERT_TRUE(
      vane::testing::waitFor([&] { return subsetLabels() == managed + managed; }, seconds(20)))
      << rule().dump();

  kubectlOk("delete rollout web");
  EXPECT_TRUE(vane::testing::waitFor(
      [&] { return subsetLabels() == R"({"app":"web"} {"app":"web"} )"; }, seconds(20)))
      << rule().dump();
  EXPECT_FALSE(
      rule()["metadata"].value("annotations", json::object()).contains(kAnnotationManagedBy))
      << rule().dump();
  EXPECT_EQ(rule()["spec"].value("host", ""), "web");
}

}  // namespace
}  // namespace vane::controller
