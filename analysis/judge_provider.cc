#include "analysis/judge_provider.h"

#include <cmath>
#include <cstdlib>

#include "analysis/http_auth.h"
#include "analysis/prometheus_provider.h"

namespace vane::analysis {

namespace {

using std::chrono::milliseconds;

constexpr const char* kAddressEnv = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS";

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
    if (const char* env = std::getenv(kAddressEnv)) s.address = env;
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
                                      "\"].address or $" + kAddressEnv + ")");
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

Result<std::vector<double>> parseRangeSamples(int http_status, const std::string& body) {
  auto parsed = parsePrometheusResponse(http_status, body);
  if (!parsed) return parsed.status();
  if (parsed->result_type != "matrix") {
    return Status(Code::kInvalid, "expected a matrix from query_range, got " + parsed->result_type);
  }
  // parsePrometheusResponse flattens every series; count them from the raw answer.
  const json doc = json::parse(body, nullptr, false);
  const json& result = doc["data"]["result"];
  if (result.size() > 1) {
    return Status(Code::kInvalid,
                  "the query returned " + std::to_string(result.size()) +
                      " series; the judge compares one series per role, so aggregate it "
                      "(e.g. avg(...) or sum(...))");
  }
  std::vector<double> out;
  for (const json& v : parsed->value) out.push_back(v.get<double>());
  return out;
}

Result<std::vector<double>> fetchRangeSamples(http::Client& client, const RangeQuery& q) {
  auto seconds = [](TimePoint t) {
    const auto ms = std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
    return std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1);
  };
  http::ClientRequest req;
  req.method = "POST";
  req.url = q.address + "/api/v1/query_range";
  req.headers = q.headers;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  req.body = "query=" + http::urlEncode(q.query) + "&start=" + seconds(q.start) +
             "&end=" + seconds(q.end) + "&step=" + std::to_string(q.step.count() / 1000.0) +
             "&timeout=" + std::to_string(q.timeout.count() / 1000) + "s";
  req.timeout = q.timeout;
  auto resp = client.send(req);
  if (!resp)
    return Status(resp.status().code(),
                  "prometheus " + q.address + " unreachable: " + resp.status().message());
  auto samples = parseRangeSamples(resp->status, resp->body);
  if (!samples) {
    return Status(samples.status().code(),
                  "query \"" + q.query + "\" failed: " + samples.status().message());
  }
  return samples;
}

json metricResultToJson(const judge::MetricResult& m) {
  const judge::Classification& c = m.classification;
  auto stats = [](const judge::SampleStats& s, size_t received) {
    return json{{"count", s.count}, {"received", received}, {"mean", s.mean},
                {"std", s.std},     {"min", s.min},         {"max", s.max}};
  };
  json j = {{"name", m.name},
            {"classification", std::string(judge::labelName(c.label))},
            {"critical", c.critical},
            {"muted", m.muted},
            {"groups", m.groups},
            {"direction", std::string(judge::directionName(m.direction))},
            {"ratio", c.deviation},
            {"canary", stats(m.canary, m.canaryRaw)},
            {"baseline", stats(m.baseline, m.baselineRaw)}};
  if (!c.reason.empty()) j["reason"] = c.reason;
  if (c.tested) {
    j["interval"] = {{"lower", c.lower}, {"upper", c.upper}, {"confidence", m.params.confLevel}};
    j["estimate"] = c.estimate;
    j["effectSize"] = {{"measure", std::string(judge::effectSizeName(m.params.measure))},
                       {"value", c.effect_size},
                       {"allowedIncrease", m.params.allowedIncrease},
                       {"allowedDecrease", m.params.allowedDecrease},
                       {"criticalIncrease", m.params.criticalIncrease},
                       {"criticalDecrease", m.params.criticalDecrease}};
    if (c.noise_added) j["noiseAdded"] = true;
  }
  return j;
}

