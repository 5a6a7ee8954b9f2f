// Argo's notification configuration: parsing, subscriptions, triggers and rendering.
#include "notifications/argo_config.h"

#include <gtest/gtest.h>

#include "argo_testdata.h"
#include "notifications/argo_render.h"

namespace vane::notifications {
namespace {

json configMap(json data) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"data", std::move(data)}};
}

ArgoConfig parsed(const json& data, const json& secret = testdata::secret()) {
  auto cfg = parseArgoConfig(configMap(data), secret);
  EXPECT_TRUE(cfg.ok()) << cfg.status().toString();
  return cfg ? std::move(*cfg) : ArgoConfig{};
}

TEST(ArgoConfig, ParsesServicesTemplatesTriggersAndSecretRefs) {
  ArgoConfig cfg = parsed(testdata::configMapData("http://127.0.0.1:1/api", "http://h:2", 25));
  ASSERT_EQ(cfg.services.count("slack"), 1u);
  EXPECT_EQ(cfg.services["slack"].slack.token, "xoxb-test");
  EXPECT_EQ(cfg.services["slack"].slack.api_url, "http://127.0.0.1:1/api/");
  ASSERT_EQ(cfg.services.count("deploys"), 1u);
  EXPECT_EQ(cfg.services["deploys"].type, Service::Type::kWebhook);
  ASSERT_EQ(cfg.services["deploys"].webhook.headers.size(), 2u);
  EXPECT_EQ(cfg.services["deploys"].webhook.headers[1].second, "Bearer s3cret");
  EXPECT_EQ(cfg.services["email"].email.port, 25);
  EXPECT_EQ(cfg.templates.size(), 3u);
  EXPECT_EQ(cfg.triggers["on-rollout-completed"][0].send,
            (std::vector<std::string>{"rollout-completed", "deploy-hook"}));
  EXPECT_EQ(cfg.secrets["webhook-token"], "s3cret");
}

TEST(ArgoConfig, ErrorsNameTheKeyAndTemplatePosition) {
  auto bad_tmpl =
      parseArgoConfig(configMap({{"template.x", "message: hello {{.a | nosuch}}\n"}}), json());
  ASSERT_FALSE(bad_tmpl.ok());
  EXPECT_EQ(bad_tmpl.status().toString(),
            "data[\"template.x\"].message: template: x:1:14: function \"nosuch\" not defined");
  auto bad_when =
      parseArgoConfig(configMap({{"template.t", "message: m"},
                                 {"trigger.on-x", "- when: rollout.a ==\n  send: [t]"}}),
                      json());
  ASSERT_FALSE(bad_when.ok());
  EXPECT_EQ(bad_when.status().field(), "data[\"trigger.on-x\"][0].when");
  auto missing = parseArgoConfig(configMap({{"trigger.on-x", "- send: [nope]"}}), json());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().toString(),
            "data[\"trigger.on-x\"][0].send: template \"nope\" is not defined");
  auto svc = parseArgoConfig(configMap({{"service.pigeon", "x: 1"}}), json());
  ASSERT_FALSE(svc.ok());
  EXPECT_EQ(svc.status().field(), "data[\"service.pigeon\"]");
  auto token = parseArgoConfig(configMap({{"service.slack", "token: $absent"}}), json());
  ASSERT_TRUE(token.ok());  // an unknown $ref stays as written, as notifications-engine does
  EXPECT_EQ(token->services["slack"].slack.token, "$absent");
}

TEST(ArgoConfig, TriggerForReasonAsArgo) {
  EXPECT_EQ(triggerForReason("RolloutCompleted"), "on-rollout-completed");
  EXPECT_EQ(triggerForReason("RolloutStepCompleted"), "on-rollout-step-completed");
  EXPECT_EQ(triggerForReason("ScalingReplicaSet"), "on-scaling-replica-set");
  EXPECT_EQ(triggerForReason("AnalysisRunFailed"), "on-analysis-run-failed");
  EXPECT_EQ(triggerForReason("RolloutAborted"), "on-rollout-aborted");
}

