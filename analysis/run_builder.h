// Building an AnalysisRun from a Rollout's analysis step, background analysis or blue-green
// pre/post-promotion analysis (Argo: rollout/analysis.go newAnalysisRunFromRollout,
// utils/analysis/factory.go NewAnalysisRunFromTemplates).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "analysis/types.h"
#include "base/constants.h"

namespace vane::analysis {

enum class RunType { kStep, kBackground, kPrePromotion, kPostPromotion };

/// "Step", "Background", "PrePromotion", "PostPromotion" (label rollout-type).
std::string_view runTypeLabel(RunType t);

inline constexpr std::string_view kLabelPodTemplateHash = base::kLabelPodTemplateHash;
inline constexpr std::string_view kLabelRolloutType = base::kLabelRolloutType;
inline constexpr std::string_view kLabelStepIndex = base::kLabelStepIndex;
inline constexpr std::string_view kAnnotationRevision = base::kAnnotationRevision;

/// Template lookups; return kNotFound when absent.
struct TemplateLookups {
  std::function<Result<json>(const std::string& ns, const std::string& name)> analysisTemplate;
  std::function<Result<json>(const std::string& name)> clusterAnalysisTemplate;
};

struct RunRequest {
  const json& rollout;
  /// RolloutAnalysis: {templates: [{templateName, clusterScope}], args: [...], dryRun: [...],
  /// measurementRetention: [...], analysisRunMetadata: {labels, annotations}}.
  const json& analysis;
  RunType type = RunType::kStep;
  int step_index = 0;             // kStep only
  std::string pod_template_hash;  // hash of the ReplicaSet under analysis (label, name)
  std::string stable_hash;        // for valueFrom.podTemplateHashValue: Stable
  std::string latest_hash;        // ... Latest (defaults to pod_template_hash)
};

/// `<rollout>-<hash>-<revision>[-<stepIdx>|-pre|-post]` (background: no suffix).
std::string analysisRunName(const std::string& rollout, const std::string& hash,
                            const std::string& revision, RunType type, int step_index);

/// Resolves the referenced templates (nested templates[] included), merges their metrics, args,
/// dryRun and measurementRetention, applies the Rollout's args (valueFrom.fieldRef read from the
/// Rollout, podTemplateHashValue from the hashes), and returns the AnalysisRun object: labels,
/// revision annotation, ownerReference to the Rollout (controller true). Errors: missing
/// template, duplicate metric names, an argument left without a value ("args.x was not resolved").
Result<json> buildAnalysisRun(const RunRequest& request, const TemplateLookups& lookups);

}  // namespace vane::analysis
