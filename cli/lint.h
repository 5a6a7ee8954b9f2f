// Offline validation of Rollout manifests (`kubectl vane lint -f FILE`): type errors from the
// typed decoder (kube/types.h) and Argo's InvalidSpec rules (argo-rollouts.md 1.16), each with the
// field path of the offending value.
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
};

// Argo's messages (pkg/apis/rollouts/validation/validation.go).
inline constexpr const char* kMissingFieldMessage = "Rollout has missing field '%s'";
inline constexpr const char* kSetWeightMessage = "SetWeight needs to be between 0 and %d";
inline constexpr const char* kStepMessage =
    "Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or "
    "pause";
inline constexpr const char* kDurationMessage = "Duration needs to be greater than 0";
inline constexpr const char* kMaxSurgeUnavailableMessage =
    "MaxSurge and MaxUnavailable both can not be zero";
inline constexpr const char* kTrafficServicesMessage =
    "Canary service and Stable service must to be set to use Traffic Routing";
inline constexpr const char* kSameCanaryStableMessage =
    "This rollout uses the same service for the stable and canary services, but two different "
    "services are required.";
inline constexpr const char* kSameActivePreviewMessage =
    "This rollout uses the same service for the active and preview services, but two different "
    "services are required.";
inline constexpr const char* kHeaderRouteMessage =
    "SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix";
inline constexpr const char* kMirrorRouteMessage =
    "SetMirrorRoute requires TrafficRouting, supports Istio and Plugins";
inline constexpr const char* kStringMatchMessage =
    "StringMatch match value must have exactly one of the following: exact, regex, prefix";
inline constexpr const char* kManagedRouteMessage =
    "Steps define a route that does not exist in "
    "spec.strategy.canary.trafficRouting.managedRoutes";
inline constexpr const char* kDynamicStableScaleMessage =
    "Canary dynamicStableScale cannot be used with scaleDownDelaySeconds";
inline constexpr const char* kMultipleStrategiesMessage = "Multiple Strategies can not be listed";
inline constexpr const char* kSelectAllMessage =
    "This rollout is selecting all pods. A non-empty selector is required.";
inline constexpr const char* kSelectorMismatchMessage =
    "`selector` does not match template `labels`";

/// Validates one decoded Rollout object; empty when valid.
std::vector<LintError> lintRollout(const nlohmann::json& rollout);

/// Lints every document of a (multi-document) YAML file; documents of other kinds are skipped,
/// YAML syntax errors are reported. `checked` receives the number of Rollouts seen.
std::vector<LintError> lintText(const std::string& text, int* checked = nullptr);

/// "doc 2 (rollout demo): spec.strategy.canary.steps[0].setWeight: SetWeight needs ..."
std::string formatLintError(const LintError& e);

}  // namespace vane::cli
