#include "controller/notifications.h"

#include <gtest/gtest.h>

namespace vane::controller {
namespace {

using nlohmann::json;

json configMap(const std::string& webhooks) {
  return {{"kind", "ConfigMap"},
          {"metadata", {{"name", kNotificationsConfigMap}}},
          {"data", {{"webhooks", webhooks}}}};
}

NotificationEvent aborted() {
  NotificationEvent e;
  e.rollout = "checkout";
  e.namespace_ = "shop";
  e.reason = "RolloutAborted";
  e.message = "metric \"error-rate\" said \"no\"";
  e.revision = "3";
  e.phase = "Degraded";
  e.type = "Warning";
  e.time = std::chrono::system_clock::from_time_t(1795545080);
  return e;
}

TEST(Notifications, TriggerNamesFollowArgo) {
  EXPECT_EQ(triggerForReason("RolloutAborted"), "on-rollout-aborted");
  EXPECT_EQ(triggerForReason("RolloutStepCompleted"), "on-rollout-step-completed");
  EXPECT_EQ(triggerForReason("AnalysisRunFailed"), "on-analysis-run-failed");
}

TEST(Notifications, ParsesYamlList) {
  auto hooks = parseNotificationConfig(configMap(R"(
- name: ops
  url: http://127.0.0.1:9/hook
  headers: {Authorization: "Bearer x"}
  events: [on-rollout-aborted]
- name: chat
  url: https://chat.example/hook
  preset: slack
)"));
  ASSERT_TRUE(hooks.ok()) << hooks.status().toString();
  ASSERT_EQ(hooks->size(), 2u);
  EXPECT_EQ((*hooks)[0].headers[0].second, "Bearer x");
  EXPECT_EQ((*hooks)[0].events, std::vector<std::string>{"on-rollout-aborted"});
  EXPECT_EQ((*hooks)[1].preset, "slack");
}

TEST(Notifications, ErrorsNameTheField) {
  EXPECT_EQ(parseNotificationConfig(configMap("- name: a\n")).status().toString(),
            "data.webhooks[0].url: Required value");
  EXPECT_EQ(parseNotificationConfig(configMap("- url: http://x\n")).status().field(),
            "data.webhooks[0].name");
  EXPECT_EQ(parseNotificationConfig(configMap("- {name: a, url: 'ftp://x'}")).status().field(),
            "data.webhooks[0].url");
  EXPECT_EQ(parseNotificationConfig(configMap("- {name: a, url: 'http://x', preset: teams}"))
                .status()
                .field(),
            "data.webhooks[0].preset");
  EXPECT_EQ(parseNotificationConfig(configMap("{a: 1}")).status().field(), "data.webhooks");
  EXPECT_TRUE(parseNotificationConfig(json{{"data", json::object()}})->empty());
}

TEST(Notifications, NestedErrorsNameTheFullPath) {
  EXPECT_EQ(parseNotificationConfig(configMap("- {name: a, url: 'http://x', headers: {X-A: [1]}}"))
                .status()
                .toString(),
            "data.webhooks[0].headers.X-A: expected string");
  EXPECT_EQ(parseNotificationConfig(
                configMap("- {name: a, url: 'http://x'}\n- {name: b, url: 'http://y', "
                          "events: [on-rollout-aborted, {x: 1}]}"))
                .status()
                .toString(),
            "data.webhooks[1].events[1]: expected string");
  EXPECT_EQ(parseNotificationConfig(configMap("- {name: a, url: 'http://x', headers: [1]}"))
                .status()
                .field(),
            "data.webhooks[0].headers");
  EXPECT_EQ(parseNotificationConfig(configMap("- just-a-string")).status().field(),
            "data.webhooks[0]");
  EXPECT_EQ(parseNotificationConfig(json{{"data", {{"webhooks", 3}}}}).status().field(),
            "data.webhooks");
  EXPECT_TRUE(parseNotificationConfig(json{{"kind", "ConfigMap"}})->empty());
  EXPECT_EQ(parseNotificationConfig(configMap("- {name: a, url: 'http://x'}\n"
                                              "- {name: a, url: 'http://y'}"))
                .status()
                .toString(),
            "data.webhooks[1].name: Duplicate value: \"a\"");
}

TEST(Notifications, RendersTemplatesWithJsonEscaping) {
  WebhookConfig w;
  w.body_template = R"({"text":"{{rollout}} {{ event }}: {{message}}","unknown":"{{nope}}"})";
  json body = json::parse(renderNotification(w, aborted()));
  EXPECT_EQ(body["text"], "checkout on-rollout-aborted: metric \"error-rate\" said \"no\"");
  EXPECT_EQ(body["unknown"], "{{nope}}");
  w.body_template = "plain {{rollout}} \"{{revision}}\"";
  EXPECT_EQ(renderNotification(w, aborted()), "plain checkout \"3\"");
}

TEST(Notifications, SlackPresetAndDefaultBody) {
  WebhookConfig slack;
  slack.preset = "slack";
  json s = json::parse(renderNotification(slack, aborted()));
  EXPECT_EQ(s["text"],
            ":warning: Rollout shop/checkout: RolloutAborted: metric \"error-rate\" said \"no\"");
  WebhookConfig plain;
  json d = json::parse(renderNotification(plain, aborted()));
  EXPECT_EQ(d["event"], "on-rollout-aborted");
  EXPECT_EQ(d["time"], "2026-11-24T18:31:20Z");
  EXPECT_EQ(d["phase"], "Degraded");
}

}  // namespace
}  // namespace vane::controller
