// Private to the engine: the resolved run (metrics with args substituted, masked copies for
// messages), status accessors, and the judgement of metrics and runs (Argo's assessMetricStatus
// and assessRunStatus) with explained messages.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis_spec.h"
#include "analysis/args.h"
#include "analysis/types.h"

namespace vane::analysis {

struct RunContext {
  std::vector<MetricSpec> metrics;  // args (secrets included) substituted: for providers only
  std::vector<json> masked;         // same metrics with secret arguments shown as "*****"
  std::map<std::string, bool> dry;
  std::map<std::string, int64_t> retention;
  std::vector<std::string> secrets;
};

/// Resolves arguments and decodes metrics. Errors are the run's Error message
/// ("Analysis spec invalid: ...", "Unable to resolve metric arguments: ...").
Result<RunContext> buildRunContext(const json& run, const SecretLookup& secrets);

const json* findResult(const json& status, const std::string& name);
json& ensureResult(json& status, const std::string& name, bool dry_run);
std::optional<Measurement> lastMeasurement(const json& result);
std::optional<Phase> metricPhase(const json& result);
int64_t counter(const json& result, const char* key);

/// Argo's assessMetricFailureInconclusiveOrError: the limit a metric has exceeded, if any, and
/// the message "failed (2) > failureLimit (1)".
std::optional<std::pair<Phase, std::string>> limitExceeded(const MetricSpec& m, const json& result);

/// Argo's assessMetricStatus.
Phase assessMetric(const MetricSpec& m, const json& result, bool terminating);

struct RunAssessment {
  Phase phase = Phase::kRunning;
  std::string message;
  json summary;      // runSummary {count, successful, failed, inconclusive, error}
  json dry_summary;  // dryRunSummary
};

/// Argo's assessRunStatus: updates metricResults[].phase/message and returns the run's phase.
RunAssessment assessRun(json& status, const RunContext& c, bool terminate, bool terminating);

}  // namespace vane::analysis
