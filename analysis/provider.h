// Metric providers behind a small interface, and the registry the caller fills explicitly (no
// static self-registration). A provider failure is a Measurement with phase Error, never an
// exception (Argo: metricproviders/provider.go).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "analysis/types.h"

namespace vane::analysis {

/// What a provider gets for one measurement. `metric` is the Metric JSON with every
/// {{args.x}} substituted (secrets included); never log it or copy it into a message: the
/// engine masks secret values in what providers return, not in what they print.
struct MetricContext {
  const json& metric;  // {name, provider: {prometheus: {...}}, successCondition, ...}
  std::string namespace_;
  std::string run_name;
  std::string run_uid;
  TimePoint now;
  int64_t measurement_number = 1;  // 1 for the metric's first measurement (names Jobs)
};

class MetricProvider {
 public:
  virtual ~MetricProvider() = default;
  /// Key under metric.provider this provider serves: "prometheus", "web", "job".
  virtual std::string_view type() const = 0;
  /// Takes a measurement. Synchronous providers return it completed (finishedAt set);
  /// asynchronous ones return phase Running with resumeAt. Thread-safe; never throws.
  virtual Measurement run(const MetricContext& ctx) = 0;
  /// Continues an in-flight measurement (finishedAt unset). Synchronous providers return it as is.
  virtual Measurement resume(const MetricContext& ctx, const Measurement& in_flight) = 0;
  /// Stops an in-flight measurement (run terminated). Idempotent.
  virtual Measurement terminate(const MetricContext& ctx, const Measurement& in_flight) = 0;
  /// Metadata kept on metricResults[].metadata, e.g. {"ResolvedPrometheusQuery": "..."}.
  virtual std::map<std::string, std::string> metricMetadata(const json& /*metric*/) const {
    return {};
  }
};

/// Providers by type. Filled by the caller (main or a test) once, then read-only.
class ProviderRegistry {
 public:
  void add(std::unique_ptr<MetricProvider> provider);
  /// nullptr when no provider of that type was added.
  MetricProvider* find(std::string_view type) const;

 private:
  std::map<std::string, std::unique_ptr<MetricProvider>, std::less<>> providers_;
};

/// The provider type of a metric: the single key of metric.provider ("" when none).
std::string providerType(const json& metric);

/// Outcome of applying successCondition/failureCondition to a provider's result
/// (Argo's evaluate.EvaluateResult decision table), with a message that explains it.
struct Verdict {
  Phase phase = Phase::kSuccessful;
  std::string message;  // empty for Successful
};

/// Decision table: neither condition -> Successful; success only -> Failed when false; failure
/// only -> Successful when false; both -> Failed when failure holds, Inconclusive when neither
/// holds, else Successful. A condition that does not parse or evaluate, or is not a bool ->
/// Error, with "no data returned from the metric provider" when the result is nil or empty.
Verdict evaluateConditions(const json& result, const json& metric);

/// A completed measurement from a result value: value formatted, conditions applied.
Measurement measurementFromResult(const json& result, const json& metric, TimePoint started,
                                  TimePoint finished);
/// A completed Error measurement.
Measurement errorMeasurement(std::string message, TimePoint started, TimePoint finished);

}  // namespace vane::analysis
