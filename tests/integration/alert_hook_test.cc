// The Alertmanager hook end to end with real peers: a real Alertmanager 0.25 delivers its webhook
// to AlertHook served on vane::http::Server, which aborts Rollouts in the real vane-apiserver.
#include "controller/alert_hook.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "kube/client.h"
#include "kube/http.h"
#include "kube/types.h"
#include "support/process.h"

namespace vane::controller {
namespace {

using json = nlohmann::json;
using vane::testing::ApiServer;
using vane::testing::Process;

constexpr const char* kToken = "it-alert-token";
constexpr const char* kHookPath = "/hooks/alertmanager";
constexpr auto kDeadline = std::chrono::seconds(30);

std::string rolloutYaml(const std::string& name) {
  return R"(apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: )" +
         name + R"(
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: )" +
         name + R"(}
  template:
    metadata:
      labels: {app: )" +
         name + R"(}
    spec:
      containers: [{name: app, image: nginx}]
  strategy:
    canary:
      steps: [{setWeight: 20}, {pause: {}}]
)";
}

class AlertHookIT : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = ApiServer::start().release();
    ASSERT_NE(server_, nullptr);
    dir_ = vane::testing::makeTempDir("vane-alert-it");
    kubectlOk("apply -f " + std::string(VANE_SOURCE_DIR) + "/crds/rollout-crd.yaml");
    ASSERT_TRUE(vane::testing::waitFor(
        [] { return kubectl("get rollouts.argoproj.io -n default").exit_code == 0; }, kDeadline));
    auto cfg = kube::loadKubeconfig(server_->kubeconfig());
    ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
    auto client = kube::Client::create(*cfg);
    ASSERT_TRUE(client.ok()) << client.status().toString();
    client_ = std::move(client).value().release();

    AlertHookOptions options;
    options.token = kToken;
    hook_ = new AlertHook(
        *client_,
        [](const Alert&) {
          std::vector<std::shared_ptr<const json>> out;
          auto list = client_->list(kube::resources::kRollouts, "");
          if (!list.ok()) return out;
          for (const json& item : (*list)["items"]) out.push_back(std::make_shared<json>(item));
          return out;
        },
        options);
    auto http = http::Server::start({}, [](const http::Request& req) {
      if (req.path != kHookPath) return http::Response::text(404, "not found");
      http::Response resp = hook_->handle(req);
      std::lock_guard<std::mutex> lock(mu_);
      delivered_.push_back({req.body, resp.status});
      return resp;
    });
    ASSERT_TRUE(http.ok()) << http.status().toString();
    http_ = std::move(http).value().release();
    hook_url_ = "http://127.0.0.1:" + std::to_string(http_->port()) + kHookPath;
    startAlertmanager();
  }

  static void TearDownTestSuite() {
    delete alertmanager_;  // SIGTERM by PID
    if (http_) http_->stop();
    delete http_;
    delete hook_;
    delete client_;
    delete server_;
    alertmanager_ = nullptr;
    http_ = nullptr;
    hook_ = nullptr;
    client_ = nullptr;
    server_ = nullptr;
  }

  static void startAlertmanager() {
    am_port_ = vane::testing::freePort();
    const std::string config = dir_ + "/alertmanager.yml";
    std::ofstream(config) << "route:\n"
                             "  receiver: vane-abort\n"
                             "  group_by: ['alertname', 'namespace', 'rollout']\n"
                             "  group_wait: 1s\n"
                             "  group_interval: 10s\n"
                             "  repeat_interval: 1h\n"
                             "receivers:\n"
                             "  - name: vane-abort\n"
                             "    webhook_configs:\n"
                             "      - url: '"
                          << hook_url_
                          << "'\n"
                             "        send_resolved: true\n"
                             "        http_config: {authorization: {credentials: "
                          << kToken << "}}\n";
    alertmanager_ = new Process(
        {"/usr/bin/prometheus-alertmanager", "--config.file=" + config,
         "--storage.path=" + dir_ + "/am-data",
         "--web.listen-address=127.0.0.1:" + std::to_string(am_port_), "--cluster.listen-address="},
        dir_ + "/alertmanager.log");
    bool ready = vane::testing::waitFor(
        [] {
          return vane::testing::run("curl -sf http://127.0.0.1:" + std::to_string(am_port_) +
                                    "/-/ready")
                     .exit_code == 0;
        },
        kDeadline);
    ASSERT_TRUE(ready) << alertmanager_->log();
  }

  static vane::testing::CommandResult kubectl(const std::string& args) {
    return vane::testing::run(server_->kubectl() + args);
  }
  static void kubectlOk(const std::string& args) {
    auto r = kubectl(args);
    ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  }

  // Creates a Rollout and gives it the status of one mid-update (or healthy).
  static void createRollout(const std::string& name, const std::string& current,
                            const std::string& stable) {
    const std::string path = dir_ + "/" + name + ".yaml";
    std::ofstream(path) << rolloutYaml(name);
    kubectlOk("apply -f " + path);
    json status = {{"status", {{"currentPodHash", current}, {"stableRS", stable}}}};
    kubectlOk("patch rollout " + name + " -n default --subresource=status --type merge -p '" +
              status.dump() + "'");
  }

  static json getRollout(const std::string& name) {
    auto r = client_->get(kube::resources::kRollouts, "default", name);
    EXPECT_TRUE(r.ok()) << r.status().toString();
    return r.ok() ? *r : json();
  }

  static bool aborted(const json& ro) {
    return ro.is_object() && ro.contains("status") && ro["status"].value("abort", false);
  }

  static std::string annotation(const json& ro, const std::string& key) {
    const json& a = ro["metadata"].value("annotations", json::object());
    return a.value(key, "");
  }

  // Injects a firing alert into Alertmanager (its API v2), naming the Rollout by labels.
  static void injectAlert(const std::string& alertname, const std::string& rollout) {
    json alerts = json::array({{{"labels",
                                 {{"alertname", alertname},
                                  {"rollout", rollout},
                                  {"namespace", "default"},
                                  {"severity", "critical"}}},
                                {"annotations", {{"summary", "5xx ratio above 5%"}}}}});
    const std::string file = dir_ + "/alert-" + rollout + ".json";
    std::ofstream(file) << alerts.dump();
    auto r =
        vane::testing::run("curl -sf -X POST -H 'Content-Type: application/json' --data @" + file +
                           " http://127.0.0.1:" + std::to_string(am_port_) + "/api/v2/alerts");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  // The HTTP status of a POST to the hook, sent with curl (status code on stdout).
  static std::string postToHook(const std::string& body, bool with_token) {
    const std::string file = dir_ + "/direct-body.json";
    std::ofstream(file) << body;
    std::string auth = with_token ? " -H 'Authorization: Bearer " + std::string(kToken) + "'" : "";
    auto r = vane::testing::run("curl -s -o /dev/null -w '%{http_code}' -X POST" + auth +
                                " -H 'Content-Type: application/json' --data @" + file + " " +
                                hook_url_);
    return r.output;
  }

  // True once the hook has answered a delivery whose body names `text`, with `status`.
  static bool delivered(const std::string& text, int status) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [body, code] : delivered_) {
      if (code == status && body.find(text) != std::string::npos) return true;
    }
    return false;
  }

  static json payloadNaming(const std::string& rollout) {
    return {
        {"version", "4"},
        {"status", "firing"},
        {"receiver", "vane-abort"},
        {"groupKey", "{}:{}"},
        {"alerts",
         {{{"status", "firing"},
           {"labels", {{"alertname", "Direct"}, {"rollout", rollout}, {"namespace", "default"}}},
           {"annotations", json::object()},
           {"startsAt", "2026-11-24T18:00:00.123Z"},
           {"endsAt", "0001-01-01T00:00:00Z"},
           {"fingerprint", "6b0c1f2a3d4e5f60"}}}}};
  }

  static inline ApiServer* server_ = nullptr;
  static inline kube::Client* client_ = nullptr;
  static inline AlertHook* hook_ = nullptr;
  static inline http::Server* http_ = nullptr;
  static inline Process* alertmanager_ = nullptr;
  static inline std::string dir_, hook_url_;
  static inline uint16_t am_port_ = 0;
  static inline std::mutex mu_;
  static inline std::vector<std::pair<std::string, int>> delivered_;
};

