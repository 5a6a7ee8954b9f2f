// Notifications end to end: the Rollout controller runs in-process against a real vane-apiserver
// --simulate-workloads, its events go through NotifyingEventRecorder to a Notifier configured from
// the vane-notifications ConfigMap read back from the server, and the webhooks land on a local
// http::Server started by the test. The receiver answers 500 to the first delivery (retried with
// backoff) and 400 on another route (not retried).
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "controller/manager.h"
#include "controller/notifications.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/http.h"
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
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: nginx:1}]
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {}}]
)";

struct Delivery {
  std::string path, body;
  http::Headers headers;
};

class NotificationsDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = vane::testing::ApiServer::start();
    ASSERT_TRUE(server_) << "vane-apiserver did not start";
    dir_ = vane::testing::makeTempDir("vane-notify-it");
    kubectlOk("apply -k " + std::string(VANE_SOURCE_DIR) + "/crds");
    auto receiver = http::Server::start({}, [this](const http::Request& req) {
      std::lock_guard<std::mutex> lock(mu_);
      deliveries_.push_back({req.path, req.body, req.headers});
      if (req.path == "/bad") return http::Response::text(400, "no");
      // The first delivery to /hook fails with a server error: the notifier must retry.
      if (++hook_calls_ == 1) return http::Response::text(500, "try again");
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
    if (notifier_) notifier_->stop();
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
  void applyYaml(const std::string& name, const std::string& yaml) {
    const std::string file = dir_ + "/" + name + ".yaml";
    std::ofstream(file) << yaml;
    kubectlOk("apply -f " + file);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(receiver_->port()) + path;
  }
  std::vector<Delivery> deliveries(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Delivery> out;
    for (const auto& d : deliveries_) {
      if (d.path == path) out.push_back(d);
    }
    return out;
  }
  std::string counters() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }
  /// vane_notifications_total{result=...} in the text exposition; -1 when absent.
  static double counter(const std::string& text, const std::string& result) {
    const std::string key = "vane_notifications_total{result=\"" + result + "\"} ";
    auto at = text.find(key);
    return at == std::string::npos ? -1 : std::stod(text.substr(at + key.size()));
  }

  // The ConfigMap as an operator writes it, read back from the server and parsed as main does.
  void configureFromConfigMap() {
    applyYaml("cm", std::string(R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: vane-notifications
  namespace: default
data:
  webhooks: |
    - name: ops
      url: )") + url("/hook") +
                        R"(
      headers: {Authorization: "Bearer n0tify", X-Vane-Test: "yes"}
      events: [on-rollout-completed]
      template: '{"rollout":"{{rollout}}","ns":"{{namespace}}","event":"{{event}}","revision":"{{revision}}","message":"{{message}}"}'
    - name: broken
      url: )" + url("/bad") +
                        R"(
      events: [on-rollout-updated]
)");
    auto cm = client_->get(res::kConfigMaps, "default", kNotificationsConfigMap);
    ASSERT_TRUE(cm.ok()) << cm.status().toString();
    auto hooks = parseNotificationConfig(*cm);
    ASSERT_TRUE(hooks.ok()) << hooks.status().toString();
    ASSERT_EQ(hooks->size(), 2u);
    auto http_client = http::Client::create({});
    ASSERT_TRUE(http_client.ok());
    NotifierOptions options;
    options.initial_backoff = std::chrono::milliseconds(50);
    notifier_ = std::make_unique<Notifier>(std::move(*http_client), options, &registry_);
    notifier_->configure(std::move(*hooks));
  }

  void startController() {
    recorder_ = kube::EventRecorder::create(*client_);
    events_ = std::make_unique<NotifyingEventRecorder>(*recorder_, notifier_.get(), nullptr);
    controller_ = std::make_unique<Manager>(*client_, ControllerOptions{}, events_.get());
    Status st = controller_->start(seconds(20));
    ASSERT_TRUE(st.isOk()) << st.toString();
  }

  std::unique_ptr<vane::testing::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<http::Server> receiver_;
  std::unique_ptr<kube::EventRecorder> recorder_;
  std::unique_ptr<NotifyingEventRecorder> events_;
  std::unique_ptr<Notifier> notifier_;
  std::unique_ptr<Manager> controller_;
  prometheus::Registry registry_;
  std::string dir_;
  std::mutex mu_;
  std::vector<Delivery> deliveries_;
  int hook_calls_ = 0;
};

TEST_F(NotificationsDeliveryTest, RolloutEventReachesReceiverWithTemplateHeadersAndRetry) {
  ASSERT_NO_FATAL_FAILURE(configureFromConfigMap());
  ASSERT_NO_FATAL_FAILURE(startController());
  applyYaml("rollout", kRollout);

  // The initial deploy completes: one RolloutCompleted event, delivered twice (500, then 200).
  ASSERT_TRUE(vane::testing::waitFor([&] { return deliveries("/hook").size() >= 2; }, seconds(40)))
      << "deliveries to /hook: " << deliveries("/hook").size();
  ASSERT_TRUE(notifier_->drain(seconds(10)));
  // Events are delivered at least once (a reconcile retried after a 409 records its events
  // again), so counts are compared with the counters rather than fixed.
  auto hook = deliveries("/hook");
  ASSERT_GE(hook.size(), 2u);
  EXPECT_EQ(hook[0].body, hook[1].body);  // the retry after the 500 resends the same body
  json body = json::parse(hook[1].body, nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << hook[1].body;
  EXPECT_EQ(body["rollout"], "web");
  EXPECT_EQ(body["ns"], "default");
  EXPECT_EQ(body["event"], "on-rollout-completed");
  // {{revision}} is not checked: the event carries the Rollout as read before the reconcile that
  // wrote its revision annotation, so it is empty on the initial deploy (reported to the lead).
  EXPECT_NE(body["message"].get<std::string>().find("revision 1"), std::string::npos)
      << body.dump();
  const http::Headers& h = hook[1].headers;
  EXPECT_EQ(http::findHeader(h, "Authorization").value_or(""), "Bearer n0tify");
  EXPECT_EQ(http::findHeader(h, "X-Vane-Test").value_or(""), "yes");
  EXPECT_EQ(http::findHeader(h, "Content-Type").value_or(""), "application/json");

  // RolloutUpdated went to the route answering 400: a client error is not retried.
  auto bad = deliveries("/bad");
  ASSERT_GE(bad.size(), 1u);
  json updated = json::parse(bad[0].body, nullptr, false);  // the default body: every variable
  ASSERT_FALSE(updated.is_discarded()) << bad[0].body;
  EXPECT_EQ(updated["event"], "on-rollout-updated");
  EXPECT_EQ(updated["rollout"], "web");

  // One retry in all (the 500); every other attempt was final: 2xx sent, 400 failed.
  const std::string text = counters();
  EXPECT_EQ(counter(text, "retried"), 1) << text;
  EXPECT_EQ(counter(text, "sent"), static_cast<double>(hook.size() - 1)) << text;
  EXPECT_EQ(counter(text, "failed"), static_cast<double>(bad.size())) << text;
}

}  // namespace
}  // namespace vane::controller
