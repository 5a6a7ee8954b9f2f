// Spec validation with Argo's rules and messages (pkg/apis/rollouts/validation/validation.go),
// one implementation for the controller (the InvalidSpec condition names the first error) and
// for `kubectl vane lint` (every error, offline).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/types.h"
#include "trafficrouting/router.h"

namespace vane::controller {

/// One violation, as a Kubernetes field.Error: Invalid (with the bad value) or Required.
struct SpecError {
  std::string field;     // e.g. spec.strategy.canary.steps[2].setWeight
  std::string detail;    // Argo's message
  nlohmann::json value;  // the offending value; null for Required
  bool required = false;
  /// `<field>: Invalid value: <value>: <detail>` or `<field>: Required value: <detail>`.
  std::string toString() const;
};

/// Every violation of the decoded spec, in Argo's order (selector, strategy, steps).
std::vector<SpecError> validateRolloutSpec(const kube::Rollout& rollout);

/// The InvalidSpec message for the first violation: `The Rollout "<name>" is invalid:
/// <error>`; "" when the spec is valid.
std::string validateRollout(const kube::Rollout& rollout);

/// InvalidSpec message when spec.strategy.canary.trafficRouting names a router, or a router
/// plugin (plugins["<name>"]), that `routers` has no factory for; "" otherwise. Argo would load
/// the plugin from its ConfigMap; Vane refuses the Rollout rather than fail every reconcile.
std::string validateTrafficRouters(const kube::Rollout& rollout,
                                   const trafficrouting::RouterRegistry& routers);

/// The metric provider plugins Vane implements (provider.plugin["<name>"]).
const std::vector<std::string>& implementedMetricPlugins();

/// The AnalysisTemplates (namespaced or cluster-scoped) the Rollout's analyses can run: canary
/// background and step analyses, experiment step analyses, blue-green pre/post-promotion. Each
/// with the field path of the reference.
struct TemplateRef {
  std::string name;
  bool clusterScope = false;
  std::string field;  // e.g. spec.strategy.canary.steps[1].analysis.templates[0]
};
std::vector<TemplateRef> referencedTemplates(const kube::Rollout& rollout);

/// InvalidSpec message when `tmpl` (an AnalysisTemplate or ClusterAnalysisTemplate object,
/// referenced at ref.field) has a metric whose provider.plugin names a plugin Vane does not
/// implement; "" otherwise.
std::string validateMetricPlugins(const kube::Rollout& rollout, const TemplateRef& ref,
                                  const nlohmann::json& tmpl);

}  // namespace vane::controller
