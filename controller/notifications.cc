#include "controller/notifications.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <ctime>

#include "base/constants.h"
#include "base/time.h"
#include "kube/decode.h"

namespace vane::controller {

using nlohmann::json;

namespace {

// yaml-cpp node -> json (scalars stay strings except for plain true/false/numbers where obvious).
json yamlToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(yamlToJson(e));
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = yamlToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar:
      return n.as<std::string>();
    default:
      return nullptr;
  }
}

Result<json> parseWebhookList(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_discarded()) return j;
  try {
    // Single document only: LoadAll hangs on some inputs in yaml-cpp 0.7.
    return yamlToJson(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    return Status(Code::kInvalid, std::string("not valid YAML or JSON: ") + e.what(),
                  "data.webhooks");
  }
}

// A list of strings (the decoder's arrays hold objects); a bad element is recorded on d.
std::vector<std::string> stringList(const kube::Decoder& d, const std::string& key) {
  std::vector<std::string> out;
  if (!d.has(key)) return out;
  const json& list = d.value()[key];
  if (!list.is_array()) {
    d.fail(key, "expected array");
    return out;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string()) {
      d.fail(key + "[" + std::to_string(i) + "]", "expected string");
      return out;
    }
    out.push_back(list[i].get<std::string>());
  }
  return out;
}

std::string summary(const NotificationEvent& e) {
  std::string s = "Rollout " + e.namespace_ + "/" + e.rollout + ": " + e.reason;
  if (!e.message.empty()) s += ": " + e.message;
  return s;
}

std::map<std::string, std::string> variables(const NotificationEvent& e) {
  return {{"rollout", e.rollout},
          {"namespace", e.namespace_},
          {"event", triggerForReason(e.reason)},
          {"reason", e.reason},
          {"message", e.message},
          {"revision", e.revision},
          {"phase", e.phase},
          {"time", base::formatRfc3339(e.time)},
          {"summary", summary(e)},
          {"type", e.type}};
}

std::string substitute(const std::string& tmpl, const std::map<std::string, std::string>& vars,
                       bool json_escape) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    std::size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) break;
    std::size_t close = tmpl.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(tmpl, pos, open - pos);
    std::string name = tmpl.substr(open + 2, close - open - 2);
    name.erase(0, name.find_first_not_of(" \t."));
    name.erase(name.find_last_not_of(" \t") + 1);
    auto it = vars.find(name);
    if (it == vars.end()) {
      out.append(tmpl, open, close + 2 - open);  // unknown variables are left as written
    } else if (json_escape) {
      std::string quoted = json(it->second).dump();
      out += quoted.substr(1, quoted.size() - 2);
    } else {
      out += it->second;
    }
    pos = close + 2;
  }
  out.append(tmpl, pos, std::string::npos);
  return out;
}

}  // namespace

