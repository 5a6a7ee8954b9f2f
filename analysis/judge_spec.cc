// Decoding of the vane.dev/judge plugin configuration (see judge_provider.h): Argo's plugin
// field with Argo's Kayenta names (threshold, scopes), Kayenta's per-metric judge keys, and
// Kayenta canary-config documents. Errors name the field path.
#include <cstdlib>

#include "analysis/judge_provider.h"

namespace vane::analysis {

namespace {

using std::chrono::milliseconds;

constexpr const char* kJudgeAddressEnv = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS";

// A duration field: a Go duration string ("30s") or a number of seconds.
std::optional<milliseconds> durationField(const kube::Decoder& d, const std::string& key) {
  if (!d.has(key)) return std::nullopt;
  const json& v = d.value()[key];
  if (v.is_number()) {
    if (v.get<double>() <= 0) {
      d.fail(key, "must be a positive number of seconds");
      return std::nullopt;
    }
    return milliseconds(static_cast<int64_t>(v.get<double>() * 1000));
  }
  auto parsed = parseDuration(d.string(key));
  if (!parsed || parsed->count() <= 0) {
    d.fail(key, "failed to parse \"" + d.string(key) + "\" as a positive duration (e.g. 15s, 10m)");
    return std::nullopt;
  }
  return *parsed;
}

// A list of strings (absent: empty).
std::vector<std::string> stringList(const kube::Decoder& d, const std::string& key) {
  std::vector<std::string> out;
  if (!d.has(key)) return out;
  const json& v = d.value()[key];
  if (!v.is_array()) {
    d.fail(key, "expected array of strings");
    return out;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      d.fail(key + "[" + std::to_string(i) + "]", "expected string");
      return out;
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

std::optional<TimePoint> timeField(const kube::Decoder& d, const std::string& key) {
  auto s = d.optString(key);
  if (!s || s->empty()) return std::nullopt;
  auto t = parseTime(*s);
  if (!t) d.fail(key, "cannot parse \"" + *s + "\" as an RFC 3339 time");
  return t;
}

JudgeRoleScope decodeRoleScope(const kube::Decoder& d) {
  JudgeRoleScope r;
  r.scope = d.string("scope");
  r.start = timeField(d, "start");
  r.end = timeField(d, "end");
  r.step = durationField(d, "step");
  return r;
}

template <typename Enum>
void enumField(const kube::Decoder& d, const std::string& key,
               std::optional<Enum> (*parse)(std::string_view), const char* allowed, Enum& out) {
  auto s = d.optString(key);
  if (!s) return;
  if (auto v = parse(*s)) {
    out = *v;
  } else {
    d.fail(key, "unknown value \"" + *s + "\" (" + allowed + ")");
  }
}

void optionalNumber(const kube::Decoder& d, const std::string& key, std::optional<double>& out) {
  if (auto v = d.optNumber(key)) out = *v;
}

}  // namespace

void decodeJudgeSettings(const kube::Decoder& metric, judge::MetricConfig& c) {
  const kube::Decoder d = metric.has("analysisConfigurations")
                              ? metric.child("analysisConfigurations").child("canary")
                              : metric;
  enumField(d, "direction", judge::parseDirection, "increase, decrease, either", c.direction);
  enumField(d, "nanStrategy", judge::parseNanStrategy, "remove, replace", c.nanStrategy);
  const kube::Decoder outliers = d.child("outliers");
  enumField(outliers, "strategy", judge::parseOutlierStrategy, "remove, keep", c.outlierStrategy);
  if (auto f = outliers.optNumber("outlierFactor")) {
    if (*f <= 0) outliers.fail("outlierFactor", "must be greater than zero");
    c.outlierFactor = *f;
  }
  c.critical = d.boolean("critical", c.critical);
  c.mustHaveData = d.boolean("mustHaveData", c.mustHaveData);
  c.muted = d.boolean("muted", c.muted);
  const kube::Decoder effect = d.child("effectSize");
  enumField(effect, "measure", judge::parseEffectSizeMeasure, "meanRatio, cles",
            c.effectSizeMeasure);
  optionalNumber(effect, "allowedIncrease", c.allowedIncrease);
  optionalNumber(effect, "allowedDecrease", c.allowedDecrease);
  optionalNumber(effect, "criticalIncrease", c.criticalIncrease);
  optionalNumber(effect, "criticalDecrease", c.criticalDecrease);
}

void decodeKayentaCanaryConfig(const kube::Decoder& d, std::vector<JudgeMetricSpec>& metrics,
                               std::map<std::string, double>& weights) {
  for (const kube::Decoder& m : d.array("metrics")) {
    JudgeMetricSpec s;
    s.config.name = m.requiredString("name");
    s.config.groups = stringList(m, "groups");
    s.scopeName = m.string("scopeName");
    const kube::Decoder q = m.child("query");
    std::string inline_template = q.string("customInlineTemplate");
    if (inline_template.rfind("PromQL:", 0) == 0) {
      s.canaryQuery = inline_template.substr(7);
    } else if (!q.string("metricName").empty()) {
      // Kayenta's default Prometheus query shape, with the scope as a label filter.
      s.canaryQuery = "avg(" + q.string("metricName") + "{" +
                      q.string("customFilter", "scope=\"${scope}\"") + "})";
    } else {
      q.fail("customInlineTemplate",
             "a Prometheus query is required: \"PromQL:<query>\" here, or query.metricName");
    }
    s.baselineQuery = s.canaryQuery;
    decodeJudgeSettings(m, s.config);
    metrics.push_back(std::move(s));
  }
  const kube::Decoder gw = d.child("classifier").child("groupWeights");
  if (gw.value().is_object()) {
    for (const auto& [group, w] : gw.value().items()) {
      if (!w.is_number()) {
        gw.fail(group, "expected number");
      } else {
        weights[group] = w.get<double>();
      }
    }
  }
}

Result<JudgeSpec> decodeJudgeSpec(const json& metric) {
  kube::Decoder m(metric, "");
  const std::string name = m.string("name");
  const kube::Decoder plugin = m.child("provider").child("plugin");
  if (!plugin.has(std::string(kJudgePluginName))) {
    std::string names;
    if (plugin.value().is_object()) {
      for (const auto& [k, v] : plugin.value().items()) names += (names.empty() ? "" : ", ") + k;
    }
    return Status(Code::kInvalid,
                  "metric \"" + name + "\": metric provider plugin \"" + names +
                      "\" is not available (built in: " + std::string(kJudgePluginName) + ")");
  }
  const std::string path = "provider.plugin[\"" + std::string(kJudgePluginName) + "\"]";
  const kube::Decoder d(plugin.value()[std::string(kJudgePluginName)], path);
  JudgeSpec s;
  s.address = d.string("address");
  if (s.address.empty()) {
    if (const char* env = std::getenv(kJudgeAddressEnv)) s.address = env;
  }
  while (!s.address.empty() && s.address.back() == '/') s.address.pop_back();
  if (auto w = durationField(d, "window")) s.window = *w;
  if (auto st = durationField(d, "step")) s.step = *st;
  s.timeout = d.integer("timeout", 30);
  if (s.timeout <= 0) s.timeout = 30;
  s.insecure = d.boolean("insecure");
  for (const auto& h : d.array("headers"))
    s.headers.emplace_back(h.string("key"), h.string("value"));
  const kube::Decoder threshold = d.child("threshold");
  auto pass = threshold.optNumber("pass");
  auto marginal = threshold.optNumber("marginal");
  if (!pass) threshold.fail("pass", "is required (the score at or above which the canary passes)");
  if (!marginal) threshold.fail("marginal", "is required");
  if (pass && marginal) {
    s.threshold = {*pass, *marginal};
    if (*marginal > *pass) threshold.fail("marginal", "must not exceed threshold.pass");
  }
  for (const kube::Decoder& sc : d.array("scopes")) {
    JudgeScope scope;
    scope.name = sc.string("name");
    scope.baseline = decodeRoleScope(sc.child("controlScope"));
    scope.canary = decodeRoleScope(sc.child("experimentScope"));
    s.scopes.push_back(std::move(scope));
  }
  const kube::Decoder gw = d.child("groupWeights");
  if (gw.value().is_object()) {
    for (const auto& [group, w] : gw.value().items()) {
      if (w.is_number()) {
        s.groupWeights[group] = w.get<double>();
      } else {
        gw.fail(group, "expected number");
      }
    }
  }
  if (d.has("canaryConfig"))
    decodeKayentaCanaryConfig(d.child("canaryConfig"), s.metrics, s.groupWeights);
  const std::vector<kube::Decoder> metrics = d.array("metrics");
  for (size_t i = 0; i < metrics.size(); ++i) {
    const kube::Decoder& md = metrics[i];
    JudgeMetricSpec ms;
    ms.config.name = md.requiredString("name");
    ms.config.groups = stringList(md, "groups");
    if (ms.config.groups.empty()) ms.config.groups.push_back(ms.config.name);
    ms.scopeName = md.string("scopeName");
    const std::string query = md.string("query");
    ms.canaryQuery = md.string("canaryQuery", query);
    ms.baselineQuery = md.string("baselineQuery", query);
    if (ms.canaryQuery.empty() || ms.baselineQuery.empty()) {
      md.fail(ms.canaryQuery.empty() ? "canaryQuery" : "baselineQuery",
              "is required: give query (with a ${role} placeholder) or canaryQuery and "
              "baselineQuery");
    } else if (!query.empty() && !md.has("canaryQuery") && !md.has("baselineQuery") &&
               resolveJudgeQuery(query, "canary", "a") ==
                   resolveJudgeQuery(query, "baseline", "b")) {
      md.fail("query",
              "has no ${role} or ${scope} placeholder, so canary and baseline would be "
              "the same series");
    }
    decodeJudgeSettings(md, ms.config);
    s.metrics.push_back(std::move(ms));
  }
  if (!d.ok())
    return Status(Code::kInvalid, "metric \"" + name + "\": " + d.status().toString(),
                  d.status().field());
  if (s.metrics.empty()) {
    return Status(Code::kInvalid, "metric \"" + name + "\": provider.plugin[\"" +
                                      std::string(kJudgePluginName) +
                                      "\"]: metrics (or canaryConfig.metrics) is empty");
  }
  for (const JudgeMetricSpec& ms : s.metrics) {
    if (ms.scopeName.empty()) continue;
    bool found = false;
    for (const JudgeScope& sc : s.scopes) found = found || sc.name == ms.scopeName;
    if (!found) {
      return Status(Code::kInvalid, "metric \"" + name + "\": judge metric \"" + ms.config.name +
                                        "\" names scope \"" + ms.scopeName +
                                        "\", which scopes[] does not define");
    }
  }
  if (s.address.empty()) {
    return Status(Code::kInvalid, "metric \"" + name + "\": prometheus address is not set (" +
                                      "provider.plugin[\"" + std::string(kJudgePluginName) +
                                      "\"].address or $" + kJudgeAddressEnv + ")");
  }
  return s;
}

std::string resolveJudgeQuery(std::string query, std::string_view role, std::string_view scope) {
  auto replaceAll = [&](std::string_view from, std::string_view to) {
    for (size_t pos = 0; (pos = query.find(from, pos)) != std::string::npos; pos += to.size()) {
      query.replace(pos, from.size(), to);
    }
  };
  replaceAll("{{ role }}", role);
  replaceAll("{{role}}", role);
  replaceAll("{{ scope }}", scope);
  replaceAll("{{scope}}", scope);
  replaceAll("${scope}", scope);
  replaceAll("${role}", role);
  return query;
}

}  // namespace vane::analysis
