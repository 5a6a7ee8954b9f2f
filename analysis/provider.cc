#include "analysis/provider.h"

#include "analysis/expr.h"

namespace vane::analysis {

namespace {
constexpr std::string_view kNoData =
    "metric result is nil or empty: no data returned from the metric provider";

bool isNilOrEmpty(const json& v) { return v.is_null() || (v.is_array() && v.empty()); }

std::string conditionString(const json& metric, const char* key) {
  auto it = metric.find(key);
  return it != metric.end() && it->is_string() ? it->get<std::string>() : "";
}

// Evaluates one condition; nullopt plus an error message when it cannot be decided.
std::optional<bool> evalCondition(const json& result, const std::string& condition,
                                  const char* which, std::string& error) {
  auto program = expr::Program::compile(condition);
  if (!program) {
    error = std::string(which) + " \"" + condition + "\" is invalid: " + program.status().message();
    return std::nullopt;
  }
  auto value = program->evalBool(expr::Env{{"result", result}});
  if (!value) {
    error = std::string(which) + " \"" + condition + "\" could not be evaluated on result " +
            expr::formatValue(result) + ": " + value.status().message();
    if (isNilOrEmpty(result)) error = std::string(kNoData) + "; " + error;
    return std::nullopt;
  }
  return *value;
}
}  // namespace

void ProviderRegistry::add(std::unique_ptr<MetricProvider> provider) {
  std::string type(provider->type());
  providers_[type] = std::move(provider);
}

MetricProvider* ProviderRegistry::find(std::string_view type) const {
  auto it = providers_.find(type);
  return it == providers_.end() ? nullptr : it->second.get();
}

std::string providerType(const json& metric) {
  auto it = metric.find("provider");
  if (it == metric.end() || !it->is_object()) return "";
  for (auto p = it->begin(); p != it->end(); ++p)
    if (!p->is_null()) return p.key();
  return "";
}

Verdict evaluateConditions(const json& result, const json& metric) {
  std::string success = conditionString(metric, "successCondition");
  std::string failure = conditionString(metric, "failureCondition");
  Verdict v;
  std::string error;
  bool success_holds = false, failure_holds = false;
  if (!success.empty()) {
    auto r = evalCondition(result, success, "successCondition", error);
    if (!r) return {Phase::kError, error};
    success_holds = *r;
  }
  if (!failure.empty()) {
    auto r = evalCondition(result, failure, "failureCondition", error);
    if (!r) return {Phase::kError, error};
    failure_holds = *r;
  }
  std::string shown = "result " + expr::formatValue(result);
  if (success.empty() && failure.empty()) return v;
  if (!success.empty() && failure.empty()) {
    if (!success_holds) return {Phase::kFailed, shown + " failed \"" + success + "\""};
    return v;
  }
  if (success.empty()) {
    if (failure_holds) return {Phase::kFailed, shown + " met failureCondition \"" + failure + "\""};
    return v;
  }
  if (failure_holds) return {Phase::kFailed, shown + " met failureCondition \"" + failure + "\""};
  if (!success_holds) {
    return {Phase::kInconclusive, shown + " met neither successCondition \"" + success +
                                      "\" nor failureCondition \"" + failure + "\""};
  }
  return v;
}

Measurement measurementFromResult(const json& result, const json& metric, TimePoint started,
                                  TimePoint finished) {
  Measurement m;
  m.startedAt = started;
  m.finishedAt = finished;
  m.value = expr::formatValue(result);
  Verdict v = evaluateConditions(result, metric);
  m.phase = v.phase;
  m.message = v.message;
  return m;
}

Measurement errorMeasurement(std::string message, TimePoint started, TimePoint finished) {
  Measurement m;
  m.phase = Phase::kError;
  m.message = std::move(message);
  m.startedAt = started;
  m.finishedAt = finished;
  return m;
}

}  // namespace vane::analysis
