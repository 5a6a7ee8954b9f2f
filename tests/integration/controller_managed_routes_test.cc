// Issue 15's acceptance for managed routes: a header (or mirror) route set before the first
// setWeight is in the VirtualService at the first pause and stays there through everything that
// used to remove it for good in Argo (argo-rollouts #4486, #4561, #4716): every canary pod
// deleted, the controller killed with SIGKILL and restarted, a promotion to the next pause. It is
// gone after completion and after an abort. The real vane-controller binary runs against
// vane-apiserver --simulate-workloads with Istio's CRDs; the CLI is the real `kubectl vane`.
//
// (Vane) Where this departs from Argo on purpose: Argo writes the route only while the rollout
// sits on its step and removes every managed route while the canary has no available pod, so
// with these steps Argo shows no header route at the first pause (the canary had no pod when the
// route step ran) and none after a restart or a pod eviction. Vane computes the routes from the
// steps on every reconcile.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>

#include "support/controller_fixture.h"
#include "support/manifests.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;
namespace res = kube::resources;

constexpr const char* kHeaderStep = R"(      - setHeaderRoute:
          name: qa
          match:
          - headerName: x-canary
            headerValue:
              exact: qa
)";

constexpr const char* kMirrorStep = R"(      - setMirrorRoute:
          name: qa
          percentage: 50
          match:
          - method:
              exact: GET
            path:
              prefix: /api
)";

std::string strategy(const std::string& route_step) {
  return R"(    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        managedRoutes:
        - name: qa
        istio:
          virtualService:
            name: web-vsvc
            routes:
            - primary
      steps:
)" + route_step +
         R"(      - setWeight: 10
      - pause: {}
      - setWeight: 40
      - pause: {}
)";
}

