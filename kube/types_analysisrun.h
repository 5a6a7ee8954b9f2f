// Typed AnalysisRun (argoproj.io/v1alpha1) as the Rollout and Experiment controllers read it, and
// the analysis phase shared with the analysis engine (analysis::Phase is this enum).
//
// The parts the controllers do not interpret (metrics, args, dryRun, measurementRetention, the
// measurements of each metric) are kept as json; the status keeps the fields it does not model
// in `rest`, so decode + toJson gives back what was read.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/status.h"
#include "kube/types.h"

namespace vane::kube {

/// Phases of measurements, metrics, runs and Experiments (v1alpha1.AnalysisPhase).
enum class AnalysisPhase { kPending, kRunning, kSuccessful, kFailed, kError, kInconclusive };

std::string_view phaseName(AnalysisPhase p);  // "Successful"
/// Parses "Successful" etc.; an empty or unknown string gives nullopt.
std::optional<AnalysisPhase> parsePhase(std::string_view s);
/// The name of an optional phase; "" when unset.
std::string phaseName(const std::optional<AnalysisPhase>& p);

struct AnalysisRunSpec {
  nlohmann::json metrics = nlohmann::json::array();  // as written
  nlohmann::json args = nlohmann::json::array();     // as written
  bool terminate = false;
  nlohmann::json dryRun, measurementRetention;    // as written (null when absent)
  nlohmann::json raw = nlohmann::json::object();  // the spec as read
};

/// Summary of one status.metricResults[] entry; the measurements stay in `raw`.
struct MetricResultSummary {
  std::string name, message;
  std::optional<AnalysisPhase> phase;
  int32_t count = 0, successful = 0, failed = 0, inconclusive = 0, error = 0, consecutiveError = 0;
  bool dryRun = false;
  nlohmann::json raw = nlohmann::json::object();  // the entry as read
};

struct RunSummary {
  int32_t count = 0, successful = 0, failed = 0, inconclusive = 0, error = 0;
};

struct AnalysisRunStatus {
  std::optional<AnalysisPhase> phase;  // nullopt: not reconciled yet
  std::string message, startedAt, completedAt;
  std::vector<MetricResultSummary> metricResults;
  std::optional<RunSummary> runSummary;
  nlohmann::json rest = nlohmann::json::object();  // dryRunSummary, ...
};

struct AnalysisRun {
  ObjectMeta metadata;
  AnalysisRunSpec spec;
  AnalysisRunStatus status;
  nlohmann::json raw = nlohmann::json::object();  // the object as read

  std::string label(const std::string& key) const;  // "" when absent
  bool completed() const;  // status.phase is Successful, Failed, Error or Inconclusive
};

/// The first bad field comes back as its path, e.g. "status.metricResults[0].phase: unknown
/// phase \"Done\"".
Result<AnalysisRun> decodeAnalysisRun(const nlohmann::json& obj);
Result<AnalysisRunStatus> decodeAnalysisRunStatus(const nlohmann::json& status);
nlohmann::json toJson(const AnalysisRunStatus& status);
/// The object as read with metadata, spec and status re-encoded from the struct.
nlohmann::json toJson(const AnalysisRun& run);

}  // namespace vane::kube
