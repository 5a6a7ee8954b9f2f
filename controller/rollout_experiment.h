// The canary `experiment` step (Argo rollout/experiment.go): on entering the step the Experiment
// `<rollout>-<hash>-<revision>-<stepIndex>` is created from step.experiment (through
// Action::kCreateExperiment) and tracked in status.canary.currentExperiment; the step completes
// when it is Successful; Failed/Error abort the rollout, Inconclusive pauses it
// (InconclusiveExperiment). Experiments that are no longer current (step left, promote, abort,
// promote --full, new revision) are terminated (spec.terminate=true).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "controller/context.h"
#include "kube/status.h"

namespace vane::controller {

inline constexpr const char* kEventExperimentCreated = "ExperimentCreated";
inline constexpr const char* kAbortExperiment = "Experiment analysis phase is error/failed";

/// reconcileExperiments: sets ctx.currentExperiment, plans creation and termination, and the
/// pause/abort the current Experiment's phase calls for.
void planExperiments(RolloutContext& ctx);

/// The current step is an experiment step and its Experiment is Successful.
bool experimentStepCompleted(const RolloutContext& ctx);

/// GetExperimentFromTemplate for the current step (pure; needs ctx.stableRS and ctx.newRS).
/// Errors name the step field, e.g. steps[1].experiment.templates[0].specRef.
Result<nlohmann::json> experimentFromStep(const RolloutContext& ctx, const std::string& name);

/// Replaces valueFrom.fieldRef arguments of spec.analyses[] with their value read from the
/// Rollout object (done when the create is executed: the plan only sees the decoded Rollout).
Status resolveExperimentFieldRefs(nlohmann::json& experiment, const nlohmann::json& rollout);

}  // namespace vane::controller