json judgeResultToJson(const judge::JudgeResult& r, const judge::Thresholds& t) {
  json metrics = json::array(), groups = json::array();
  for (const auto& m : r.metrics) metrics.push_back(metricResultToJson(m));
  for (const auto& g : r.groups) {
    groups.push_back({{"name", g.name}, {"score", g.score}, {"noData", g.noData}});
  }
  json j = {{"judge", std::string(judge::kJudgeName)},
            {"score", r.score},
            {"classification", std::string(judge::verdictName(r.verdict))},
            {"threshold", {{"pass", t.pass}, {"marginal", t.marginal}}},
            {"groups", groups},
            {"metrics", metrics}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  return j;
}

Phase phaseForScore(double score, const judge::Thresholds& t) {
  const double s = std::trunc(score);  // Argo: score := int(result)
  if (s >= t.pass) return Phase::kSuccessful;
  if (s >= t.marginal) return Phase::kInconclusive;
  return Phase::kFailed;
}

JudgeProvider::JudgeProvider(http::ClientOptions client_options, uint64_t seed)
    : clients_(std::move(client_options)), rng_(seed) {}

Measurement JudgeProvider::run(const MetricContext& ctx) {
  const TimePoint now = ctx.now;
  auto spec = decodeJudgeSpec(ctx.metric);
  if (!spec) return errorMeasurement(spec.status().message(), now, now);
  auto client = clients_.get(spec->insecure);
  if (!client) return errorMeasurement("http client: " + client.status().message(), now, now);

  std::vector<judge::MetricResult> results;
  for (const JudgeMetricSpec& ms : spec->metrics) {
    const JudgeScope* scope = spec->scopes.empty() ? nullptr : &spec->scopes.front();
    for (const JudgeScope& sc : spec->scopes) {
      if (!ms.scopeName.empty() && sc.name == ms.scopeName) scope = &sc;
    }
    std::vector<double> samples[2];
    for (int role = 0; role < 2; ++role) {
      const bool canary = role == 0;
      const JudgeRoleScope* rs = scope ? (canary ? &scope->canary : &scope->baseline) : nullptr;
      RangeQuery q;
      q.address = spec->address;
      q.query = resolveJudgeQuery(canary ? ms.canaryQuery : ms.baselineQuery,
                                  canary ? "canary" : "baseline", rs ? rs->scope : "");
      q.end = rs && rs->end ? *rs->end : now;
      q.start = rs && rs->start ? *rs->start : q.end - spec->window;
      q.step = rs && rs->step ? *rs->step : spec->step;
      q.timeout = std::chrono::seconds(spec->timeout);
      q.headers = spec->headers;
      auto fetched = fetchRangeSamples(**client, q);
      if (!fetched) {
        return errorMeasurement("judge metric \"" + ms.config.name + "\" (" +
                                    (canary ? "canary" : "baseline") +
                                    "): " + fetched.status().message(),
                                now, now);
      }
      samples[role] = std::move(*fetched);
    }
    std::lock_guard lock(rng_mu_);
    results.push_back(judge::judgeMetric(ms.config, samples[0], samples[1], rng_));
  }
  const judge::JudgeResult r =
      judge::scoreMetrics(std::move(results), spec->groupWeights, spec->threshold);
  Measurement m;
  m.phase = phaseForScore(r.score, spec->threshold);
  m.value = std::to_string(static_cast<int64_t>(std::trunc(r.score)));
  m.startedAt = now;
  m.finishedAt = now;
  if (m.phase != Phase::kSuccessful) m.message = judge::explain(r, spec->threshold);
  m.metadata["judgement"] = judgeResultToJson(r, spec->threshold).dump();
  for (const judge::MetricResult& mr : r.metrics) m.metadata[mr.name] = judge::explain(mr);
  return m;
}

Measurement KayentaUnsupportedProvider::run(const MetricContext& ctx) {
  return errorMeasurement(
      "metric \"" + ctx.metric.value("name", "") +
          "\": the kayenta provider is not supported: Vane does not call a Kayenta service, it "
          "judges in process with Kayenta's NetflixACAJudge-v1.0. Use provider.plugin[\"" +
          std::string(kJudgePluginName) +
          "\"] with the same threshold and scopes, the Prometheus address, and the canary config "
          "(canaryConfig) or metrics",
      ctx.now, ctx.now);
}

}  // namespace vane::analysis
