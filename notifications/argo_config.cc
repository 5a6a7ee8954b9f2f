// Parsing of Argo's notification ConfigMap and Secret (notifications-engine pkg/api/config.go,
// pkg/services/*.go option names).
#include "notifications/argo_config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "kube/kubeconfig.h"
#include "notifications/yaml_json.h"

namespace vane::notifications {
namespace {

Status invalid(const std::string& field, const std::string& message) {
  return Status(Code::kInvalid, message, field);
}

std::string key(const std::string& k) { return "data[\"" + k + "\"]"; }

// $name references to Secret keys, anywhere in a string (notifications-engine replaces
// `\$[a-zA-Z0-9_.-]+` matches whose key exists in the Secret; unknown names stay as written).
std::string resolveSecrets(const std::string& s, const json& secrets) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] != '$') {
      out += s[i++];
      continue;
    }
    std::size_t j = i + 1;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' ||
                            s[j] == '-' || s[j] == '.')) {
      ++j;
    }
    std::string name = s.substr(i + 1, j - i - 1);
    auto it = secrets.find(name);
    if (!name.empty() && it != secrets.end() && it->is_string()) {
      out += it->get<std::string>();
    } else {
      out += s.substr(i, j - i);
    }
    i = j;
  }
  return out;
}

void resolveAll(json& v, const json& secrets) {
  if (v.is_string()) {
    v = resolveSecrets(v.get<std::string>(), secrets);
  } else if (v.is_object() || v.is_array()) {
    for (auto& e : v) resolveAll(e, secrets);
  }
}

