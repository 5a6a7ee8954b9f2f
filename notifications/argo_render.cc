#include "notifications/argo_render.h"

#include <map>

#include "analysis/http_auth.h"

namespace vane::notifications {
namespace {

// The rendered texts of the merged templates ("" = not set).
struct Rendered {
  std::map<std::string, std::string> parts;  // "message", "slack.attachments", ...
  struct Hook {
    std::string method, path, body;
  };
  std::map<std::string, Hook> webhook;
  const std::string& get(const std::string& k) const {
    static const std::string kEmpty;
    auto it = parts.find(k);
    return it == parts.end() ? kEmpty : it->second;
  }
};

Status renderPart(const std::string& tmpl, const char* part, const Tmpl& t, const json& vars,
                  Rendered& out) {
  if (!t) return Status::ok();
  auto text = t->execute(vars);
  if (!text) {
    return Status(Code::kInvalid,
                  "template \"" + tmpl + "\" " + part + ": " + text.status().message());
  }
  out.parts[part] = std::move(*text);
  return Status::ok();
}

Status renderTemplate(const NotificationTemplate& t, const json& vars, Rendered& out) {
  const std::pair<const char*, const Tmpl*> parts[] = {
      {"message", &t.message},
      {"slack.attachments", &t.slack.attachments},
      {"slack.blocks", &t.slack.blocks},
      {"slack.username", &t.slack.username},
      {"slack.icon", &t.slack.icon},
      {"slack.groupingKey", &t.slack.grouping_key},
      {"email.subject", &t.email.subject},
      {"email.body", &t.email.body},
      {"teams.title", &t.teams.title},
      {"teams.summary", &t.teams.summary},
      {"teams.text", &t.teams.text},
      {"teams.facts", &t.teams.facts},
      {"teams.sections", &t.teams.sections},
      {"teams.potentialAction", &t.teams.potential_action},
      {"teams.themeColor", &t.teams.theme_color},
  };
  for (const auto& [name, tmpl] : parts) {
    Status st = renderPart(t.name, name, *tmpl, vars, out);
    if (!st.isOk()) return st;
  }
  for (const auto& [service, w] : t.webhook) {
    Rendered scratch;
    Status st = renderPart(t.name, "webhook.path", w.path, vars, scratch);
    if (st.isOk()) st = renderPart(t.name, "webhook.body", w.body, vars, scratch);
    if (!st.isOk()) return st;
    out.webhook[service] = {w.method, scratch.get("webhook.path"), scratch.get("webhook.body")};
  }
  return Status::ok();
}

// A rendered part that must be JSON (Slack attachments/blocks, Teams facts/sections/actions).
Status parseJson(const Rendered& r, const std::string& part, const std::string& templates,
                 json& out) {
  const std::string& text = r.get(part);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Status::ok();
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return Status(Code::kInvalid, "template " + templates + " " + part +
                                      ": not valid JSON after rendering: " + text);
  }
  out = std::move(j);
  return Status::ok();
}

Result<std::vector<Delivery>> slack(const SlackService& s, const Rendered& r, const Destination& d,
                                    const std::string& names) {
  json body = {{"channel", d.recipient}, {"text", r.get("message")}};
  json attachments, blocks;
  if (Status st = parseJson(r, "slack.attachments", names, attachments); !st.isOk()) return st;
  if (Status st = parseJson(r, "slack.blocks", names, blocks); !st.isOk()) return st;
  if (!attachments.is_null()) body["attachments"] = attachments;
  if (!blocks.is_null()) body["blocks"] = blocks;
  const std::string username =
      !r.get("slack.username").empty() ? r.get("slack.username") : s.username;
  const std::string icon = !r.get("slack.icon").empty() ? r.get("slack.icon") : s.icon;
  if (!username.empty()) body["username"] = username;
  if (!icon.empty()) body[icon.front() == ':' ? "icon_emoji" : "icon_url"] = icon;
  // slack.groupingKey (threads), deliveryPolicy and notifyBroadcast are not implemented: every
  // message is a new post (deliveryPolicy Post).
  // A subscription without recipients goes to the service's channels.
  std::vector<std::string> channels = {d.recipient};
  if (d.recipient.empty() && !s.channels.empty()) channels = s.channels;
  std::vector<Delivery> out;
  for (const auto& channel : channels) {
    Delivery del;
    del.slack_api = true;
    del.insecure_skip_verify = s.insecure_skip_verify;
    del.request.method = "POST";
    del.request.url = s.api_url + "chat.postMessage";
    del.request.headers = {{"Authorization", "Bearer " + s.token},
                           {"Content-Type", "application/json; charset=utf-8"}};
    body["channel"] = channel;
    del.request.body = body.dump();
    out.push_back(std::move(del));
  }
  return out;
}

Result<std::vector<Delivery>> webhook(const Service& s, const Rendered& r) {
  auto it = r.webhook.find(s.name);
  if (it == r.webhook.end()) return std::vector<Delivery>{};  // no webhook part: nothing to send
  Delivery del;
  del.request.method = it->second.method;
  std::string url = s.webhook.url;
  const std::string& path = it->second.path;
  if (!path.empty()) {
    if (url.back() == '/' && path.front() == '/') url.pop_back();
    if (url.back() != '/' && path.front() != '/') url += '/';
    url += path;
  }
  del.request.url = url;
  del.request.headers = s.webhook.headers;
  if (s.webhook.basic_auth) {
    del.request.headers.emplace_back(
        "Authorization", "Basic " + analysis::base64Encode(s.webhook.basic_auth->first + ":" +
                                                           s.webhook.basic_auth->second));
  }
  del.request.body = it->second.body;
  del.max_attempts = s.webhook.retry_max + 1;
  del.backoff_min = s.webhook.retry_wait_min;
  del.backoff_max = s.webhook.retry_wait_max;
  del.insecure_skip_verify = s.webhook.insecure_skip_verify;
  return std::vector<Delivery>{std::move(del)};
}

Result<std::vector<Delivery>> teams(const TeamsService& s, const Rendered& r, const Destination& d,
                                    const std::string& names) {
  auto url = s.recipient_urls.find(d.recipient);
  if (url == s.recipient_urls.end()) {
    return Status(Code::kInvalid,
                  "teams: no recipientUrls entry for recipient \"" + d.recipient + "\"");
  }
  json card = {{"@type", "MessageCard"},
               {"@context", "https://schema.org/extensions"},
               {"text", !r.get("teams.text").empty() ? r.get("teams.text") : r.get("message")}};
  if (!r.get("teams.title").empty()) card["title"] = r.get("teams.title");
  card["summary"] = !r.get("teams.summary").empty()
                        ? r.get("teams.summary")
                        : card.value("title", std::string("Argo Rollouts"));
  if (!r.get("teams.themeColor").empty()) card["themeColor"] = r.get("teams.themeColor");
  json facts, sections, actions;
  if (Status st = parseJson(r, "teams.facts", names, facts); !st.isOk()) return st;
  if (Status st = parseJson(r, "teams.sections", names, sections); !st.isOk()) return st;
  if (Status st = parseJson(r, "teams.potentialAction", names, actions); !st.isOk()) return st;
  if (!sections.is_null()) card["sections"] = sections;
  if (!facts.is_null()) {
    if (!card.contains("sections")) card["sections"] = json::array({json::object()});
    card["sections"][0]["facts"] = facts;
  }
  if (!actions.is_null()) card["potentialAction"] = actions;
  Delivery del;
  del.request.method = "POST";
  del.request.url = url->second;
  del.request.headers = {{"Content-Type", "application/json"}};
  del.request.body = card.dump();
  return std::vector<Delivery>{std::move(del)};
}

std::vector<Delivery> email(const EmailService& s, const Rendered& r, const Destination& d) {
  Delivery del;
  del.kind = Delivery::Kind::kEmail;
  del.email = {s.host,
               s.port,
               s.username,
               s.password,
               s.from,
               d.recipient,
               r.get("email.subject"),
               !r.get("email.body").empty() ? r.get("email.body") : r.get("message"),
               s.html};
  return {std::move(del)};
}

}  // namespace