TEST(ArgoConfig, SubscriptionsFromAnnotationsAndDefaultTriggers) {
  json data = {{"defaultTriggers", "- on-rollout-completed\n- on-rollout-aborted\n"},
               {"defaultTriggers.teams", "- on-rollout-paused\n"}};
  ArgoConfig cfg = parsed(data, json());
  json ann = {{"notifications.argoproj.io/subscribe.on-rollout-step-completed.slack", "a; b"},
              {"notifications.argoproj.io/subscribe.slack", "ops"},
              {"notifications.argoproj.io/subscribe.teams", "t1"},
              {"notifications.argoproj.io/subscribe.on-rollout-aborted.deploys", ""},
              {"notifications.argoproj.io/subscriptions",
               "- trigger: [on-analysis-run-failed]\n  destinations:\n  - service: email\n"
               "    recipients: [x@example.com]\n"},
              {"unrelated", "x"}};
  auto subs = subscriptions(ann, cfg);
  using D = std::vector<Destination>;
  EXPECT_EQ(subs["on-rollout-step-completed"], (D{{"slack", "a"}, {"slack", "b"}}));
  EXPECT_EQ(subs["on-rollout-completed"], (D{{"slack", "ops"}}));
  EXPECT_EQ(subs["on-rollout-aborted"], (D{{"deploys", ""}, {"slack", "ops"}}));
  EXPECT_EQ(subs["on-rollout-paused"], (D{{"teams", "t1"}}));
  EXPECT_EQ(subs["on-analysis-run-failed"], (D{{"email", "x@example.com"}}));
}

TEST(ArgoConfig, WhenConditionsUseTheExpressionLanguageWithRolloutBound) {
  json data = {{"template.purple", "message: Rollout {{.rollout.metadata.name}} has purple image"},
               {"template.always", "message: always"},
               {"trigger.on-purple",
                "- send: [purple]\n  when: rollout.spec.template.spec.containers[0].image == "
                "'app:purple'\n- send: [always]\n"},
               {"trigger.on-red",
                "- send: [purple]\n  when: rollout.spec.template.spec.containers[0].image == "
                "'app:red'\n"},
               {"trigger.on-broken", "- send: [purple]\n  when: rollout.status.phase > 1\n"}};
  ArgoConfig cfg = parsed(data, json());
  json vars = {{"rollout", testdata::rollout(json::object())}};
  auto purple = runTrigger(cfg, "on-purple", vars);
  ASSERT_TRUE(purple.ok()) << purple.status().toString();
  EXPECT_EQ(*purple, (std::vector<std::string>{"purple", "always"}));
  auto red = runTrigger(cfg, "on-red", vars);
  ASSERT_TRUE(red.ok()) << red.status().toString();
  EXPECT_TRUE(red->empty());
  auto broken = runTrigger(cfg, "on-broken", vars);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().field(), "data[\"trigger.on-broken\"][0].when");
  EXPECT_TRUE(runTrigger(cfg, "on-unknown", vars)->empty());
}