std::string str(const json& o, const char* k) {
  auto it = o.find(k);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

bool flag(const json& o, const char* k) {
  auto it = o.find(k);
  if (it == o.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  return it->is_string() && it->get<std::string>() == "true";
}

Result<int> integer(const json& o, const char* k, int def, const std::string& field) {
  auto it = o.find(k);
  if (it == o.end() || it->is_null()) return def;
  if (it->is_number_integer()) return it->get<int>();
  const std::string s = it->is_string() ? it->get<std::string>() : "";
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') return invalid(field + "." + k, "expected integer");
  return static_cast<int>(v);
}

// Go durations as notifications-engine's options take them ("1s", "500ms", "2m").
Result<std::chrono::milliseconds> duration(const json& o, const char* k,
                                           std::chrono::milliseconds def,
                                           const std::string& field) {
  const std::string s = str(o, k);
  if (s.empty()) return def;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  const std::string unit = end;
  double ms = unit == "ms" ? v : unit == "s" ? v * 1000 : unit == "m" ? v * 60000 : -1;
  if (end == s.c_str() || ms < 0) return invalid(field + "." + k, "expected a duration such as 1s");
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Result<Service> parseService(const std::string& data_key, const json& o) {
  const std::string rest = data_key.substr(std::string("service.").size());
  const auto dot = rest.find('.');
  const std::string type = rest.substr(0, dot);
  Service s;
  s.name = dot == std::string::npos ? type : rest.substr(dot + 1);
  const std::string field = key(data_key);
  if (!o.is_object()) return invalid(field, "expected a YAML mapping");
  if (type == "slack") {
    s.type = Service::Type::kSlack;
    s.slack.token = str(o, "token");
    if (!str(o, "apiURL").empty()) s.slack.api_url = str(o, "apiURL");
    if (s.slack.api_url.back() != '/') s.slack.api_url += '/';
    s.slack.username = str(o, "username");
    s.slack.icon = str(o, "icon");
    s.slack.insecure_skip_verify = flag(o, "insecureSkipVerify");
    for (const auto& c : o.value("channels", json::array())) {
      if (c.is_string()) s.slack.channels.push_back(c.get<std::string>());
    }
    if (s.slack.token.empty()) return invalid(field + ".token", "Required value");
  } else if (type == "webhook") {
    s.type = Service::Type::kWebhook;
    s.webhook.url = str(o, "url");
    if (s.webhook.url.rfind("http://", 0) != 0 && s.webhook.url.rfind("https://", 0) != 0) {
      return invalid(field + ".url",
                     s.webhook.url.empty() ? "Required value" : "must be an http(s) URL");
    }
    for (const auto& h : o.value("headers", json::array())) {
      if (!h.is_object() || str(h, "name").empty()) {
        return invalid(field + ".headers", "expected a list of {name, value}");
      }
      s.webhook.headers.emplace_back(str(h, "name"), str(h, "value"));
    }
    if (o.contains("basicAuth")) {
      const json& b = o["basicAuth"];
      s.webhook.basic_auth = std::make_pair(str(b, "username"), str(b, "password"));
    }
    auto retry = integer(o, "retryMax", 3, field);
    if (!retry) return retry.status();
    s.webhook.retry_max = *retry;
    auto wmin = duration(o, "retryWaitMin", std::chrono::milliseconds(1000), field);
    auto wmax = duration(o, "retryWaitMax", std::chrono::milliseconds(5000), field);
    if (!wmin) return wmin.status();
    if (!wmax) return wmax.status();
    s.webhook.retry_wait_min = *wmin;
    s.webhook.retry_wait_max = *wmax;
    s.webhook.insecure_skip_verify = flag(o, "insecureSkipVerify");
  } else if (type == "teams") {
    s.type = Service::Type::kTeams;
    const json urls = o.value("recipientUrls", json::object());
    for (const auto& [r, u] : urls.items()) {
      if (u.is_string()) s.teams.recipient_urls[r] = u.get<std::string>();
    }
  } else if (type == "email") {
    s.type = Service::Type::kEmail;
    s.email.host = str(o, "host");
    auto port = integer(o, "port", 25, field);
    if (!port) return port.status();
    s.email.port = *port;
    s.email.from = str(o, "from");
    s.email.username = str(o, "username");
    s.email.password = str(o, "password");
    s.email.html = flag(o, "html");
    if (s.email.host.empty()) return invalid(field + ".host", "Required value");
  } else {
    return invalid(field, "Unsupported value: \"" + type +
                              "\": supported values: \"slack\", \"webhook\", \"teams\", \"email\"");
  }
  return s;
}

// Compiles o[k] (a string) as a Go template named after the template and the part.
Status compile(const json& o, const char* k, const std::string& tmpl_name, const std::string& field,
               Tmpl& out) {
  auto it = o.find(k);
  if (it == o.end() || it->is_null()) return Status::ok();
  if (!it->is_string()) return invalid(field + "." + k, "expected string");
  auto t = gotmpl::Template::parse(tmpl_name, it->get<std::string>());
  if (!t) return invalid(field + "." + k, t.status().message());
  out = std::move(*t);
  return Status::ok();
}

Result<NotificationTemplate> parseTemplate(const std::string& data_key, const json& o) {
  NotificationTemplate t;
  t.name = data_key.substr(std::string("template.").size());
  const std::string field = key(data_key);
  if (!o.is_object()) return invalid(field, "expected a YAML mapping");
  std::vector<Status> st;
  st.push_back(compile(o, "message", t.name, field, t.message));
  const json slack = o.value("slack", json::object());
  st.push_back(compile(slack, "attachments", t.name, field + ".slack", t.slack.attachments));
  st.push_back(compile(slack, "blocks", t.name, field + ".slack", t.slack.blocks));
  st.push_back(compile(slack, "username", t.name, field + ".slack", t.slack.username));
  st.push_back(compile(slack, "icon", t.name, field + ".slack", t.slack.icon));
  st.push_back(compile(slack, "groupingKey", t.name, field + ".slack", t.slack.grouping_key));
  const json email = o.value("email", json::object());
  st.push_back(compile(email, "subject", t.name, field + ".email", t.email.subject));
  st.push_back(compile(email, "body", t.name, field + ".email", t.email.body));
  const json teams = o.value("teams", json::object());
  const std::string tf = field + ".teams";
  st.push_back(compile(teams, "title", t.name, tf, t.teams.title));
  st.push_back(compile(teams, "summary", t.name, tf, t.teams.summary));
  st.push_back(compile(teams, "text", t.name, tf, t.teams.text));
  st.push_back(compile(teams, "facts", t.name, tf, t.teams.facts));
  st.push_back(compile(teams, "sections", t.name, tf, t.teams.sections));
  st.push_back(compile(teams, "potentialAction", t.name, tf, t.teams.potential_action));
  st.push_back(compile(teams, "themeColor", t.name, tf, t.teams.theme_color));
  const json hooks = o.value("webhook", json::object());
  for (const auto& [name, w] : hooks.items()) {
    const std::string wf = field + ".webhook." + name;
    WebhookTemplate wt;
    if (!str(w, "method").empty()) wt.method = str(w, "method");
    for (char& c : wt.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    st.push_back(compile(w, "path", t.name, wf, wt.path));
    st.push_back(compile(w, "body", t.name, wf, wt.body));
    t.webhook[name] = std::move(wt);
  }
  for (const Status& s : st) {
    if (!s.isOk()) return s;
  }
  return t;
}

Result<std::vector<TriggerCondition>> parseTrigger(const std::string& data_key, const json& list) {
  const std::string field = key(data_key);
  if (!list.is_array()) return invalid(field, "expected a YAML list of {when, send}");
  std::vector<TriggerCondition> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string cf = field + "[" + std::to_string(i) + "]";
    TriggerCondition c;
    c.when = str(list[i], "when");
    if (!c.when.empty()) {
      auto p = analysis::expr::Program::compile(c.when);
      if (!p) return invalid(cf + ".when", p.status().message());
      c.program = std::move(*p);
    }
    for (const auto& s : list[i].value("send", json::array())) {
      if (s.is_string()) c.send.push_back(s.get<std::string>());
    }
    if (c.send.empty()) return invalid(cf + ".send", "Required value");
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::string> stringList(const json& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  }
  return out;
}

}  // namespace

Result<ArgoConfig> parseArgoConfig(const json& configmap, const json& secret) {
  ArgoConfig cfg;
  if (secret.is_object()) {
    const json secret_data = secret.value("data", json::object());
    for (const auto& [k, v] : secret_data.items()) {
      if (!v.is_string()) continue;
      auto decoded = kube::base64Decode(v.get<std::string>());
      if (!decoded) return invalid("data." + k, "Secret value is not base64");
      cfg.secrets[k] = *decoded;
    }
  }
  const json data = configmap.value("data", json::object());
  for (const auto& [k, v] : data.items()) {
    if (!v.is_string()) return invalid(key(k), "expected string");
    const bool is_service = k.rfind("service.", 0) == 0;
    const bool is_template = k.rfind("template.", 0) == 0;
    const bool is_trigger = k.rfind("trigger.", 0) == 0;
    const bool is_defaults = k == "defaultTriggers" || k.rfind("defaultTriggers.", 0) == 0;
    if (!is_service && !is_template && !is_trigger && !is_defaults) continue;  // e.g. context
    auto doc = yamlToJson(v.get<std::string>());
    if (!doc) return invalid(key(k), doc.status().message());
    if (is_service) {
      resolveAll(*doc, cfg.secrets);
      auto s = parseService(k, *doc);
      if (!s) return s.status();
      cfg.services[s->name] = std::move(*s);
    } else if (is_template) {
      auto t = parseTemplate(k, *doc);
      if (!t) return t.status();
      cfg.templates[t->name] = std::move(*t);
    } else if (is_trigger) {
      auto t = parseTrigger(k, *doc);
      if (!t) return t.status();
      cfg.triggers[k.substr(std::string("trigger.").size())] = std::move(*t);
    } else if (k == "defaultTriggers") {
      cfg.default_triggers = stringList(*doc);
    } else {
      cfg.service_default_triggers[k.substr(std::string("defaultTriggers.").size())] =
          stringList(*doc);
    }
  }
  for (const auto& [name, conds] : cfg.triggers) {
    for (std::size_t i = 0; i < conds.size(); ++i) {
      for (const auto& t : conds[i].send) {
        if (cfg.templates.count(t) == 0) {
          return invalid(key("trigger." + name) + "[" + std::to_string(i) + "].send",
                         "template \"" + t + "\" is not defined");
        }
      }
    }
  }
  return cfg;
}

std::string triggerForReason(const std::string& reason) {
  std::string out = "on-";
  for (std::size_t i = 0; i < reason.size(); ++i) {
    const unsigned char c = reason[i];
    if (i > 0 && std::isupper(c) &&
        (std::islower(static_cast<unsigned char>(reason[i - 1])) ||
         std::isdigit(static_cast<unsigned char>(reason[i - 1])))) {
      out += '-';
    }
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

Result<std::vector<std::string>> runTrigger(const ArgoConfig& config, const std::string& trigger,
                                            const json& vars) {
  std::vector<std::string> out;
  auto it = config.triggers.find(trigger);
  if (it == config.triggers.end()) return out;
  analysis::expr::Env env;
  for (const auto& [k, v] : vars.items()) env[k] = v;
  for (std::size_t i = 0; i < it->second.size(); ++i) {
    const TriggerCondition& c = it->second[i];
    if (c.program) {
      auto ok = c.program->evalBool(env);
      if (!ok) {
        return invalid(key("trigger." + trigger) + "[" + std::to_string(i) + "].when",
                       ok.status().message());
      }
      if (!*ok) continue;
    }
    out.insert(out.end(), c.send.begin(), c.send.end());
  }
  return out;
}

}  // namespace vane::notifications
