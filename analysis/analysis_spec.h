// Typed views of AnalysisTemplate / ClusterAnalysisTemplate / AnalysisRun specs, decoded with
// kube::Decoder so that errors read like the user's YAML ("spec.metrics[0].interval: ...").
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/args.h"
#include "analysis/types.h"

namespace vane::analysis {

/// One metric (v1alpha1.Metric) after {{args.x}} substitution. int-or-string fields are
/// integers here ("3" accepted).
struct MetricSpec {
  std::string name;
  std::optional<std::chrono::milliseconds> interval;
  std::optional<std::chrono::milliseconds> initialDelay;
  std::optional<int64_t> count;
  std::string successCondition;
  std::string failureCondition;
  int64_t failureLimit = 0;  // -1 disables
  int64_t inconclusiveLimit = 0;
  int64_t consecutiveErrorLimit = kDefaultConsecutiveErrorLimit;
  int64_t consecutiveSuccessLimit = 0;
  json raw;  // the metric JSON as given to providers

  /// Argo's EffectiveCount: count unset or 0 -> 1 without interval, unbounded with one.
  std::optional<int64_t> effectiveCount() const;
};

/// Decodes and validates one metric ("spec.metrics[i]" prefix in errors).
Result<MetricSpec> decodeMetric(const json& metric, const std::string& path);

/// Spec fields shared by templates and runs.
struct AnalysisSpec {
  std::vector<json> metrics;  // raw metric JSON (args not yet substituted)
  std::vector<Argument> args;
  std::vector<std::string> dryRun;                         // dryRun[].metricName ("*" allowed)
  std::vector<std::pair<std::string, int64_t>> retention;  // measurementRetention[]
  json templates = json::array();                          // templates[] (nested references)
  bool terminate = false;
};

/// Decodes obj.spec (a template or run object). Metric names must be unique.
Result<AnalysisSpec> decodeAnalysisSpec(const json& obj);

/// Metric names that run in dry-run mode. A rule matching no metric is an error, as in Argo
/// ("dryRun[0]: Rule didn't match any metric name(s)").
Result<std::map<std::string, bool>> dryRunMetrics(const AnalysisSpec& spec,
                                                  const std::vector<MetricSpec>& metrics);
/// Measurements to keep per metric (default kDefaultMeasurementHistoryLimit).
Result<std::map<std::string, int64_t>> retentionLimits(const AnalysisSpec& spec,
                                                       const std::vector<MetricSpec>& metrics);

}  // namespace vane::analysis
