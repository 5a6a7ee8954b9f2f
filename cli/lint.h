// Offline validation of Rollout manifests (`kubectl vane lint -f FILE`): type errors from the
// typed decoder (kube/types.h) and every violation of the controller's own validation
// (controller/validation.h: Argo's InvalidSpec rules), each with the field path of the value.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vane::cli {

struct LintError {
  int document = 0;   // 0-based document index in the file
  std::string name;   // metadata.name, when known
  std::string field;  // e.g. spec.strategy.canary.steps[1].setWeight
  std::string message;
  bool warning = false;  // not an error: see lintUnsupported
};

/// Validates one decoded Rollout object; empty when valid.
std::vector<LintError> lintRollout(const nlohmann::json& rollout);

/// Warnings for a Rollout's trafficRouting block or an (Cluster)AnalysisTemplate's metric
/// providers that Vane does not implement, each naming the field.
std::vector<LintError> lintUnsupported(const nlohmann::json& object);

/// Lints every document of a (multi-document) YAML file; documents of other kinds are skipped,
/// YAML syntax errors are reported. `checked` receives the number of Rollouts seen. Warnings
/// (lintUnsupported, also for analysis templates) come with warning set.
std::vector<LintError> lintText(const std::string& text, int* checked = nullptr);

/// "doc 2 (rollout demo): spec.strategy.canary.steps[0].setWeight: SetWeight needs ..."
/// ("warning: " first for a warning).
std::string formatLintError(const LintError& e);

}  // namespace vane::cli
