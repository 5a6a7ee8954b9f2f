// Secrets stay secret (issue 16): a real vane-controller runs an analysis whose Prometheus
// credentials come from a Secret (basic auth, and an OAuth2 client secret exchanged for a token),
// sends a notification with a token from argo-rollouts-notification-secret, and serves the
// Alertmanager hook behind its bearer token. The loopback peer echoes what it was sent in its
// first (failing) answers, as proxies and token endpoints do, so credentials reach error
// messages unless they are masked. Then the controller's log, the events, the Rollout and
// AnalysisRun objects and /metrics are searched: no secret value may appear in any of them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "analysis/http_auth.h"
#include "kube/http.h"
#include "support/process.h"

namespace vane {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using vane::testing::run;
using vane::testing::waitFor;

// Distinctive values, so that a match can only be a leak.
constexpr const char* kBasicUser = "prom-reader";
constexpr const char* kBasicPassword = "pw-7f3a9c-basic";
constexpr const char* kClientSecret = "cs-51d0e2-oauth";
constexpr const char* kAccessToken = "at-9b8e77-token";
constexpr const char* kSlackToken = "xoxb-2e6d41-slack";
constexpr const char* kWebhookToken = "nt-c4a1f0-notify";
constexpr const char* kHookToken = "hk-83f2aa-hook";

std::string b64(const std::string& s) { return analysis::base64Encode(s); }

class SecretsStaySecretTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = vane::testing::ApiServer::start();
    ASSERT_TRUE(server_) << "vane-apiserver did not start";
    dir_ = vane::testing::makeTempDir("vane-secrets-it");
    kubectlOk("apply -k " + std::string(VANE_SOURCE_DIR) + "/crds");
    auto peer = http::Server::start({}, [this](const http::Request& req) { return answer(req); });
    ASSERT_TRUE(peer.ok()) << peer.status().toString();
    peer_ = std::move(*peer);
  }
  void TearDown() override {
    if (controller_ && HasFailure()) std::cerr << "controller log:\n" << controller_->log();
    controller_.reset();
    if (peer_) peer_->stop();
    std::error_code ec;
    if (!HasFailure() && !dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  // Prometheus (basic auth at /basic, bearer at /oauth), its token endpoint, and the
  // notification receivers. The first answer of each Prometheus path and of the token endpoint
  // is an error quoting the request's credentials back.
  http::Response answer(const http::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = ++calls_[req.path];
    std::string auth = req.header("Authorization").value_or("");
    seen_.push_back(req.path + " " + auth + " " + req.body);
    if (req.path == "/token") {
      if (n == 1) return http::Response::text(401, "invalid_client: got " + req.body + " " + auth);
      return http::Response::json(
          200, json{{"access_token", kAccessToken}, {"token_type", "Bearer"}, {"expires_in", 3600}}
                   .dump());
    }
    if (req.path == "/basic/api/v1/query" || req.path == "/oauth/api/v1/query") {
      bool basic = req.path == "/basic/api/v1/query";
      std::string want = basic ? "Basic " + b64(std::string(kBasicUser) + ":" + kBasicPassword)
                               : "Bearer " + std::string(kAccessToken);
      if (n == 1 || auth != want) {
        return http::Response::json(
            400, json{{"status", "error"},
                      {"errorType", "bad_data"},
                      {"error", "rejected Authorization: " + auth + " for " + req.target}}
                     .dump());
      }
      return http::Response::json(200,
                                  R"({"status":"success","data":{"resultType":"vector","result":[)"
                                  R"({"metric":{},"value":[1795545080.5,"0.99"]}]}})");
    }
    return http::Response::json(200, R"({"ok":true})");  // slack and webhook receivers
  }

  void kubectlOk(const std::string& args) {
    auto r = run(server_->kubectl() + " " + args);
    ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  }
  std::string kubectlOut(const std::string& args) {
    auto r = run(server_->kubectl() + " " + args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
    return r.output;
  }
  void applyYaml(const std::string& name, const std::string& yaml) {
    const std::string file = dir_ + "/" + name + ".yaml";
    std::ofstream(file) << yaml;
    kubectlOk("apply -f " + file);
  }
  int calls(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[path];
  }
  std::string seen() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& s : seen_) out += s + "\n";
    return out;
  }

  std::unique_ptr<vane::testing::ApiServer> server_;
  std::unique_ptr<http::Server> peer_;
  std::unique_ptr<vane::testing::Process> controller_;
  std::string dir_;
  std::mutex mu_;
  std::map<std::string, int> calls_;
  std::vector<std::string> seen_;
};