TEST_F(AlertHookIT, FiringAlertFromAlertmanagerAbortsMidUpdateRollout) {
  createRollout("checkout", "aaa", "bbb");
  injectAlert("CanaryHighErrorRate", "checkout");
  json ro;
  bool done = vane::testing::waitFor(
      [&] {
        ro = getRollout("checkout");
        return aborted(ro) && !annotation(ro, kAbortReasonAnnotation).empty();
      },
      kDeadline);
  ASSERT_TRUE(done) << ro.dump() << "\nalertmanager log:\n" << alertmanager_->log();
  EXPECT_NE(annotation(ro, kAbortReasonAnnotation).find("CanaryHighErrorRate"), std::string::npos)
      << annotation(ro, kAbortReasonAnnotation);
  // The hook's answer is recorded after its handler returned, which is after the abort was
  // written: wait for it rather than race it.
  EXPECT_TRUE(vane::testing::waitFor([] { return delivered("\"checkout\"", 200); }, kDeadline));
}

TEST_F(AlertHookIT, HealthyRolloutIsLeftAlone) {
  createRollout("healthy", "aaa", "aaa");
  injectAlert("HealthyButAlerting", "healthy");
  // Synchronise on the hook having answered Alertmanager's delivery for this alert.
  ASSERT_TRUE(
      vane::testing::waitFor([] { return delivered("HealthyButAlerting", 200); }, kDeadline))
      << alertmanager_->log();
  json ro = getRollout("healthy");
  EXPECT_FALSE(aborted(ro)) << ro.dump();
  EXPECT_EQ(annotation(ro, kAbortReasonAnnotation), "");
}

TEST_F(AlertHookIT, RequestWithoutTokenIsRefusedAndChangesNothing) {
  createRollout("tokenless", "aaa", "bbb");
  EXPECT_EQ(postToHook(payloadNaming("tokenless").dump(), false), "401");
  json ro = getRollout("tokenless");  // the hook answers only after its writes, so this is final
  EXPECT_FALSE(aborted(ro)) << ro.dump();
  EXPECT_EQ(annotation(ro, kAbortReasonAnnotation), "");
  // The same payload with the token does abort: the refusal was about the token only.
  EXPECT_EQ(postToHook(payloadNaming("tokenless").dump(), true), "200");
  EXPECT_TRUE(aborted(getRollout("tokenless")));
}

TEST_F(AlertHookIT, MalformedPayloadGets400AndChangesNothing) {
  createRollout("malformed", "aaa", "bbb");
  EXPECT_EQ(postToHook("{\"version\": \"4\", \"alerts\": [{\"labels\": ", true), "400");
  json bad = payloadNaming("malformed");
  bad["alerts"][0]["labels"] = "rollout=malformed";
  EXPECT_EQ(postToHook(bad.dump(), true), "400");
  json ro = getRollout("malformed");
  EXPECT_FALSE(aborted(ro)) << ro.dump();
  EXPECT_EQ(annotation(ro, kAbortReasonAnnotation), "");
}

}  // namespace
}  // namespace vane::controller
