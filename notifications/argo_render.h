// Rendering of Argo notification templates into service requests: Slack's chat.postMessage,
// webhook requests, Teams MessageCards and e-mail messages (notifications-engine
// pkg/services/{slack,webhook,teams,email}.go payloads, Slack as its JSON API form).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "kube/http.h"
#include "notifications/argo_config.h"

namespace vane::notifications {

struct EmailMessage {
  std::string host;
  int port = 25;
  std::string username, password;
  std::string from, to, subject, body;
  bool html = false;
};

/// One request to send for one destination.
struct Delivery {
  enum class Kind { kHttp, kEmail };
  Kind kind = Kind::kHttp;
  std::string service, recipient;  // for logs
  http::ClientRequest request;     // kHttp
  EmailMessage email;              // kEmail
  bool slack_api = false;          // the answer is Slack's {"ok": bool, "error": "..."}
  bool insecure_skip_verify = false;
  int max_attempts = 4;
  std::chrono::milliseconds backoff_min{500}, backoff_max{5000};
};

/// Renders the templates (in send order; later ones override the parts earlier ones set, as
/// notifications-engine merges them) for one destination with vars (rollout, secrets, ...;
/// `recipient` is added). Zero deliveries when the templates have nothing for the service (a
/// webhook without a webhook.<name> part). Errors name the template part:
/// `template "rollout-completed" slack.attachments: not valid JSON after rendering: ...`.
Result<std::vector<Delivery>> render(const ArgoConfig& config,
                                     const std::vector<std::string>& templates,
                                     const Destination& destination, json vars);

}  // namespace vane::notifications
