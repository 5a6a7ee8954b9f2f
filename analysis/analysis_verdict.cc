#include "analysis/analysis_verdict.h"

#include "analysis/provider.h"

namespace vane::analysis {

namespace {

bool dryRun(const RunContext& c, const std::string& name) { return c.dry.count(name) > 0; }

// What was asked of the provider, with secrets masked: the query or the URL.
std::string querySent(const json& masked_metric) {
  std::string type = providerType(masked_metric);
  const json p = masked_metric.value(json::json_pointer("/provider/" + type), json());
  if (p.is_object()) {
    if (p.contains("query") && p["query"].is_string())
      return "query \"" + p["query"].get<std::string>() + "\"";
    if (p.contains("url") && p["url"].is_string())
      return "url \"" + p["url"].get<std::string>() + "\"";
  }
  return type.empty() ? "" : "provider " + type;
}

// The message of the last measurement that had the verdict's phase (else the last one).
std::string lastMessageWith(const json& result, Phase phase) {
  const json& ms = result.contains("measurements") ? result["measurements"] : json::array();
  for (auto it = ms.rbegin(); it != ms.rend(); ++it) {
    if (it->value("phase", "") == phaseName(phase)) return it->value("message", "");
  }
  return ms.empty() ? "" : ms.back().value("message", "");
}

std::string explanation(const json& result, Phase phase, const json& masked_metric) {
  std::string details = lastMessageWith(result, phase);
  std::string query = querySent(masked_metric);
  if (details.empty()) return query;
  return query.empty() ? details : details + "; " + query;
}

json summaryJson(int64_t count, const std::map<Phase, int64_t>& by_phase) {
  auto get = [&](Phase p) {
    auto it = by_phase.find(p);
    return it == by_phase.end() ? int64_t{0} : it->second;
  };
  return {{"count", count},
          {"successful", get(Phase::kSuccessful)},
          {"failed", get(Phase::kFailed)},
          {"inconclusive", get(Phase::kInconclusive)},
          {"error", get(Phase::kError)}};
}

}  // namespace

Result<RunContext> buildRunContext(const json& run, const SecretLookup& secrets) {
  auto spec = decodeAnalysisSpec(run);
  if (!spec) return Status(Code::kInvalid, "Analysis spec invalid: " + spec.status().toString());
  RunContext c;
  std::string ns = run.contains("metadata") ? run["metadata"].value("namespace", "") : "";
  auto values = argumentValues(spec->args, ns, secrets, &c.secrets);
  if (!values) {
    return Status(Code::kInvalid,
                  "Unable to resolve metric arguments: " + values.status().message());
  }
  auto masked_values = *values;
  for (const auto& a : spec->args)
    if (a.secretName) masked_values[a.name] = std::string(kMaskedSecret);
  for (size_t i = 0; i < spec->metrics.size(); ++i) {
    auto real = substituteArgs(spec->metrics[i], *values);
    auto masked = substituteArgs(spec->metrics[i], masked_values);
    if (!real || !masked) {
      return Status(Code::kInvalid, "Unable to resolve metric arguments: " +
                                        (real ? masked.status() : real.status()).message());
    }
    auto m = decodeMetric(*real, "spec.metrics[" + std::to_string(i) + "]");
    if (!m) {
      return Status(Code::kInvalid,
                    "Analysis spec invalid: " + maskSecrets(m.status().toString(), c.secrets));
    }
    c.metrics.push_back(std::move(m).value());
    c.masked.push_back(std::move(masked).value());
  }
  auto dry = dryRunMetrics(*spec, c.metrics);
  if (!dry) return Status(Code::kInvalid, "Analysis spec invalid: " + dry.status().message());
  auto retention = retentionLimits(*spec, c.metrics);
  if (!retention)
    return Status(Code::kInvalid, "Analysis spec invalid: " + retention.status().message());
  c.dry = std::move(dry).value();
  c.retention = std::move(retention).value();
  return c;
}

const json* findResult(const json& status, const std::string& name) {
  if (!status.contains("metricResults")) return nullptr;
  for (const auto& r : status["metricResults"])
    if (r.value("name", "") == name) return &r;
  return nullptr;
}

json& ensureResult(json& status, const std::string& name, bool dry_run) {
  json& results = status["metricResults"];
  if (!results.is_array()) results = json::array();
  for (auto& r : results)
    if (r.value("name", "") == name) return r;
  json r = {{"name", name}, {"phase", std::string(phaseName(Phase::kRunning))}, {"count", 0}};
  if (dry_run) r["dryRun"] = true;
  results.push_back(std::move(r));
  return results.back();
}

std::optional<Measurement> lastMeasurement(const json& result) {
  if (!result.contains("measurements") || !result["measurements"].is_array() ||
      result["measurements"].empty()) {
    return std::nullopt;
  }
  return Measurement::fromJson(result["measurements"].back());
}

std::optional<Phase> metricPhase(const json& result) {
  return parsePhase(result.value("phase", ""));
}

int64_t counter(const json& result, const char* key) {
  auto it = result.find(key);
  return it != result.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::optional<std::pair<Phase, std::string>> limitExceeded(const MetricSpec& m, const json& r) {
  std::optional<std::pair<Phase, std::string>> out;
  auto msg = [](const char* what, int64_t n, const char* limit, int64_t l) {
    return std::string(what) + " (" + std::to_string(n) + ") > " + limit + " (" +
           std::to_string(l) + ")";
  };
  // Later checks win, as in Argo: Error over Inconclusive over Failed.
  if (m.failureLimit >= 0 && counter(r, "failed") > m.failureLimit) {
    out = {Phase::kFailed, msg("failed", counter(r, "failed"), "failureLimit", m.failureLimit)};
  }
  if (counter(r, "inconclusive") > m.inconclusiveLimit) {
    out = {Phase::kInconclusive, msg("inconclusive", counter(r, "inconclusive"),
                                     "inconclusiveLimit", m.inconclusiveLimit)};
  }
  if (counter(r, "consecutiveError") > m.consecutiveErrorLimit) {
    out = {Phase::kError, msg("consecutiveErrors", counter(r, "consecutiveError"),
                              "consecutiveErrorLimit", m.consecutiveErrorLimit)};
  }
  return out;
}

Phase assessMetric(const MetricSpec& m, const json& r, bool terminating) {
  if (auto p = metricPhase(r); p && isCompleted(*p)) return *p;
  auto last = lastMeasurement(r);
  if (!last) return terminating ? Phase::kSuccessful : Phase::kPending;
  if (!last->finishedAt) return Phase::kRunning;
  if (auto lim = limitExceeded(m, r)) return lim->first;
  if (m.consecutiveSuccessLimit > 0 &&
      counter(r, "consecutiveSuccess") >= m.consecutiveSuccessLimit) {
    return Phase::kSuccessful;
  }
  auto count = m.effectiveCount();
  if (count && counter(r, "count") >= *count) {
    // consecutiveSuccessLimit not reached: with a failureLimit that was not exceeded either, the
    // metric could not decide (Inconclusive, pausing the rollout); without one, Failed.
    if (m.consecutiveSuccessLimit > 0) {
      return m.failureLimit >= 0 ? Phase::kInconclusive : Phase::kFailed;
    }
    return Phase::kSuccessful;
  }
  return terminating ? Phase::kSuccessful : Phase::kRunning;
}

RunAssessment assessRun(json& status, const RunContext& c, bool terminate, bool terminating) {
  RunAssessment a;
  std::optional<Phase> worst;
  if (terminate) a.message = std::string(kRunTerminatedMessage);
  bool everything_completed = true;
  int64_t count = 0, dry_count = 0;
  std::map<Phase, int64_t> by_phase, dry_by_phase;
  for (size_t i = 0; i < c.metrics.size(); ++i) {
    const MetricSpec& m = c.metrics[i];
    bool dry = dryRun(c, m.name);
    (dry ? dry_count : count)++;
    if (!findResult(status, m.name) && !terminating) {  // e.g. still in its initialDelay
      everything_completed = false;
      continue;
    }
    json& r = ensureResult(status, m.name, dry);
    Phase p = assessMetric(m, r, terminating);
    auto lim = isCompleted(p) ? limitExceeded(m, r) : std::nullopt;
    if (metricPhase(r) != p) {
      r["phase"] = std::string(phaseName(p));
      if (lim) {
        r["message"] = (dry ? "dry-run " : "") + std::string("metric \"") + m.name +
                       "\": " + explanation(r, p, c.masked[i]) + "; " + lim->second;
      } else if (auto last = lastMeasurement(r); last && !last->message.empty()) {
        r["message"] = last->message;
      }
    }
    if (!isCompleted(p)) {
      everything_completed = false;
      continue;
    }
    (dry ? dry_by_phase : by_phase)[p]++;
    if (dry) continue;
    if (!worst || isWorse(*worst, p)) {
      worst = p;
      if (lim) {
        a.message = "Metric \"" + m.name + "\" assessed " + std::string(phaseName(p)) + " due to " +
                    lim->second + ": " + explanation(r, p, c.masked[i]);
      }
    }
  }
  a.summary = summaryJson(count, by_phase);
  a.dry_summary = summaryJson(dry_count, dry_by_phase);
  if (!everything_completed) {
    a.phase = Phase::kRunning;
  } else {
    a.phase = worst.value_or(Phase::kSuccessful);
  }
  return a;
}

}  // namespace vane::analysis
