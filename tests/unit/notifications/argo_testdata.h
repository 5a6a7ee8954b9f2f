// Test configuration in Argo's notification format: the documented on-rollout-completed and
// on-rollout-aborted triggers and templates (their message, email and slack parts, as in Argo
// Rollouts' manifests/notifications), written here for the tests, plus a webhook template.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace vane::notifications::testdata {

inline std::string strategyAndContainers(const std::string& color) {
  return R"(slack:
  attachments: |
      [{
        "title": "{{ .rollout.metadata.name}}",
        "color": ")" +
         color + R"(",
        "fields": [
        {
          "title": "Strategy",
          "value": "{{if .rollout.spec.strategy.blueGreen}}BlueGreen{{end}}{{if .rollout.spec.strategy.canary}}Canary{{end}}",
          "short": true
        }
        {{range $index, $c := .rollout.spec.template.spec.containers}}
          {{if not $index}},{{end}}
          {{if $index}},{{end}}
          {
            "title": "{{$c.name}}",
            "value": "{{$c.image}}",
            "short": true
          }
        {{end}}
        ]
      }]
)";
}

/// data of argo-rollouts-notification-configmap; slack_url and webhook_url point at local
/// stand-ins, smtp_port at a local SMTP sink (0: no email service).
inline nlohmann::json configMapData(const std::string& slack_url, const std::string& webhook_url,
                                    int smtp_port = 0) {
  nlohmann::json data = {
      {"service.slack", "token: $slack-token\napiURL: " + slack_url + "\n"},
      {"service.webhook.deploys",
       "url: " + webhook_url +
           "\nheaders:\n- name: Content-Type\n  value: application/json\n"
           "- name: Authorization\n  value: Bearer $webhook-token\n"},
      {"trigger.on-rollout-completed", "- send: [rollout-completed, deploy-hook]\n"},
      {"trigger.on-rollout-aborted", "- send: [rollout-aborted, deploy-hook]\n"},
      {"template.rollout-completed",
       "message: Rollout {{.rollout.metadata.name}} has been completed.\n"
       "email:\n  subject: Rollout {{.rollout.metadata.name}} has been completed.\n" +
           strategyAndContainers("#18be52")},
      {"template.rollout-aborted",
       "message: Rollout {{.rollout.metadata.name}} has been aborted.\n"
       "email:\n  subject: Rollout {{.rollout.metadata.name}} has been aborted.\n" +
           strategyAndContainers("#E01E5A")},
      {"template.deploy-hook", R"(webhook:
  deploys:
    method: POST
    path: /rollouts/{{.rollout.metadata.namespace}}/{{.rollout.metadata.name}}
    body: |
      {"rollout": "{{.rollout.metadata.name}}", "image": "{{(index .rollout.spec.template.spec.containers 0).image}}", "phase": "{{.rollout.status.phase | default "Unknown"}}", "recipient": "{{.recipient}}"}
)"},
  };
  if (smtp_port > 0) {
    data["service.email"] =
        "host: 127.0.0.1\nport: " + std::to_string(smtp_port) + "\nfrom: rollouts@example.com\n";
  }
  return data;
}

inline nlohmann::json secret() {
  // slack-token: xoxb-test, webhook-token: s3cret (base64)
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "argo-rollouts-notification-secret"}}},
          {"data", {{"slack-token", "eG94Yi10ZXN0"}, {"webhook-token", "czNjcmV0"}}}};
}

inline nlohmann::json rollout(const nlohmann::json& annotations) {
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Rollout"},
          {"metadata",
           {{"name", "web"}, {"namespace", "prod"}, {"uid", "u-1"}, {"annotations", annotations}}},
          {"spec",
           {{"strategy", {{"canary", {{"steps", {{{"setWeight", 50}}}}}}}},
            {"template",
             {{"spec",
               {{"containers",
                 {{{"name", "web"}, {"image", "app:purple"}},
                  {{"name", "sidecar"}, {"image", "envoy:1"}}}}}}}}}},
          {"status", {{"phase", "Healthy"}}}};
}

}  // namespace vane::notifications::testdata
