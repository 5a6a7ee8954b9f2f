// The notifier end to end on loopback: Argo's documented completed/aborted templates reach a
// stand-in for Slack's API, a webhook receiver and an SMTP sink, rendered; a 500 from Slack is
// retried; a repeated event is sent once.
#include "notifications/argo_notifier.h"

#include <gtest/gtest.h>

#include <mutex>

#include "argo_testdata.h"
#include "kube/http.h"
#include "smtp_sink.h"

namespace vane::notifications {
namespace {

struct Received {
  std::string method, path, body;
  http::Headers headers;
};

class ArgoNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = http::Server::start({}, [this](const http::Request& req) {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back({req.method, req.path, req.body, req.headers});
      if (req.path == "/api/chat.postMessage") {
        if (++slack_calls_ == 1) return http::Response::text(500, "busy");  // retried
        return http::Response::json(200, R"({"ok": true})");
      }
      return http::Response::text(200, "ok");
    });
    ASSERT_TRUE(server.ok()) << server.status().toString();
    server_ = std::move(*server);
    const std::string base = "http://127.0.0.1:" + std::to_string(server_->port());
    json cm = {{"data", testdata::configMapData(base + "/api", base + "/hooks", smtp_.port())}};
    auto cfg = parseArgoConfig(cm, testdata::secret());
    ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
    config_ = std::make_shared<const ArgoConfig>(std::move(*cfg));
    ArgoNotifierOptions options;
    options.backoff_scale = 0.01;
    notifier_ = std::make_unique<ArgoNotifier>(
        [this](const std::string& ns) {
          std::lock_guard<std::mutex> lock(mu_);
          namespaces_.push_back(ns);
          return std::vector<std::shared_ptr<const ArgoConfig>>{config_};
        },
        options,
        [this](const std::string& level, const std::string& msg) {
          std::lock_guard<std::mutex> lock(mu_);
          logs_.push_back(level + ": " + msg);
        });
  }
  void TearDown() override {
    if (notifier_) notifier_->stop();
    if (server_) server_->stop();
  }
  std::vector<Received> at(const std::string& prefix) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Received> out;
    for (const auto& r : received_) {
      if (r.path.rfind(prefix, 0) == 0) out.push_back(r);
    }
    return out;
  }

  testing::SmtpSink smtp_;
  std::unique_ptr<http::Server> server_;
  std::shared_ptr<const ArgoConfig> config_;
  std::unique_ptr<ArgoNotifier> notifier_;
  std::mutex mu_;
  std::vector<Received> received_;
  std::vector<std::string> namespaces_, logs_;
  int slack_calls_ = 0;
};

