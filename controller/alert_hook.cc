#include "controller/alert_hook.h"

#include <openssl/crypto.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <regex>

#include "kube/decode.h"

namespace vane::controller {

using nlohmann::json;

namespace {

// Labels and annotations: string to string maps; a bad entry is recorded on the decoder.
std::map<std::string, std::string> stringMap(const kube::Decoder& d, const std::string& key) {
  std::map<std::string, std::string> out;
  kube::Decoder m = d.child(key);
  if (!m.value().is_object()) return out;
  for (const auto& [k, v] : m.value().items()) {
    if (!v.is_string()) {
      m.fail(k, "expected string");
      return out;
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

std::string trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, e - b + 1));
}

bool fullMatch(const std::string& pattern, const std::string& value) {
  try {
    return std::regex_match(value, std::regex(pattern));
  } catch (const std::regex_error&) {
    return false;
  }
}

std::string annotation(const json& rollout, const char* key) {
  auto m = rollout.find("metadata");
  if (m == rollout.end() || !m->is_object()) return "";
  auto a = m->find("annotations");
  if (a == m->end() || !a->is_object()) return "";
  auto v = a->find(key);
  return v != a->end() && v->is_string() ? v->get<std::string>() : "";
}

std::string metaString(const json& rollout, const char* key) {
  auto m = rollout.find("metadata");
  if (m == rollout.end() || !m->is_object()) return "";
  auto v = m->find(key);
  return v != m->end() && v->is_string() ? v->get<std::string>() : "";
}

bool tokenMatches(const std::string& expected, const std::optional<std::string>& header) {
  if (!header) return false;
  static const std::string kPrefix = "Bearer ";
  if (header->size() < kPrefix.size() || header->compare(0, kPrefix.size(), kPrefix) != 0) {
    return false;
  }
  std::string got = header->substr(kPrefix.size());
  // Compare in constant time over the expected length; the length check leaks only the length.
  if (got.size() != expected.size()) return false;
  return CRYPTO_memcmp(got.data(), expected.data(), expected.size()) == 0;
}

}  // namespace

Result<AlertPayload> parseAlertmanagerPayload(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status(Code::kBadRequest, "request body is not valid JSON");
  if (!doc.is_object()) return Status(Code::kBadRequest, "expected a JSON object");
  kube::Decoder d(doc, "");
  AlertPayload p;
  p.version = d.string("version");
  p.status = d.string("status");
  p.receiver = d.string("receiver");
  p.group_key = d.string("groupKey");
  if (d.ok() && p.version != "4") {
    d.fail("version", "unsupported webhook version \"" + p.version + "\" (want \"4\")");
  }
  if (d.ok() && !d.has("alerts")) d.fail("alerts", "Required value");
  for (const kube::Decoder& a : d.array("alerts")) {
    if (!d.ok()) break;
    Alert alert;
    alert.status = a.string("status");
    alert.starts_at = a.string("startsAt");
    alert.fingerprint = a.string("fingerprint");
    if (a.ok() && alert.status != "firing" && alert.status != "resolved") {
      a.fail("status", "expected \"firing\" or \"resolved\", got \"" + alert.status + "\"");
    }
    alert.labels = stringMap(a, "labels");
    alert.annotations = stringMap(a, "annotations");
    p.alerts.push_back(std::move(alert));
  }
  // A malformed payload is the sender's error: 400, with the field path of the first bad field.
  if (!d.ok()) return Status(Code::kBadRequest, d.status().message(), d.status().field());
  return p;
}

bool LabelMatcher::matches(const std::map<std::string, std::string>& labels) const {
  auto it = labels.find(name);
  std::string v = it == labels.end() ? "" : it->second;
  if (op == "=") return v == value;
  if (op == "!=") return v != value;
  if (op == "=~") return fullMatch(value, v);
  if (op == "!~") return !fullMatch(value, v);
  return false;
}

Result<std::vector<LabelMatcher>> parseLabelMatchers(std::string_view text) {
  std::vector<LabelMatcher> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    std::string part =
        trim(text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos));
    pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    if (part.empty()) continue;
    std::size_t op_at = part.find_first_of("=!");
    if (op_at == std::string::npos || op_at == 0) {
      return Status(Code::kInvalid, "bad matcher \"" + part + "\" (want name=value)",
                    std::string("metadata.annotations[") + kAbortOnAlertAnnotation + "]");
    }
    LabelMatcher m;
    m.name = trim(part.substr(0, op_at));
    std::string rest = part.substr(op_at);
    for (const char* op : {"=~", "!~", "!=", "="}) {
      if (rest.rfind(op, 0) == 0) {
        m.op = op;
        break;
      }
    }
    if (m.op.empty()) {
      return Status(Code::kInvalid, "bad operator in matcher \"" + part + "\"",
                    std::string("metadata.annotations[") + kAbortOnAlertAnnotation + "]");
    }
    m.value = trim(rest.substr(m.op.size()));
    if (m.value.size() >= 2 && m.value.front() == '"' && m.value.back() == '"') {
      m.value = m.value.substr(1, m.value.size() - 2);
    }
    out.push_back(std::move(m));
  }
  if (out.empty()) {
    return Status(Code::kInvalid, "no matchers",
                  std::string("metadata.annotations[") + kAbortOnAlertAnnotation + "]");
  }
  return out;
}

