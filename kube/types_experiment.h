// Typed Experiment (argoproj.io/v1alpha1), decoded with kube::Decoder so that the first bad field
// comes back as its path ("spec.templates[1].replicas: expected integer, got string").
//
// Pod templates, selectors, analysis args and analysisRunMetadata are kept as json. The status
// keeps what it does not model in `rest`, and Experiment::raw is the object as read, so that
// toJson() gives back fields the struct does not hold.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/status.h"
#include "kube/types.h"
#include "kube/types_analysisrun.h"

namespace vane::kube {

/// v1alpha1.TemplateStatusCode.
enum class TemplateStatusCode { kProgressing, kRunning, kSuccessful, kFailed, kError };

std::string_view templateStatusName(TemplateStatusCode c);  // "Progressing"
std::optional<TemplateStatusCode> parseTemplateStatus(std::string_view s);
/// Successful, Failed and Error are completed.
bool isCompleted(TemplateStatusCode c);

struct TemplateService {
  std::string name;  // "" : the ReplicaSet's name
};

struct ExperimentTemplate {
  std::string name;
  std::optional<int32_t> replicas;  // default 1
  int32_t minReadySeconds = 0;
  nlohmann::json selector;  // LabelSelector as written (null when absent)
  nlohmann::json template_ = nlohmann::json::object();
  std::optional<TemplateService> service;
  std::optional<int32_t> weight;

  int32_t replicasOrDefault() const { return replicas.value_or(1); }
};

/// spec.analyses[] (ExperimentAnalysisTemplateRef).
struct ExperimentAnalysis {
  std::string name, templateName;
  bool clusterScope = false, requiredForCompletion = false;
  nlohmann::json args = nlohmann::json::array();  // as written
};

struct ExperimentSpec {
  std::vector<ExperimentTemplate> templates;
  std::optional<int64_t> duration;  // seconds; nullopt: run until the analyses end it
  nlohmann::json durationRaw;       // as written ("1h", 60), null when absent
  std::optional<int32_t> progressDeadlineSeconds;  // default 600
  bool terminate = false;
  std::optional<int32_t> scaleDownDelaySeconds;  // default 30
  std::vector<ExperimentAnalysis> analyses;
  nlohmann::json dryRun, measurementRetention, analysisRunMetadata;  // as written, null if absent
};

struct TemplateStatus {
  std::string name;
  int32_t replicas = 0, updatedReplicas = 0, readyReplicas = 0, availableReplicas = 0;
  std::optional<int32_t> collisionCount;
  std::optional<TemplateStatusCode> status;
  std::string message, lastTransitionTime, serviceName, podTemplateHash;
};

/// status.analysisRuns[] (ExperimentAnalysisRunStatus).
struct ExperimentAnalysisRunStatus {
  std::string name, analysisRun, message;
  std::optional<AnalysisPhase> phase;
};

struct ExperimentCondition {
  std::string type, status, lastUpdateTime, lastTransitionTime, reason, message;
};

struct ExperimentStatus {
  std::optional<AnalysisPhase> phase;  // nullopt: not reconciled yet
  std::string message, availableAt;
  std::vector<TemplateStatus> templateStatuses;
  std::vector<ExperimentAnalysisRunStatus> analysisRuns;
  std::vector<ExperimentCondition> conditions;
  nlohmann::json rest = nlohmann::json::object();  // fields not modelled, carried over

  const TemplateStatus* templateStatus(const std::string& name) const;
  TemplateStatus* templateStatus(const std::string& name);
  const ExperimentAnalysisRunStatus* analysisRun(const std::string& name) const;
  const ExperimentCondition* condition(const std::string& type) const;
  /// Replaces the entry of the same name, or appends it.
  void setTemplateStatus(const TemplateStatus& ts);
  void setAnalysisRun(const ExperimentAnalysisRunStatus& run);
};

struct Experiment {
  ObjectMeta metadata;
  ExperimentSpec spec;
  ExperimentStatus status;
  nlohmann::json raw = nlohmann::json::object();  // the object as read

  std::string label(const std::string& key) const;  // "" when absent
  /// status.phase is Successful, Failed, Error or Inconclusive.
  bool completed() const;
};

/// A Rollout canary step's `experiment` (RolloutExperimentStep) template.
struct RolloutExperimentTemplate {
  std::string name, specRef;  // specRef: "canary" or "stable"
  std::optional<int32_t> replicas, weight;
  PodTemplateMetadata metadata;
  nlohmann::json selector;  // LabelSelector as written (null when absent)
  std::optional<TemplateService> service;
};

struct RolloutExperimentStep {
  std::vector<RolloutExperimentTemplate> templates;
  nlohmann::json duration;  // as written, null when absent
  std::vector<ExperimentAnalysis> analyses;
  nlohmann::json dryRun, analysisRunMetadata;  // as written, null when absent
  std::optional<int32_t> scaleDownDelaySeconds;
};

/// Decodes steps[i].experiment; path prefixes the field of an error
/// ("spec.strategy.canary.steps[1].experiment").
Result<RolloutExperimentStep> decodeRolloutExperimentStep(const nlohmann::json& step,
                                                          const std::string& path);

/// The first bad field comes back as its path.
Result<Experiment> decodeExperiment(const nlohmann::json& obj);
Result<ExperimentStatus> decodeExperimentStatus(const nlohmann::json& status);
/// The status as Argo writes it (omitempty; the counts of templateStatuses always).
nlohmann::json toJson(const ExperimentStatus& status);
nlohmann::json toJson(const ExperimentSpec& spec);
/// The object as read (Experiment::raw) with metadata, spec and status re-encoded.
nlohmann::json toJson(const Experiment& experiment);

}  // namespace vane::kube