std::string triggerForReason(const std::string& reason) {
  std::string out = "on-";
  for (std::size_t i = 0; i < reason.size(); ++i) {
    char c = reason[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (i > 0) out += '-';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::vector<WebhookConfig>> parseNotificationConfig(const json& configmap) {
  std::vector<WebhookConfig> out;
  kube::Decoder data = kube::Decoder(configmap, "").child("data");
  auto raw = data.optString("webhooks");
  if (!data.ok()) return data.status();
  if (!raw) return out;
  auto list = parseWebhookList(*raw);
  if (!list) return list.status();
  if (list->is_null()) return out;
  // The list decoded under its ConfigMap path, so that errors read "data.webhooks[1].url: ...".
  const json doc = {{"webhooks", std::move(*list)}};
  kube::Decoder d(doc, "data");
  for (const kube::Decoder& h : d.array("webhooks")) {
    if (!d.ok()) break;
    WebhookConfig w;
    w.name = h.requiredString("name");
    w.url = h.requiredString("url");
    w.preset = h.string("preset");
    w.body_template = h.string("template");
    if (h.ok() && w.name.empty()) h.fail("name", "Required value");
    for (const auto& seen : out) {
      if (h.ok() && seen.name == w.name) h.fail("name", "Duplicate value: \"" + w.name + "\"");
    }
    if (h.ok() && w.url.rfind("http://", 0) != 0 && w.url.rfind("https://", 0) != 0) {
      h.fail("url", w.url.empty() ? "Required value" : "must be an http(s) URL");
    }
    if (h.ok() && !w.preset.empty() && w.preset != "slack") {
      h.fail("preset", "Unsupported value: \"" + w.preset + "\": supported values: \"slack\"");
    }
    kube::Decoder headers = h.child("headers");
    for (const auto& [k, v] : headers.value().items()) {
      if (!v.is_string()) {
        headers.fail(k, "expected string");
        break;
      }
      w.headers.emplace_back(k, v.get<std::string>());
    }
    w.events = stringList(h, "events");
    out.push_back(std::move(w));
  }
  if (!d.ok()) return d.status();
  return out;
}

std::string renderNotification(const WebhookConfig& hook, const NotificationEvent& event) {
  auto vars = variables(event);
  if (!hook.body_template.empty()) {
    bool is_json = hook.body_template.find_first_not_of(" \t\n") != std::string::npos &&
                   (hook.body_template[hook.body_template.find_first_not_of(" \t\n")] == '{' ||
                    hook.body_template[hook.body_template.find_first_not_of(" \t\n")] == '[');
    return substitute(hook.body_template, vars, is_json);
  }
  if (hook.preset == "slack") {
    std::string icon = event.type == "Warning" ? ":warning: " : ":white_check_mark: ";
    return json{{"text", icon + vars["summary"]}}.dump();
  }
  json body;
  for (const auto& [k, v] : vars) body[k] = v;
  return body.dump();
}

Notifier::Notifier(std::unique_ptr<http::Client> client, NotifierOptions options,
                   prometheus::Registry* registry)
    : client_(std::move(client)), options_(options) {
  if (registry != nullptr) {
    deliveries_ = &prometheus::BuildCounter()
                       .Name("vane_notifications_total")
                       .Help("Outbound notifications by result (sent, failed, dropped, retried)")
                       .Register(*registry);
  }
  worker_ = std::thread([this] { run(); });
}

Notifier::~Notifier() { stop(); }

void Notifier::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Notifier::count(const std::string& result) {
  if (deliveries_ != nullptr) deliveries_->Add({{"result", result}}).Increment();
}

void Notifier::configure(std::vector<WebhookConfig> hooks) {
  std::lock_guard<std::mutex> lock(mu_);
  hooks_ = std::move(hooks);
}

void Notifier::notify(const NotificationEvent& event) {
  std::string trigger = triggerForReason(event.reason);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& h : hooks_) {
    bool wanted = h.events.empty();
    for (const auto& e : h.events) wanted = wanted || e == trigger;
    if (!wanted) continue;
    if (queue_.size() >= options_.max_queue) {
      count("dropped");
      continue;
    }
    queue_.push_back({h, renderNotification(h, event)});
  }
  cv_.notify_all();
}

bool Notifier::drain(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return queue_.empty() && !busy_; });
}

void Notifier::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    http::ClientRequest req;
    req.method = "POST";
    req.url = job.hook.url;
    req.headers = job.hook.headers;
    if (!http::findHeader(req.headers, "Content-Type")) {
      req.headers.emplace_back("Content-Type", "application/json");
    }
    req.body = job.body;
    req.timeout = std::chrono::seconds(10);
    auto backoff = options_.initial_backoff;
    bool sent = false;
    for (int attempt = 1; attempt <= options_.max_attempts && !sent; ++attempt) {
      auto res = client_->send(req);
      sent = res.ok() && res->status >= 200 && res->status < 300;
      if (sent) break;
      bool retryable = !res.ok() || res->status >= 500 || res->status == 429;
      if (!retryable || attempt == options_.max_attempts) break;
      count("retried");
      std::unique_lock<std::mutex> wait_lock(mu_);
      if (cv_.wait_for(wait_lock, backoff, [&] { return stopping_; })) break;
      backoff *= 2;
    }
    count(sent ? "sent" : "failed");
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

bool NotifyingEventRecorder::event(const json& object, const std::string& type,
                                   const std::string& reason, const std::string& message) {
  const json& meta = object.value("metadata", json::object());
  std::string ns = meta.value("namespace", ""), name = meta.value("name", "");
  if (object.value("kind", "") == "Rollout") {
    if (counter_) counter_(ns, name, type, reason);
    if (notifier_ != nullptr) {
      NotificationEvent e;
      e.rollout = name;
      e.namespace_ = ns;
      e.reason = reason;
      e.message = message;
      e.type = type;
      const json& ann = meta.value("annotations", json::object());
      e.revision = ann.value(base::kAnnotationRevision, "");
      e.phase = object.value("status", json::object()).value("phase", "");
      notifier_->notify(e);
    }
    if (argo_ != nullptr) argo_->notify(object, reason, message, type);
  }
  return inner_.event(object, type, reason, message);
}

}  // namespace vane::controller