std::string manifests(const std::string& peer) {
  return R"(apiVersion: v1
kind: Secret
metadata: {name: prom-creds, namespace: default}
stringData:
  username: )" +
         std::string(kBasicUser) +
         R"(
  password: )" +
         kBasicPassword +
         R"(
  client-secret: )" +
         kClientSecret +
         R"(
---
apiVersion: v1
kind: Secret
metadata: {name: argo-rollouts-notification-secret, namespace: default}
stringData:
  slack-token: )" +
         kSlackToken +
         R"(
  webhook-token: )" +
         kWebhookToken +
         R"(
---
apiVersion: v1
kind: ConfigMap
metadata: {name: argo-rollouts-notification-configmap, namespace: default}
data:
  service.slack: |
    token: $slack-token
    apiURL: )" +
         peer +
         R"(/slack
  service.webhook.deploys: |
    url: )" +
         peer +
         R"(/hooks
    headers:
    - name: Authorization
      value: Bearer $webhook-token
  trigger.on-rollout-completed: |
    - send: [rollout-completed]
  template.rollout-completed: |
    message: Rollout {{.rollout.metadata.name}} has been completed.
    webhook:
      deploys:
        method: POST
        body: '{"rollout": "{{.rollout.metadata.name}}"}'
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: creds, namespace: default}
spec:
  args:
  - name: username
    valueFrom: {secretKeyRef: {name: prom-creds, key: username}}
  - name: password
    valueFrom: {secretKeyRef: {name: prom-creds, key: password}}
  - name: client-secret
    valueFrom: {secretKeyRef: {name: prom-creds, key: client-secret}}
  metrics:
  - name: basic
    count: 2
    interval: 1s
    successCondition: result[0] >= 0.9
    provider:
      prometheus:
        address: )" +
         peer +
         R"(/basic
        query: up
        authentication:
          basicAuth: {username: "{{args.username}}", password: "{{args.password}}"}
  - name: oauth
    count: 2
    interval: 1s
    successCondition: result[0] >= 0.9
    provider:
      prometheus:
        address: )" +
         peer +
         R"(/oauth
        query: up
        authentication:
          oauth2:
            tokenUrl: )" +
         peer +
         R"(/token
            clientId: vane
            clientSecret: "{{args.client-secret}}"
            scopes: [read]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  namespace: default
  annotations:
    notifications.argoproj.io/subscribe.on-rollout-completed.slack: deploys
    notifications.argoproj.io/subscribe.on-rollout-completed.deploys: ""
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: "nginx:1"}]
  strategy:
    canary:
      steps:
      - setWeight: 50
      - analysis: {templates: [{templateName: creds}]}
)";
}

