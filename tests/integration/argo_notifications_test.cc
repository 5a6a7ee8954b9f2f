// Argo-format notifications end to end: the Rollout controller runs in-process against a real
// vane-apiserver --simulate-workloads; its events reach ArgoNotifications as vane-controller
// wires it, which reads argo-rollouts-notification-configmap and -secret back from the server
// (Argo's documented on-rollout-completed and on-rollout-aborted templates plus a webhook
// template written for this test). The Rollout subscribes by annotation; a loopback stand-in for
// Slack's API and a webhook receiver get the rendered messages.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "../unit/notifications/argo_testdata.h"
#include "controller/manager.h"
#include "controller/notifications.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/http.h"
#include "notifications/argo_loader.h"
#include "support/process.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;
namespace res = kube::resources;

constexpr const char* kRollout = R"(apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  namespace: default
  annotations:
    notifications.argoproj.io/subscribe.on-rollout-completed.slack: deploys-channel
    notifications.argoproj.io/subscribe.on-rollout-aborted.slack: deploys-channel
    notifications.argoproj.io/subscribe.on-rollout-completed.deploys: ""
    notifications.argoproj.io/subscribe.on-rollout-aborted.deploys: ""
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: "nginx:1"}]
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {}}]
)";

struct Received {
  std::string path, body;
  http::Headers headers;
};

class ArgoNotificationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = vane::testing::ApiServer::start();
    ASSERT_TRUE(server_) << "vane-apiserver did not start";
    dir_ = vane::testing::makeTempDir("vane-argo-notify-it");
    kubectlOk("apply -k " + std::string(VANE_SOURCE_DIR) + "/crds");
    auto receiver = http::Server::start({}, [this](const http::Request& req) {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back({req.path, req.body, req.headers});
      if (req.path == "/slack/chat.postMessage") return http::Response::json(200, R"({"ok":true})");
      return http::Response::text(200, "ok");
    });
    ASSERT_TRUE(receiver.ok()) << receiver.status().toString();
    receiver_ = std::move(*receiver);
    auto config = kube::loadKubeconfig(server_->kubeconfig());
    ASSERT_TRUE(config.ok()) << config.status().toString();
    auto client = kube::Client::create(*config);
    ASSERT_TRUE(client.ok()) << client.status().toString();
    client_ = std::move(*client);
  }
  void TearDown() override {
    if (controller_) controller_->stop();
    if (argo_) argo_->stop();
    if (events_) events_->stop();
    if (receiver_) receiver_->stop();
    if (HasFailure() && server_) std::cerr << "apiserver log:\n" << server_->process()->log();
    std::error_code ec;
    if (!HasFailure() && !dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  void kubectlOk(const std::string& args) {
    auto r = vane::testing::run(server_->kubectl() + " " + args);
    ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  }
  void applyJson(const std::string& name, const json& obj) {
    const std::string file = dir_ + "/" + name + ".json";
    std::ofstream(file) << obj.dump();
    kubectlOk("apply -f " + file);
  }
  void applyYaml(const std::string& name, const std::string& yaml) {
    const std::string file = dir_ + "/" + name + ".yaml";
    std::ofstream(file) << yaml;
    kubectlOk("apply -f " + file);
  }
  std::vector<Received> at(const std::string& prefix) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Received> out;
    for (const auto& r : received_) {
      if (r.path.rfind(prefix, 0) == 0) out.push_back(r);
    }
    return out;
  }
  // Slack messages with the given text.
  std::vector<json> slack(const std::string& text) {
    std::vector<json> out;
    for (const auto& r : at("/slack/")) {
      json b = json::parse(r.body, nullptr, false);
      if (b.is_object() && b.value("text", "") == text) out.push_back(b);
    }
    return out;
  }

  std::unique_ptr<vane::testing::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<http::Server> receiver_;
  std::unique_ptr<kube::EventRecorder> recorder_;
  std::unique_ptr<NotifyingEventRecorder> events_;
  std::unique_ptr<notifications::ArgoNotifications> argo_;
  std::unique_ptr<Manager> controller_;
  std::string dir_;
  std::mutex mu_;
  std::vector<Received> received_;
};