class ManagedRoutesTest : public vane::testing::ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    // The fixture's in-process controller gives way to the binary, which can be killed.
    controller_->stop();
    controller_.reset();
    const std::string istio = vane::testing::istioCrdDir();
    kubectlOk("apply -f " + istio + "virtualservice.crd.yaml");
    ASSERT_TRUE(vane::testing::waitFor(
        [&] { return client_->list(res::virtualServices("v1alpha3"), "default", {}).ok(); },
        seconds(30)));
    startBinary();
  }
  void TearDown() override {
    controller_process_.reset();
    ControllerFixture::TearDown();
  }

  void startBinary() {
    controller_process_ = std::make_unique<vane::testing::Process>(
        std::vector<std::string>{std::string(VANE_BIN_DIR) + "/vane-controller", "--kubeconfig",
                                 server_->kubeconfig(), "--health-addr", "127.0.0.1:0",
                                 "--metrics-addr", "127.0.0.1:0"},
        dir_ + "/controller-" + std::to_string(starts_++) + ".log");
  }
  void killBinary() {
    controller_process_->kill9();
    controller_process_.reset();
  }
  /// kubectl vane <args> through real kubectl, the plugin found on PATH.
  void kubectlVane(const std::string& args) {
    // kubectl takes no flags before a plugin's name: the kubeconfig comes from the environment.
    const std::string kubectl = server_->kubectl();
    auto r = vane::testing::run("KUBECONFIG=" + server_->kubeconfig() +
                                " PATH=" + std::string(VANE_BIN_DIR) + ":$PATH " +
                                kubectl.substr(0, kubectl.find(' ')) + " vane " + args);
    ASSERT_EQ(r.exit_code, 0) << "kubectl vane " << args << "\n" << r.output;
  }
  void setImage(const std::string& image) {
    kubectlOk(
        "patch rollout web --type json -p '[{\"op\":\"replace\",\"path\":"
        "\"/spec/template/spec/containers/0/image\",\"value\":\"" +
        image + "\"}]'");
  }

  json virtualService() { return get(res::virtualServices("v1alpha3"), "web-vsvc"); }
  /// "name[@mirror%]=weights | ..." for the http routes, in order.
  std::string routes() {
    std::string out;
    for (const json& r : virtualService()["spec"].value("http", json::array())) {
      std::string s = r.value("name", "");
      if (r.contains("mirror")) {
        s += "@" + std::to_string(static_cast<int>(r["mirrorPercentage"].value("value", 0.0)));
      }
      std::string w;
      for (const json& d : r.value("route", json::array())) {
        w += (w.empty() ? "" : "/") + std::to_string(d.value("weight", 0));
      }
      out += (out.empty() ? "" : " | ") + s + "=" + w;
    }
    return out;
  }
  bool waitRoutes(const std::string& want, seconds timeout = seconds(20)) {
    return vane::testing::waitFor([&] { return routes() == want; }, timeout);
  }
  /// Phase and step for the current generation, with every pod available.
  bool waitStep(const std::string& phase, int step, seconds timeout = seconds(40)) {
    return vane::testing::waitFor(
        [&] {
          json ro = rollout();
          if (!ro.contains("status") || !vane::testing::statusIsCurrent(ro)) return false;
          const json& s = ro["status"];
          return s.value("phase", "") == phase && s.value("currentStepIndex", -1) == step &&
                 s.value("replicas", -1) == s.value("availableReplicas", -2);
        },
        timeout);
  }
  std::string explain() {
    std::string out = describe() + "\nVirtualService: " + virtualService().dump();
    if (controller_process_) out += "\ncontroller log:\n" + controller_process_->log();
    return out;
  }
  /// Names of the pods of the ReplicaSet with this pod-template hash, and whether all are Ready.
  std::pair<std::set<std::string>, bool> podsOf(const std::string& hash) {
    kube::ListOptions opts;
    opts.label_selector = "rollouts-pod-template-hash=" + hash;
    auto list = client_->list(res::kPods, "default", opts);
    std::set<std::string> names;
    bool ready = list.ok();
    if (!list.ok()) return {names, false};
    for (const json& p : (*list)["items"]) {
      names.insert(p["metadata"].value("name", ""));
      bool r = false;
      for (const json& c : p["status"].value("conditions", json::array())) {
        r |= c.value("type", "") == "Ready" && c.value("status", "") == "True";
      }
      ready = ready && r;
    }
    return {names, ready};
  }

  /// The acceptance scenario; `at10` and `at40` are routes() at the two pauses, `check` looks at
  /// the managed route (http[0]) at the first pause.
  void scenario(const std::string& step, const std::string& at10, const std::string& at40,
                const std::function<void(const json&)>& check) {
    applyYaml(vane::testing::servicesYaml({"web-canary", "web-stable"}));
    applyYaml(vane::testing::webVirtualServiceYaml());
    applyYaml(vane::testing::webRollout("nginx:1", 2, strategy(step)));
    ASSERT_TRUE(waitStep("Healthy", 5)) << explain();
    ASSERT_TRUE(waitRoutes("primary=100/0")) << explain();

    // At the first pause the route is first in http[].
    setImage("nginx:2");
    ASSERT_TRUE(waitStep("Paused", 2)) << explain();
    ASSERT_TRUE(waitRoutes(at10)) << explain();
    check(virtualService()["spec"]["http"][0]);

    // Every canary pod deleted: back once the new ones are Ready.
    const std::string canary = status("currentPodHash");
    const auto before = podsOf(canary).first;
    kubectlOk("delete pods -l rollouts-pod-template-hash=" + canary + " --wait=false");
    ASSERT_TRUE(vane::testing::waitFor(
        [&] {
          auto [names, ready] = podsOf(canary);
          for (const std::string& n : names) {
            if (before.count(n)) return false;
          }
          return !names.empty() && ready;
        },
        seconds(30)))
        << explain();
    ASSERT_TRUE(waitStep("Paused", 2)) << explain();
    EXPECT_TRUE(waitRoutes(at10)) << explain();

    // kill -9 of the controller; meanwhile the VirtualService is re-applied as written (a GitOps
    // sync drops the route and the weights). The restarted controller remembers nothing and
    // writes both back from the Rollout.
    killBinary();
    applyYaml(vane::testing::webVirtualServiceYaml());
    ASSERT_EQ(routes(), "primary=100/0");
    startBinary();
    EXPECT_TRUE(waitRoutes(at10)) << explain();

    // kubectl vane promote to the next pause: the route stays; a mirror follows the weights.
    kubectlVane("promote web");
    ASSERT_TRUE(waitStep("Paused", 4)) << explain();
    EXPECT_TRUE(waitRoutes(at40)) << explain();

    // Completion removes it.
    kubectlVane("promote web");
    ASSERT_TRUE(waitStep("Healthy", 5)) << explain();
    EXPECT_TRUE(waitRoutes("primary=100/0")) << explain();

    // So does an abort.
    setImage("nginx:3");
    ASSERT_TRUE(waitStep("Paused", 2)) << explain();
    ASSERT_TRUE(waitRoutes(at10)) << explain();
    kubectlVane("abort web");
    ASSERT_TRUE(vane::testing::waitFor([&] { return status("phase") == "Degraded"; }, seconds(30)))
        << explain();
    EXPECT_TRUE(waitRoutes("primary=100/0")) << explain();
  }

  std::unique_ptr<vane::testing::Process> controller_process_;
  int starts_ = 0;
};

TEST_F(ManagedRoutesTest, HeaderRouteBeforeTheFirstWeightSurvivesUntilCompletionOrAbort) {
  scenario(kHeaderStep, "qa=100 | primary=90/10", "qa=100 | primary=60/40", [](const json& r) {
    EXPECT_EQ(r.value("name", ""), "qa");
    EXPECT_EQ(r["match"], json::parse(R"([{"headers": {"x-canary": {"exact": "qa"}}}])"));
    EXPECT_EQ(r["route"], json::parse(R"([{"destination": {"host": "web-canary"},
                                           "weight": 100}])"));
  });
}

TEST_F(ManagedRoutesTest, MirrorRouteKeepsItsMatchAndPercentageAndFollowsTheWeights) {
  scenario(kMirrorStep, "qa@50=90/10 | primary=90/10", "qa@50=60/40 | primary=60/40",
           [](const json& r) {
             EXPECT_EQ(r.value("name", ""), "qa");
             EXPECT_EQ(r["match"], json::parse(R"([{"method": {"exact": "GET"},
                                                    "uri": {"prefix": "/api"}}])"));
             EXPECT_EQ(r["mirror"], json::parse(R"({"host": "web-canary"})"));
             EXPECT_EQ(r["mirrorPercentage"]["value"].get<double>(), 50.0);
           });
}

}  // namespace
}  // namespace vane::controller