Result<std::vector<Delivery>> render(const ArgoConfig& config,
                                     const std::vector<std::string>& templates,
                                     const Destination& destination, json vars) {
  auto svc = config.services.find(destination.service);
  if (svc == config.services.end()) {
    return Status(Code::kNotFound,
                  "notification service \"" + destination.service + "\" is not configured");
  }
  vars["recipient"] = destination.recipient;
  Rendered r;
  std::string names;
  for (const auto& name : templates) {
    names += (names.empty() ? "\"" : ", \"") + name + "\"";
    auto t = config.templates.find(name);
    if (t == config.templates.end()) {
      return Status(Code::kNotFound, "template \"" + name + "\" is not defined");
    }
    Status st = renderTemplate(t->second, vars, r);
    if (!st.isOk()) return st;
  }
  Result<std::vector<Delivery>> out = std::vector<Delivery>{};
  const Service& s = svc->second;
  switch (s.type) {
    case Service::Type::kSlack:
      out = slack(s.slack, r, destination, names);
      break;
    case Service::Type::kWebhook:
      out = webhook(s, r);
      break;
    case Service::Type::kTeams:
      out = teams(s.teams, r, destination, names);
      break;
    case Service::Type::kEmail:
      out = email(s.email, r, destination);
      break;
  }
  if (out) {
    for (auto& d : *out) {
      d.service = destination.service;
      d.recipient = destination.recipient;
    }
  }
  return out;
}

}  // namespace vane::notifications
