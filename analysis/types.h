// Analysis vocabulary shared by the engine, the providers and the controller: phases,
// measurements, Argo's constants and strings, time and duration helpers.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/duration.h"
#include "base/time.h"
#include "kube/status.h"
#include "kube/types_analysisrun.h"

namespace vane::analysis {

using json = nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

/// Phases of measurements, metrics and runs (v1alpha1.AnalysisPhase), defined with the typed
/// AnalysisRun in kube/types_analysisrun.h: phaseName(p) gives "Successful", parsePhase(s) gives
/// nullopt for an empty or unknown string.
using Phase = kube::AnalysisPhase;
using kube::parsePhase;
using kube::phaseName;
/// Successful, Failed, Error and Inconclusive are completed.
bool isCompleted(Phase p);
/// Worst-wins order Successful < Running < Pending < Inconclusive < Error < Failed
/// (analysisutil.IsWorse): true when candidate is worse than current.
bool isWorse(Phase current, Phase candidate);

// Defaults from Argo's v1alpha1 and analysis/analysis.go.
inline constexpr int kDefaultConsecutiveErrorLimit = 4;
inline constexpr std::chrono::seconds kDefaultErrorRetryInterval{10};
inline constexpr int kDefaultMeasurementHistoryLimit = 10;
inline constexpr std::string_view kRunTerminatedMessage = "Run Terminated";
inline constexpr std::string_view kMetricTerminatedMessage = "Metric Terminated";
inline constexpr std::string_view kResolvedPrometheusQuery = "ResolvedPrometheusQuery";
inline constexpr std::string_view kMaskedSecret = "*****";

/// One measurement (v1alpha1.Measurement). finishedAt unset means still in flight.
struct Measurement {
  Phase phase = Phase::kRunning;
  std::string value;
  std::string message;
  std::optional<TimePoint> startedAt;
  std::optional<TimePoint> finishedAt;
  std::optional<TimePoint> resumeAt;  // asynchronous providers (job): when to call resume()
  std::map<std::string, std::string> metadata;

  json toJson() const;
  static Measurement fromJson(const json& j);
};

/// RFC 3339 UTC with second precision, like metav1.Time: "2026-11-24T19:43:18Z" (base/time.h).
inline std::string formatTime(TimePoint t) { return base::formatRfc3339(t); }
/// Parses RFC 3339 (fractional seconds and offsets accepted); nullopt when malformed.
inline std::optional<TimePoint> parseTime(std::string_view s) { return base::parseRfc3339(s); }
/// Durations as base::parseDuration reads them (Go's syntax, or a bare integer of seconds), to
/// the millisecond.
inline Result<std::chrono::milliseconds> parseDuration(std::string_view s) {
  auto d = base::parseDuration(s);
  if (!d.ok()) return d.status();
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

}  // namespace vane::analysis