TEST_F(ArgoNotificationsTest, CompletedAndAbortedReachSlackAndWebhookRendered) {
  const std::string base = "http://127.0.0.1:" + std::to_string(receiver_->port());
  // The controller's namespace as vane-controller uses it outside a cluster: argo-rollouts.
  kubectlOk("create namespace argo-rollouts");
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata",
              {{"name", "argo-rollouts-notification-configmap"}, {"namespace", "argo-rollouts"}}},
             {"data", notifications::testdata::configMapData(base + "/slack", base + "/hooks")}};
  json secret = notifications::testdata::secret();
  secret["metadata"]["namespace"] = "argo-rollouts";
  applyJson("cm", cm);
  applyJson("secret", secret);

  recorder_ = kube::EventRecorder::create(*client_);
  events_ = std::make_unique<NotifyingEventRecorder>(*recorder_, nullptr, nullptr);
  std::vector<std::string> errors;
  argo_ = std::make_unique<notifications::ArgoNotifications>(
      *client_, "argo-rollouts", false, [&](const std::string& level, const std::string& msg) {
        std::lock_guard<std::mutex> lock(mu_);
        errors.push_back(level + ": " + msg);
      });
  events_->setArgoNotifier(&argo_->notifier());
  controller_ = std::make_unique<Manager>(*client_, ControllerOptions{}, events_.get());
  Status st = controller_->start(seconds(20));
  ASSERT_TRUE(st.isOk()) << st.toString();

  // The initial deploy completes: RolloutCompleted.
  applyYaml("rollout", kRollout);
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return !slack("Rollout web has been completed.").empty(); }, seconds(25)))
      << at("/").size() << " requests";

  // A new image pauses at the first step; aborting it records RolloutAborted.
  kubectlOk(
      "patch rollout web --type merge -p "
      "'{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":"
      "\"nginx:2\"}]}}}}'");
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        auto ro = client_->get(res::kRollouts, "default", "web");
        return ro && ro->value("status", json::object()).contains("pauseConditions");
      },
      seconds(20)));
  auto patched = client_->patch(res::kRollouts, "default", "web", kube::PatchType::kMerge,
                                json{{"status", {{"abort", true}}}}, "status");
  ASSERT_TRUE(patched.ok()) << patched.status().toString();
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return !slack("Rollout web has been aborted.").empty(); }, seconds(20)));
  ASSERT_TRUE(argo_->notifier().drain(seconds(10)));

  // Slack: Argo's templates rendered, the token resolved from the Secret.
  json completed = slack("Rollout web has been completed.")[0];
  EXPECT_EQ(completed["channel"], "deploys-channel");
  EXPECT_EQ(completed["attachments"][0]["title"], "web");
  EXPECT_EQ(completed["attachments"][0]["color"], "#18be52");
  EXPECT_EQ(completed["attachments"][0]["fields"][0]["value"], "Canary");
  EXPECT_EQ(completed["attachments"][0]["fields"][1]["value"], "nginx:1");
  json aborted = slack("Rollout web has been aborted.")[0];
  EXPECT_EQ(aborted["attachments"][0]["color"], "#E01E5A");
  EXPECT_EQ(aborted["attachments"][0]["fields"][1]["value"], "nginx:2");
  for (const auto& r : at("/slack/")) {
    EXPECT_EQ(http::findHeader(r.headers, "Authorization").value_or(""), "Bearer xoxb-test");
  }

  // Webhook: method, path and body from the template; header with the Secret's token.
  auto hooks = at("/hooks/rollouts/default/web");
  ASSERT_GE(hooks.size(), 2u);
  std::set<std::string> images;
  for (const auto& h : hooks) {
    json body = json::parse(h.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << h.body;
    EXPECT_EQ(body["rollout"], "web");
    images.insert(body.value("image", ""));
    EXPECT_EQ(http::findHeader(h.headers, "Authorization").value_or(""), "Bearer s3cret");
  }
  EXPECT_EQ(images, (std::set<std::string>{"nginx:1", "nginx:2"}));
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_TRUE(errors.empty()) << errors[0];
}

// vane-controller itself: outside a cluster it reads Argo's ConfigMap and Secret from
// argo-rollouts, and with --self-service-notification-enabled also those in the Rollout's own
// namespace, whose trigger has a `when` condition on the Rollout.
TEST_F(ArgoNotificationsTest, ControllerBinaryWithSelfServiceNotifications) {
  const std::string base = "http://127.0.0.1:" + std::to_string(receiver_->port());
  kubectlOk("create namespace argo-rollouts");
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata",
              {{"name", "argo-rollouts-notification-configmap"}, {"namespace", "argo-rollouts"}}},
             {"data", notifications::testdata::configMapData(base + "/slack", base + "/hooks")}};
  json secret = notifications::testdata::secret();
  secret["metadata"]["namespace"] = "argo-rollouts";
  applyJson("cm", cm);
  applyJson("secret", secret);
  json own_cm = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", {{"name", "argo-rollouts-notification-configmap"}, {"namespace", "default"}}},
      {"data",
       {{"service.webhook.team",
         "url: " + base + "/team\nheaders:\n- name: X-Team-Token\n  value: $team-token\n"},
        {"template.team-hook",
         "webhook:\n  team:\n    method: PUT\n    path: /{{.rollout.metadata.name}}\n"
         "    body: '{{.rollout.metadata.name}} runs {{len .rollout.spec.template.spec.containers}}"
         " container(s)'\n"},
        {"trigger.on-rollout-completed",
         "- when: rollout.spec.template.spec.containers[0].image == 'nginx:1'\n"
         "  send: [team-hook]\n"}}}};
  json own_secret = {
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata", {{"name", "argo-rollouts-notification-secret"}, {"namespace", "default"}}},
      {"stringData", {{"team-token", "t0ken"}}}};
  applyJson("own-cm", own_cm);
  applyJson("own-secret", own_secret);

  vane::testing::Process controller(
      {std::string(VANE_BIN_DIR) + "/vane-controller", "--kubeconfig", server_->kubeconfig(),
       "--health-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0",
       "--self-service-notification-enabled"},
      dir_ + "/controller.log");
  std::string yaml = kRollout;
  yaml.replace(yaml.find("    notifications.argoproj.io/subscribe.on-rollout-aborted.slack"),
               std::string("    notifications.argoproj.io/subscribe.on-rollout-aborted.slack: "
                           "deploys-channel\n")
                   .size(),
               "    notifications.argoproj.io/subscribe.on-rollout-completed.team: \"\"\n");
  applyYaml("rollout", yaml);
  ASSERT_TRUE(vane::testing::waitFor(
      [&] { return !slack("Rollout web has been completed.").empty() && !at("/team/").empty(); },
      seconds(25)))
      << controller.log();
  auto team = at("/team/");
  ASSERT_EQ(team.size(), 1u);
  EXPECT_EQ(team[0].path, "/team/web");
  EXPECT_EQ(team[0].body, "web runs 1 container(s)");
  EXPECT_EQ(http::findHeader(team[0].headers, "X-Team-Token").value_or(""), "t0ken");
  EXPECT_EQ(slack("Rollout web has been completed.")[0]["channel"], "deploys-channel");
  EXPECT_EQ(controller.log().find("notification"), std::string::npos) << controller.log();
}

}  // namespace
}  // namespace vane::controller
