// Argo Rollouts' notification configuration, unchanged (argoproj/notifications-engine pkg/api
// config.go as Argo Rollouts ships it in manifests/notifications): the ConfigMap
// argo-rollouts-notification-configmap and the Secret argo-rollouts-notification-secret.
//
//   data:
//     service.slack: |                 # token, apiURL, username, icon, channels
//       token: $slack-token            # $key: a key of the Secret
//     service.webhook.<name>: |        # url, headers [{name, value}], basicAuth, retryMax, ...
//     service.teams: |                 # recipientUrls: {<recipient>: <incoming webhook url>}
//     service.email: |                 # host, port, from, username, password, html
//     template.<name>: |               # message, email {subject, body}, slack {attachments,
//       message: ...                   #   blocks, username, icon}, webhook {<name>: {method,
//                                      #   path, body}}, teams {title, summary, text, facts,
//                                      #   sections, potentialAction, themeColor}
//     trigger.<name>: |                # [{when: <expr>, send: [<template>, ...]}]
//     defaultTriggers: |               # triggers of subscriptions that name none
//     defaultTriggers.<service>: |
//
// Every text of a template is a Go template (notifications/gotemplate.h), compiled when the
// ConfigMap is parsed, so that a bad template is reported then, by key and position.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/expr.h"
#include "kube/http.h"
#include "kube/status.h"
#include "notifications/gotemplate.h"

namespace vane::notifications {

using nlohmann::json;

inline constexpr const char* kArgoConfigMap = "argo-rollouts-notification-configmap";
inline constexpr const char* kArgoSecret = "argo-rollouts-notification-secret";
inline constexpr const char* kSubscribePrefix = "notifications.argoproj.io/subscribe.";
inline constexpr const char* kSubscriptionsAnnotation = "notifications.argoproj.io/subscriptions";

struct SlackService {
  std::string token;
  std::string api_url = "https://slack.com/api/";  // chat.postMessage is appended
  std::string username, icon;
  std::vector<std::string> channels;
  bool insecure_skip_verify = false;
};

struct WebhookService {
  std::string url;
  http::Headers headers;
  std::optional<std::pair<std::string, std::string>> basic_auth;
  int retry_max = 3;
  std::chrono::milliseconds retry_wait_min{1000}, retry_wait_max{5000};
  bool insecure_skip_verify = false;
};

struct TeamsService {
  std::map<std::string, std::string> recipient_urls;
};

struct EmailService {
  std::string host;
  int port = 25;
  std::string from, username, password;
  bool html = false;
};

/// A service.<type> or service.<type>.<name> entry; `name` is what subscriptions name: the type
/// ("slack") or the custom name ("service.webhook.github" -> "github").
struct Service {
  enum class Type { kSlack, kWebhook, kTeams, kEmail };
  Type type = Type::kWebhook;
  std::string name;
  SlackService slack;
  WebhookService webhook;
  TeamsService teams;
  EmailService email;
};

using Tmpl = std::optional<gotmpl::Template>;

struct WebhookTemplate {
  std::string method = "GET";
  Tmpl path, body;
};

struct NotificationTemplate {
  std::string name;
  Tmpl message;
  struct {
    Tmpl attachments, blocks, username, icon, grouping_key;
  } slack;
  struct {
    Tmpl subject, body;
  } email;
  std::map<std::string, WebhookTemplate> webhook;  // by webhook service name
  struct {
    Tmpl title, summary, text, facts, sections, potential_action, theme_color;
  } teams;
};

struct TriggerCondition {
  std::string when;                                // empty: always
  std::optional<analysis::expr::Program> program;  // compiled `when`
  std::vector<std::string> send;                   // template names
};

struct ArgoConfig {
  std::map<std::string, Service> services;  // by subscription name
  std::map<std::string, NotificationTemplate> templates;
  std::map<std::string, std::vector<TriggerCondition>> triggers;
  std::vector<std::string> default_triggers;
  std::map<std::string, std::vector<std::string>> service_default_triggers;
  json secrets = json::object();  // the Secret's data, decoded, for .secrets
};

/// Parses the ConfigMap and the Secret (whole objects; secret may be null: no $refs resolve).
/// Errors name the key and, for templates, the template and position:
/// `data["template.x"].message: template: x:1:7: function "foo" not defined`.
Result<ArgoConfig> parseArgoConfig(const json& configmap, const json& secret);

/// One destination of a trigger: service name and recipient ("" for webhooks).
struct Destination {
  std::string service, recipient;
  bool operator<(const Destination& o) const {
    return std::tie(service, recipient) < std::tie(o.service, o.recipient);
  }
  bool operator==(const Destination& o) const {
    return service == o.service && recipient == o.recipient;
  }
};

/// The destinations per trigger from an object's annotations
/// (notifications.argoproj.io/subscribe.<trigger>.<service>: r1;r2, subscribe.<service> with the
/// default triggers, and the notifications.argoproj.io/subscriptions YAML list).
std::map<std::string, std::vector<Destination>> subscriptions(const json& annotations,
                                                              const ArgoConfig& config);

/// Argo's utils/record/record.go translateReasonToTrigger: a dash between a lower-case letter or
/// digit and an upper-case letter, lower-cased, "on-" prefixed ("RolloutCompleted" ->
/// "on-rollout-completed", "ScalingReplicaSet" -> "on-scaling-replica-set").
std::string triggerForReason(const std::string& reason);

/// The templates to send for trigger on vars (the `when` of each condition evaluated with the
/// variables bound, e.g. rollout); a failed condition is an error naming the trigger.
Result<std::vector<std::string>> runTrigger(const ArgoConfig& config, const std::string& trigger,
                                            const json& vars);

}  // namespace vane::notifications
