// The canary `experiment` step (Argo rollout/experiment.go): on entering the step the Experiment
// `<rollout>-<hash>-<revision>-<stepIndex>` is created from step.experiment (through
// CreateExperiment) and tracked in status.canary.currentExperiment; the step completes
// when it is Successful; Failed/Error abort the rollout, Inconclusive pauses it
// (InconclusiveExperiment). Experiments that are no longer current (step left, promote, abort,
// promote --full, new revision) are terminated (spec.terminate=true), and old ones beyond the
// spec.analysis history limits deleted (kDeleteExperiment).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/context.h"
#include "kube/status.h"

namespace vane::controller {

inline constexpr const char* kEventExperimentCreated = "ExperimentCreated";
/// DefaultAnalysisRunSuccessfulHistoryLimit / ...UnsuccessfulHistoryLimit, which Argo applies to
/// Experiments too.
inline constexpr int32_t kExperimentHistoryLimit = 5;
inline constexpr const char* kAbortExperiment = "Experiment analysis phase is error/failed";

/// reconcileExperiments: sets ctx.currentExperiment, plans creation and termination, and the
/// pause/abort the current Experiment's phase calls for.
void planExperiments(RolloutContext& ctx);

/// calculateWeightDestinationsFromExperiment (rollout/trafficrouting.go): while the current
/// Experiment is Running, one destination per template status whose template has a `weight` in
/// the experiment step (the current one or the closest before it), in templateStatuses order:
/// {weight, serviceName, podTemplateHash}. (Vane) a template without a Service yet (no container
/// port) is left out: the router could not route to it (argo-rollouts #4890).
std::vector<kube::WeightDestination> experimentWeightDestinations(const RolloutContext& ctx);

/// Validation of the experiment step templates' `weight` (validation.go): Argo's messages.
inline constexpr const char* kMessageExperimentWeightWithoutRouting =
    "Experiment template weight cannot be set unless TrafficRouting is enabled";
inline constexpr const char* kMessageExperimentWeightUnsupportedRouting =
    "Experiment template weight is only available for TrafficRouting with SMI, ALB, Istio and "
    "Plugins at this time";

/// FilterExperimentsToDelete (utils/experiment/filter.go) over `others` (the Experiments that are
/// not current), newest first: one without a pod-template-hash label, or whose hash has no
/// ReplicaSet (or one being deleted), goes; of the rest the Successful ones beyond `successful`
/// and the Failed/Error/Inconclusive ones beyond `unsuccessful` go (spec.analysis
/// successfulRunHistoryLimit / unsuccessfulRunHistoryLimit, default 5 each). Experiments already
/// being deleted are left out.
std::vector<std::string> experimentsToDelete(const RolloutContext& ctx,
                                             const std::vector<const kube::Experiment*>& others,
                                             int32_t successful, int32_t unsuccessful);

/// The current step is an experiment step and its Experiment is Successful.
bool experimentStepCompleted(const RolloutContext& ctx);

/// GetExperimentFromTemplate for the current step (pure; needs ctx.stableRS and ctx.newRS).
/// Errors name the step field, e.g. steps[1].experiment.templates[0].specRef.
Result<nlohmann::json> experimentFromStep(const RolloutContext& ctx, const std::string& name);

/// Replaces valueFrom.fieldRef arguments of spec.analyses[] with their value read from the
/// Rollout object (done when the create is executed: the plan only sees the decoded Rollout).
Status resolveExperimentFieldRefs(nlohmann::json& experiment, const nlohmann::json& rollout);

}  // namespace vane::controller