TEST_F(ArgoNotifierTest, CompletedAndAbortedReachSlackWebhookAndEmailRendered) {
  const json ro = testdata::rollout({
      {"notifications.argoproj.io/subscribe.on-rollout-completed.slack", "ops"},
      {"notifications.argoproj.io/subscribe.on-rollout-aborted.slack", "ops"},
      {"notifications.argoproj.io/subscribe.on-rollout-completed.deploys", ""},
      {"notifications.argoproj.io/subscribe.on-rollout-aborted.deploys", ""},
      {"notifications.argoproj.io/subscribe.on-rollout-completed.email", "dev@example.com"},
  });
  std::vector<SendResult> results;  // what /metrics counts (notification_send_*)
  notifier_->setSendObserver([&](const SendResult& r) {
    std::lock_guard<std::mutex> lock(mu_);
    results.push_back(r);
  });
  notifier_->notify(ro, "RolloutCompleted", "Rollout completed update to revision 1");
  // The same event again (a reconcile retried after a conflict records it twice): sent once.
  notifier_->notify(ro, "RolloutCompleted", "Rollout completed update to revision 1");
  notifier_->notify(ro, "RolloutPaused", "Rollout is paused");  // no trigger configured
  json aborted = ro;
  aborted["status"]["phase"] = "Degraded";
  notifier_->notify(aborted, "RolloutAborted", "Rollout aborted update to revision 2", "Warning");
  ASSERT_TRUE(notifier_->drain(std::chrono::seconds(20)));

  // Three posts: completed (answered 500), aborted, and the retry of completed, which waited
  // in the queue without holding up the aborted message.
  auto slack = at("/api/");
  ASSERT_EQ(slack.size(), 3u);
  std::vector<json> completed, aborted_msgs;
  for (const auto& r : slack) {
    EXPECT_EQ(http::findHeader(r.headers, "Authorization").value_or(""), "Bearer xoxb-test");
    json body = json::parse(r.body);
    EXPECT_EQ(body["channel"], "ops");
    (body["text"] == "Rollout web has been completed." ? completed : aborted_msgs).push_back(body);
  }
  ASSERT_EQ(completed.size(), 2u);
  ASSERT_EQ(aborted_msgs.size(), 1u);
  EXPECT_EQ(completed[0], completed[1]);  // the retry resends the same message
  EXPECT_EQ(completed[0]["attachments"][0]["color"], "#18be52");
  EXPECT_EQ(completed[0]["attachments"][0]["fields"][1],
            (json{{"title", "web"}, {"value", "app:purple"}, {"short", true}}));
  EXPECT_EQ(aborted_msgs[0]["text"], "Rollout web has been aborted.");
  EXPECT_EQ(aborted_msgs[0]["attachments"][0]["color"], "#E01E5A");

  auto hooks = at("/hooks/");
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[0].method, "POST");
  EXPECT_EQ(hooks[0].path, "/hooks/rollouts/prod/web");
  EXPECT_EQ(http::findHeader(hooks[0].headers, "Authorization").value_or(""), "Bearer s3cret");
  EXPECT_EQ(json::parse(hooks[0].body)["phase"], "Healthy");
  EXPECT_EQ(json::parse(hooks[1].body)["phase"], "Degraded");

  auto mail = smtp_.messages();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].to, "<dev@example.com>");
  EXPECT_EQ(mail[0].from, "<rollouts@example.com>");
  EXPECT_NE(mail[0].data.find("Subject: Rollout web has been completed.\n"), std::string::npos)
      << mail[0].data;
  EXPECT_NE(mail[0].data.find("\n\nRollout web has been completed.\n"), std::string::npos)
      << mail[0].data;

  auto c = notifier_->counts();
  EXPECT_EQ(c.sent, 5);
  EXPECT_EQ(c.retried, 1);
  EXPECT_EQ(c.deduplicated, 3);
  EXPECT_EQ(c.failed, 0);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_TRUE(logs_.empty()) << logs_[0];
  // One result per finished delivery (a retried one once), labelled with its event.
  ASSERT_EQ(results.size(), 5u);
  int completed_ok = 0, aborted_ok = 0;
  for (const auto& r : results) {
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.ns, "prod");
    EXPECT_EQ(r.name, "web");
    EXPECT_GE(r.seconds, 0);
    if (r.reason == "RolloutCompleted" && r.type == "Normal") ++completed_ok;
    if (r.reason == "RolloutAborted" && r.type == "Warning") ++aborted_ok;
  }
  EXPECT_EQ(completed_ok, 3);  // slack, webhook, email
  EXPECT_EQ(aborted_ok, 2);    // slack, webhook
}

TEST_F(ArgoNotifierTest, UnreachableReceiverFailsAfterRetriesWithoutBlocking) {
  // A webhook service on a closed port: every attempt fails; the delivery gives up and logs.
  json cm = {
      {"data",
       {{"service.webhook.down", "url: http://127.0.0.1:1\nretryMax: 2\nretryWaitMin: 10ms\n"},
        {"template.t", "webhook:\n  down:\n    method: PUT\n    body: x\n"},
        {"trigger.on-rollout-aborted", "- send: [t]\n"}}}};
  auto cfg = parseArgoConfig(cm, json());
  ASSERT_TRUE(cfg.ok()) << cfg.status().toString();
  config_ = std::make_shared<const ArgoConfig>(std::move(*cfg));
  std::vector<SendResult> results;
  notifier_->setSendObserver([&](const SendResult& r) {
    std::lock_guard<std::mutex> lock(mu_);
    results.push_back(r);
  });
  notifier_->notify(
      testdata::rollout({{"notifications.argoproj.io/subscribe.on-rollout-aborted.down", ""}}),
      "RolloutAborted", "aborted", "Warning");
  ASSERT_TRUE(notifier_->drain(std::chrono::seconds(20)));
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSERT_EQ(results.size(), 1u);  // given up once, not once per attempt
    EXPECT_FALSE(results[0].ok);
    EXPECT_EQ(results[0].reason, "RolloutAborted");
    EXPECT_EQ(results[0].type, "Warning");
  }
  auto c = notifier_->counts();
  EXPECT_EQ(c.failed, 1);
  EXPECT_EQ(c.retried, 2);
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(logs_.size(), 1u);
  EXPECT_NE(logs_[0].find("on-rollout-aborted to down: for prod/web failed after 3 attempt(s)"),
            std::string::npos)
      << logs_[0];
  EXPECT_EQ(namespaces_, (std::vector<std::string>{"prod"}));
}

}  // namespace
}  // namespace vane::notifications
