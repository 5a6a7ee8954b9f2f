// Spec validation with Argo's rules and messages (pkg/apis/rollouts/validation/validation.go),
// one implementation for the controller (the InvalidSpec condition names the first error) and
// for `kubectl vane lint` (every error, offline).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/types.h"

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

}  // namespace vane::controller
