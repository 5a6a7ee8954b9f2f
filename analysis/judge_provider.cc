#include "analysis/judge_provider.h"

#include <cmath>
#include <cstdlib>

#include "analysis/http_auth.h"
#include "analysis/prometheus_provider.h"

namespace vane::analysis {

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
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
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