bool isMidUpdate(const json& rollout) {
  auto st = rollout.find("status");
  if (st == rollout.end() || !st->is_object()) return false;
  std::string current = st->value("currentPodHash", "");
  std::string stable = st->value("stableRS", "");
  return !current.empty() && !stable.empty() && current != stable;
}

std::string describeAlert(const Alert& alert) {
  std::string out = "alert ";
  auto name = alert.labels.find("alertname");
  out += name == alert.labels.end() ? "(unnamed)" : name->second;
  out += " " + alert.status + " {";
  bool first = true;
  for (const auto& [k, v] : alert.labels) {
    if (k == "alertname") continue;
    out += (first ? "" : ", ") + k + "=" + v;
    first = false;
  }
  out += "}";
  auto summary = alert.annotations.find("summary");
  if (summary != alert.annotations.end() && !summary->second.empty()) {
    out += ": " + summary->second;
  }
  return out;
}

std::vector<AbortTarget> selectAbortTargets(
    const Alert& alert, const std::vector<std::shared_ptr<const json>>& rollouts,
    const AlertHookOptions& options) {
  std::vector<AbortTarget> out;
  if (alert.status != "firing") return out;
  auto named = alert.labels.find(options.rollout_label);
  auto named_ns = alert.labels.find(options.namespace_label);
  for (const auto& ro : rollouts) {
    if (!ro || !isMidUpdate(*ro)) continue;
    std::string name = metaString(*ro, "name"), ns = metaString(*ro, "namespace");
    bool hit = false;
    if (named != alert.labels.end() && named->second == name) {
      hit = named_ns == alert.labels.end() || named_ns->second == ns;
    }
    if (!hit) {
      std::string selector = annotation(*ro, kAbortOnAlertAnnotation);
      if (!selector.empty()) {
        auto matchers = parseLabelMatchers(selector);
        if (matchers) {
          hit = true;
          for (const auto& m : *matchers) hit = hit && m.matches(alert.labels);
        }
      }
    }
    if (hit) out.push_back({ns, name});
  }
  return out;
}

void addAlertHookIndexes(kube::Informer& rollouts) {
  rollouts.addIndex(kIndexRolloutName, [](const json& ro) -> std::vector<std::string> {
    std::string name = metaString(ro, "name");
    if (name.empty()) return {};
    return {std::move(name)};
  });
  rollouts.addIndex(kIndexAbortOnAlert, [](const json& ro) -> std::vector<std::string> {
    if (annotation(ro, kAbortOnAlertAnnotation).empty()) return {};
    return {"true"};
  });
}