TEST_F(SecretsStaySecretTest, NoSecretValueInLogsEventsStatusOrMetrics) {
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_->port());
  const std::string token_file = dir_ + "/hook-token";
  std::ofstream(token_file) << kHookToken << "\n";
  uint16_t metrics_port = vane::testing::freePort();
  uint16_t hook_port = vane::testing::freePort();
  const std::string metrics_url = "http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics";
  const std::string hook_url =
      "http://127.0.0.1:" + std::to_string(hook_port) + "/hooks/alertmanager";
  controller_ = std::make_unique<vane::testing::Process>(
      std::vector<std::string>{std::string(VANE_BIN_DIR) + "/vane-controller", "--kubeconfig",
                               server_->kubeconfig(), "--health-addr", "127.0.0.1:0",
                               "--metrics-addr", "127.0.0.1:" + std::to_string(metrics_port),
                               "--hook-addr", "127.0.0.1:" + std::to_string(hook_port),
                               "--hook-token-file", token_file, "--notifications-namespace",
                               "default", "--log-level", "debug"},
      dir_ + "/controller.log");
  applyYaml("all", manifests(peer));
  ASSERT_TRUE(waitFor(
      [&] {
        return kubectlOut("get rollout web -o json").find(R"("phase": "Healthy")") !=
               std::string::npos;
      },
      seconds(30)));
  // An update runs the analysis: each metric's first answer is an error quoting credentials.
  kubectlOk(R"(patch rollout web --type merge -p '{"spec":{"template":{"spec":{"containers":)"
            R"([{"name":"web","image":"nginx:2"}]}}}}')");
  ASSERT_TRUE(waitFor(
      [&] {
        auto ro = json::parse(kubectlOut("get rollout web -o json"), nullptr, false);
        return ro.is_object() &&
               ro["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2" &&
               ro.value("status", json::object()).value("phase", "") == "Healthy" &&
               ro["status"].value("stableRS", "") == ro["status"].value("currentPodHash", "-");
      },
      seconds(60)))
      << kubectlOut("get rollout web -o json") << kubectlOut("get analysisruns -o json") << seen();
  ASSERT_TRUE(waitFor([&] { return calls("/hooks") > 0 && calls("/slack/chat.postMessage") > 0; },
                      seconds(20)))
      << seen();
  // The credentials were used: basic auth, the token grant, the bearer token, both tokens.
  std::string sent = seen();
  EXPECT_GE(calls("/basic/api/v1/query"), 2) << sent;
  EXPECT_GE(calls("/oauth/api/v1/query"), 2) << sent;
  EXPECT_GE(calls("/token"), 2) << sent;
  EXPECT_NE(sent.find("Bearer " + std::string(kWebhookToken)), std::string::npos) << sent;
  EXPECT_NE(sent.find("Bearer " + std::string(kSlackToken)), std::string::npos) << sent;

  // The hook with its token: a payload for the Rollout that is not firing, and a malformed one.
  auto hook = [&](const std::string& body) {
    const std::string file = dir_ + "/hook-body.json";
    std::ofstream(file) << body;
    return run("curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer " +
               std::string(kHookToken) + "' -H 'Content-Type: application/json' --data @" + file +
               " " + hook_url)
        .output;
  };
  EXPECT_EQ(hook(R"({"version":"4","status":"resolved","receiver":"r","groupKey":"g","alerts":[)"
                 R"({"status":"resolved","labels":{"alertname":"A","rollout":"web",)"
                 R"("namespace":"default"},"annotations":{},"startsAt":"2026-12-08T00:00:00Z"}]})"),
            "200");
  EXPECT_EQ(hook("{not json").substr(0, 1), "4");

  // Everything the controller exposes or wrote.
  std::map<std::string, std::string> sources = {
      {"controller log", controller_->log()},
      {"events", kubectlOut("get events -A -o json")},
      {"rollout", kubectlOut("get rollout web -o json")},
      {"analysisruns", kubectlOut("get analysisruns -A -o json")},
      {"metrics", run("curl -s " + metrics_url).output},
  };
  EXPECT_NE(sources["metrics"].find("# TYPE"), std::string::npos) << sources["metrics"];
  EXPECT_NE(sources["analysisruns"].find("Error"), std::string::npos)
      << "the echoing errors were recorded as Error measurements: " << sources["analysisruns"];
  const std::vector<std::string> secrets = {
      kBasicPassword, kClientSecret, kAccessToken, kSlackToken, kWebhookToken, kHookToken,
      b64(std::string(kBasicUser) + ":" + kBasicPassword),
      // The Secret objects' base64 forms.
      b64(kBasicPassword), b64(kClientSecret), b64(kSlackToken), b64(kWebhookToken)};
  for (const auto& [name, text] : sources) {
    for (const auto& secret : secrets) {
      auto at = text.find(secret);
      EXPECT_EQ(at, std::string::npos)
          << name << " contains the secret value " << secret << ": ..."
          << text.substr(at == std::string::npos ? 0 : (at > 200 ? at - 200 : 0), 400) << "...";
    }
  }
}

}  // namespace
}  // namespace vane
