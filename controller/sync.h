// Status concern (Argo rollout/sync.go, utils/conditions, utils/rollout/rolloututil.go): the
// base status (counts, hashes, selector), the conditions with Argo's reasons and messages,
// progress-deadline tracking, and phase/message.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "controller/context.h"

namespace vane::controller {

/// SetRolloutCondition: no-op when status and reason are unchanged; keeps lastTransitionTime
/// when only the reason changes. Returns true when the condition changed.
bool setCondition(kube::RolloutStatus& status, kube::RolloutCondition cond, int64_t now);
void removeCondition(kube::RolloutStatus& status, const std::string& type);

/// metav1.FormatLabelSelector ("app=x,tier in (a,b)").
std::string formatLabelSelector(const nlohmann::json& selector);

/// Counts and hashes of the new status (calculateBaseStatus + syncRolloutStatusCanary head).
void calculateBaseStatus(RolloutContext& ctx);

/// Paused/Progressing/Available/Completed/Healthy/aborted conditions and the progress deadline
/// (which may add an abort with progressDeadlineAbort). Requeues at the deadline.
void calculateConditions(RolloutContext& ctx);

/// CalculateRolloutPhase: {phase, message}.
std::pair<std::string, std::string> calculatePhase(const kube::Rollout& rollout,
                                                   const kube::RolloutStatus& status);

/// The status of an invalid spec: InvalidSpec condition, phase Degraded, nothing else changed.
void planInvalidSpec(RolloutContext& ctx);

/// Finishes the status: pause status, conditions, phase/message, observedGeneration.
void finishStatus(RolloutContext& ctx);

}  // namespace vane::controller