std::vector<std::shared_ptr<const json>> alertCandidates(const kube::Informer& rollouts,
                                                         const Alert& alert,
                                                         const AlertHookOptions& options) {
  std::vector<std::shared_ptr<const json>> out;
  if (alert.status != "firing") return out;
  auto named = alert.labels.find(options.rollout_label);
  auto named_ns = alert.labels.find(options.namespace_label);
  if (named != alert.labels.end() && named_ns != alert.labels.end()) {
    if (auto ro = rollouts.get(named_ns->second, named->second)) out.push_back(std::move(ro));
  } else if (named != alert.labels.end()) {
    out = rollouts.byIndex(kIndexRolloutName, named->second);
  }
  for (auto& ro : rollouts.byIndex(kIndexAbortOnAlert, "true")) {
    const std::string key = metaString(*ro, "namespace") + "/" + metaString(*ro, "name");
    bool seen = false;
    for (const auto& o : out) {
      seen = seen || metaString(*o, "namespace") + "/" + metaString(*o, "name") == key;
    }
    if (!seen) out.push_back(std::move(ro));
  }
  return out;
}

AlertHook::AlertHook(kube::Client& client, RolloutLister list_rollouts, AlertHookOptions options,
                     prometheus::Registry* registry)
    : client_(client), list_rollouts_(std::move(list_rollouts)), options_(std::move(options)) {
  if (registry != nullptr) {
    requests_ = &prometheus::BuildCounter()
                     .Name("vane_alert_hook_requests_total")
                     .Help("Alertmanager webhook requests by HTTP status")
                     .Register(*registry);
  }
}

http::Response AlertHook::respond(int status, const std::string& message) {
  if (requests_ != nullptr) requests_->Add({{"code", std::to_string(status)}}).Increment();
  json body = {{"status", status < 300 ? "ok" : "error"}, {"message", message}};
  return http::Response::json(status, body.dump());
}

Status AlertHook::abortRollout(const AbortTarget& target, const Alert& alert) {
  // The reason first, so that the controller's abort message can name the alert.
  json meta = {{"metadata",
                {{"annotations",
                  {{kAbortReasonAnnotation, describeAlert(alert)},
                   {kAbortAlertFingerprintAnnotation, alert.fingerprint}}}}}};
  auto r1 = client_.patch(kube::resources::kRollouts, target.namespace_, target.name,
                          kube::PatchType::kMerge, meta);
  if (!r1) return r1.status();
  json abort = {{"status", {{"abort", true}}}};
  auto r2 = client_.patch(kube::resources::kRollouts, target.namespace_, target.name,
                          kube::PatchType::kMerge, abort, "status");
  return r2.status();
}

http::Response AlertHook::handle(const http::Request& request) {
  if (request.method != "POST") return respond(405, "only POST is accepted");
  if (!options_.token.empty() && !tokenMatches(options_.token, request.header("Authorization"))) {
    return respond(401, "missing or wrong bearer token");
  }
  if (request.body.size() > kAlertHookMaxBody) return respond(413, "body over 1 MiB");
  auto payload = parseAlertmanagerPayload(request.body);
  if (!payload) return respond(400, "invalid Alertmanager payload: " + payload.status().toString());

  std::vector<std::string> aborted, failed;
  for (const Alert& alert : payload->alerts) {
    if (alert.status != "firing") continue;
    for (const AbortTarget& t : selectAbortTargets(alert, list_rollouts_(alert), options_)) {
      std::string key =
          alert.fingerprint + "/" + alert.starts_at + "/" + t.namespace_ + "/" + t.name;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (handled_.count(key) != 0) continue;  // a repeated notification does nothing more
      }
      Status s = abortRollout(t, alert);
      if (s.isOk() || s.code() == Code::kNotFound) {
        std::lock_guard<std::mutex> lock(mu_);
        handled_.insert(key);
        if (s.isOk()) aborted.push_back(t.namespace_ + "/" + t.name);
      } else {
        failed.push_back(t.namespace_ + "/" + t.name + ": " + s.toString());
      }
    }
  }
  if (!failed.empty()) {
    std::string msg = "abort not persisted for";
    for (const auto& f : failed) msg += " " + f + ";";
    return respond(500, msg);
  }
  std::string msg = aborted.empty() ? "no rollout to abort" : "aborted";
  for (const auto& a : aborted) msg += " " + a;
  return respond(200, msg);
}

}  // namespace vane::controller