TEST(ArgoRender, SlackWebhookAndEmailPayloadsFromArgoTemplates) {
  ArgoConfig cfg = parsed(testdata::configMapData("http://127.0.0.1:1/api", "http://h:2/", 25));
  json vars = {{"rollout", testdata::rollout(json::object())}};
  const std::vector<std::string> send = {"rollout-completed", "deploy-hook"};

  auto slack = render(cfg, send, {"slack", "#ops"}, vars);
  ASSERT_TRUE(slack.ok()) << slack.status().toString();
  ASSERT_EQ(slack->size(), 1u);
  const http::ClientRequest& sr = (*slack)[0].request;
  EXPECT_EQ(sr.url, "http://127.0.0.1:1/api/chat.postMessage");
  EXPECT_EQ(http::findHeader(sr.headers, "Authorization").value_or(""), "Bearer xoxb-test");
  json body = json::parse(sr.body);
  EXPECT_EQ(body["channel"], "#ops");
  EXPECT_EQ(body["text"], "Rollout web has been completed.");
  EXPECT_EQ(body["attachments"][0]["color"], "#18be52");
  EXPECT_EQ(body["attachments"][0]["fields"][0]["value"], "Canary");
  EXPECT_EQ(body["attachments"][0]["fields"][2]["value"], "envoy:1");

  auto hook = render(cfg, send, {"deploys", ""}, vars);
  ASSERT_TRUE(hook.ok()) << hook.status().toString();
  ASSERT_EQ(hook->size(), 1u);
  const http::ClientRequest& hr = (*hook)[0].request;
  EXPECT_EQ(hr.method, "POST");
  EXPECT_EQ(hr.url, "http://h:2/rollouts/prod/web");
  EXPECT_EQ(
      json::parse(hr.body),
      (json{{"rollout", "web"}, {"image", "app:purple"}, {"phase", "Healthy"}, {"recipient", ""}}));
  EXPECT_EQ((*hook)[0].max_attempts, 4);  // retryMax 3 (default) + the first attempt

  auto mail = render(cfg, send, {"email", "dev@example.com"}, vars);
  ASSERT_TRUE(mail.ok()) << mail.status().toString();
  ASSERT_EQ(mail->size(), 1u);
  EXPECT_EQ((*mail)[0].kind, Delivery::Kind::kEmail);
  EXPECT_EQ((*mail)[0].email.subject, "Rollout web has been completed.");
  EXPECT_EQ((*mail)[0].email.body, "Rollout web has been completed.");
  EXPECT_EQ((*mail)[0].email.to, "dev@example.com");

  // A template without a webhook part sends nothing to a webhook service.
  auto none = render(cfg, {"rollout-completed"}, {"deploys", ""}, vars);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(render(cfg, send, {"pagerduty", "x"}, vars).status().code(), Code::kNotFound);
}

TEST(ArgoRender, InvalidJsonAfterRenderingNamesTheTemplatePart) {
  ArgoConfig cfg = parsed({{"service.slack", "token: t"},
                           {"template.bad", "slack:\n  attachments: '[{\"title\": {{.x}}}]'\n"}},
                          json());
  auto r = render(cfg, {"bad"}, {"slack", "c"}, json{{"x", "unquoted"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "template \"bad\" slack.attachments: not valid JSON after rendering: "
            "[{\"title\": unquoted}]");
}

}  // namespace
}  // namespace vane::notifications

namespace vane::notifications {
namespace {

TEST(ArgoRender, TeamsMessageCardToTheRecipientUrl) {
  ArgoConfig cfg =
      parsed({{"service.teams", "recipientUrls:\n  ops: http://teams.local/hook/$teams-id\n"},
              {"template.done",
               "message: Rollout {{.rollout.metadata.name}} done\nteams:\n  title: Done\n"
               "  themeColor: \"#000080\"\n  facts: |\n    [{\"name\": \"Image\", \"value\": "
               "\"{{(index .rollout.spec.template.spec.containers 0).image}}\"}]\n"}},
             {{"data", {{"teams-id", "YWJj"}}}});
  auto r = render(cfg, {"done"}, {"teams", "ops"}, {{"rollout", testdata::rollout({})}});
  ASSERT_TRUE(r.ok()) << r.status().toString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].request.url, "http://teams.local/hook/abc");
  json card = json::parse((*r)[0].request.body);
  EXPECT_EQ(card["@type"], "MessageCard");
  EXPECT_EQ(card["title"], "Done");
  EXPECT_EQ(card["text"], "Rollout web done");
  EXPECT_EQ(card["themeColor"], "#000080");
  EXPECT_EQ(card["sections"][0]["facts"][0]["value"], "app:purple");
  auto unknown = render(cfg, {"done"}, {"teams", "nobody"}, {{"rollout", testdata::rollout({})}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "teams: no recipientUrls entry for recipient \"nobody\"");
}

}  // namespace
}  // namespace vane::notifications
