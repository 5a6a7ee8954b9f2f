// Argo Rollouts' exact strings: condition types, reasons, messages, pause reasons, event reasons,
// labels and annotations (utils/conditions/conditions.go, pkg/apis/rollouts/v1alpha1/types.go,
// utils/record). printf-style placeholders are filled with vane::controller::format().
#pragma once

#include "base/constants.h"

namespace vane::controller {

// Condition types.
inline constexpr const char* kConditionProgressing = "Progressing";
inline constexpr const char* kConditionAvailable = "Available";
inline constexpr const char* kConditionPaused = "Paused";
inline constexpr const char* kConditionCompleted = "Completed";
inline constexpr const char* kConditionHealthy = "Healthy";
inline constexpr const char* kConditionInvalidSpec = "InvalidSpec";
inline constexpr const char* kConditionReplicaFailure = "ReplicaFailure";

// Progressing reasons and messages.
inline constexpr const char* kReasonNewReplicaSetCreated = "NewReplicaSetCreated";
inline constexpr const char* kMessageNewReplicaSet = "Created new replica set \"%s\"";
inline constexpr const char* kReasonFoundNewRS = "FoundNewReplicaSet";
inline constexpr const char* kMessageFoundNewRS = "Found new replica set \"%s\"";
inline constexpr const char* kReasonReplicaSetUpdated = "ReplicaSetUpdated";
inline constexpr const char* kMessageReplicaSetProgressing = "ReplicaSet \"%s\" is progressing.";
inline constexpr const char* kReasonNewRSAvailable = "NewReplicaSetAvailable";
inline constexpr const char* kMessageRSCompleted = "ReplicaSet \"%s\" has successfully progressed.";
inline constexpr const char* kReasonPaused = "RolloutPaused";
inline constexpr const char* kMessagePaused = "Rollout is paused";
inline constexpr const char* kReasonResumed = "RolloutResumed";
inline constexpr const char* kMessageResumed = "Rollout is resumed";
inline constexpr const char* kReasonRetry = "RolloutRetry";
inline constexpr const char* kMessageRetry = "Retrying Rollout after abort";
inline constexpr const char* kReasonAborted = "RolloutAborted";
inline constexpr const char* kMessageAborted = "Rollout aborted update to revision %d";
/// Set with status.abort by the Alertmanager hook: the alert that caused the abort.
inline constexpr const char* kAnnotationAbortReason = "vane.dev/abort-reason";
inline constexpr const char* kReasonTimedOut = "ProgressDeadlineExceeded";
inline constexpr const char* kMessageRSTimedOut = "ReplicaSet \"%s\" has timed out progressing.";
inline constexpr const char* kReasonRSNotAvailable = "ReplicaSetNotAvailable";
inline constexpr const char* kReasonRSCreateError = "ReplicaSetCreateError";
inline constexpr const char* kMessageRSCreateError = "Failed to create new replica set \"%s\": %s";

// Available.
inline constexpr const char* kReasonAvailable = "AvailableReason";
inline constexpr const char* kMessageAvailable = "Rollout has minimum availability";
inline constexpr const char* kMessageNotAvailable = "Rollout does not have minimum availability";

// Completed / Healthy.
inline constexpr const char* kReasonCompleted = "RolloutCompleted";
inline constexpr const char* kMessageCompleted = "Rollout completed update to revision %d (%s): %s";
inline constexpr const char* kReasonNotCompleted = "RolloutNotCompleted";
inline constexpr const char* kMessageNotCompleted =
    "Rollout not completed, started update to revision %d (%s)";
inline constexpr const char* kReasonHealthy = "RolloutHealthy";
inline constexpr const char* kMessageHealthy = "Rollout is healthy";
inline constexpr const char* kMessageNotHealthy = "Rollout is not healthy";

// Completion causes (suffix of kMessageCompleted).
inline constexpr const char* kCompletedInitialDeploy = "Initial deploy";
inline constexpr const char* kCompletedFullPromotion = "Full promotion requested";
inline constexpr const char* kCompletedFastRollback = "Fast rollback";
inline constexpr const char* kCompletedAllSteps = "Completed all %d canary steps";
inline constexpr const char* kCompletedBlueGreen = "Completed blue-green update";
inline constexpr const char* kCompletedRollbackWindow = "Rollback within window";

// InvalidSpec.
inline constexpr const char* kReasonInvalidSpec = "InvalidSpec";
inline constexpr const char* kMessageInvalidSpec =
    "The Rollout \"%s\" is invalid: %s: Invalid value: \"%s\": %s";
inline constexpr const char* kMessageMissingField = "Rollout has missing field '%s'";
inline constexpr const char* kMessageSelectAll =
    "This rollout is selecting all pods. A non-empty selector is required.";
inline constexpr const char* kMessageSetWeightRange = "SetWeight needs to be between 0 and %d";
inline constexpr const char* kMessageInvalidStep =
    "Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or "
    "pause";
inline constexpr const char* kMessageStepPluginUnsupported =
    "step plugin \"%s\" is not implemented by Vane (step plugins are not supported)";
inline constexpr const char* kMessageRouterUnsupported =
    "traffic router %s is not implemented by Vane (implemented: %s)";
inline constexpr const char* kMessageMetricPluginUnsupported =
    "metric provider plugin \"%s\" is not implemented by Vane (implemented: %s)";
inline constexpr const char* kMessageInvalidDuration = "Duration needs to be greater than 0";
inline constexpr const char* kMessageSurgeUnavailableZero =
    "MaxSurge and MaxUnavailable both can not be zero";
inline constexpr const char* kMessageServicesForTrafficRouting =
    "Canary service and Stable service must to be set to use Traffic Routing";
inline constexpr const char* kMessageSameCanaryStable =
    "This rollout uses the same service for the stable and canary services, but two different "
    "services are required.";
inline constexpr const char* kMessageHeaderRouteNeedsRouting =
    "SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix";
inline constexpr const char* kMessageMirrorRouteNeedsRouting =
    "SetMirrorRoute requires TrafficRouting, supports Istio and Plugins";
inline constexpr const char* kMessageRouteNotManaged =
    "Steps define a route that does not exist in "
    "spec.strategy.canary.trafficRouting.managedRoutes";
inline constexpr const char* kMessageStringMatch =
    "StringMatch match value must have exactly one of the following: exact, regex, prefix";
inline constexpr const char* kMessageDynamicStableScaleDelay =
    "Canary dynamicStableScale cannot be used with scaleDownDelaySeconds";
inline constexpr const char* kMessageSameActivePreview =
    "This rollout uses the same service for the active and preview services, but two different "
    "services are required.";
inline constexpr const char* kMessageScaleDownLimit =
    "This rollout's revision history limit can not be smaller than the rollout's scale down limit";
inline constexpr const char* kMessageAntiAffinityStrategy =
    "AntiAffinity must have exactly one strategy listed";
inline constexpr const char* kMessageAntiAffinityWeight =
    "AntiAffinity weight must be between 1-100";
inline constexpr const char* kMessageManagedByOther =
    "Service \"%s\" is managed by another Rollout";
inline constexpr const char* kMessageBothStrategies = "Multiple Strategies can not be listed";
inline constexpr const char* kMessageTemplateLabels = "`selector` does not match template `labels`";

// Phases and phase messages (utils/rollout/rolloututil.go).
inline constexpr const char* kPhaseHealthy = "Healthy";
inline constexpr const char* kPhaseProgressing = "Progressing";
inline constexpr const char* kPhasePaused = "Paused";
inline constexpr const char* kPhaseDegraded = "Degraded";
inline constexpr const char* kPhaseMsgManuallyPaused = "manually paused";
inline constexpr const char* kPhaseMsgRestarting = "rollout is restarting";
inline constexpr const char* kPhaseMsgMoreReplicas = "more replicas need to be updated";
inline constexpr const char* kPhaseMsgBecomingAvailable =
    "updated replicas are still becoming available";
inline constexpr const char* kPhaseMsgOldPending = "old replicas are pending termination";
inline constexpr const char* kPhaseMsgWaitingSteps = "waiting for all steps to complete";
inline constexpr const char* kPhaseMsgWaitingGeneration =
    "waiting for rollout spec update to be observed";
inline constexpr const char* kPhaseMsgWaitingUnpause = "waiting for rollout to unpause";
inline constexpr const char* kPhaseMsgCutoverPending = "active service cutover pending";
inline constexpr const char* kPhaseMsgWaitingAnalysis = "waiting for analysis to complete";
inline constexpr const char* kPhaseMsgWaitingVerification =
    "waiting for post-promotion verification to complete";

// Pause reasons.
inline constexpr const char* kPauseCanaryStep = "CanaryPauseStep";
inline constexpr const char* kPauseInconclusiveAnalysis = "InconclusiveAnalysisRun";
inline constexpr const char* kPauseInconclusiveExperiment = "InconclusiveExperiment";
inline constexpr const char* kPauseBlueGreen = "BlueGreenPause";

// Abort messages.
inline constexpr const char* kAbortStepAnalysis = "Step-based analysis phase error/failed: %s";
inline constexpr const char* kAbortBackgroundAnalysis =
    "Background analysis phase error/failed: %s";
inline constexpr const char* kAbortPrePromotionAnalysis =
    "Blue/green pre-promotion analysis phase error/failed";
inline constexpr const char* kAbortPostPromotionAnalysis =
    "Blue/green post-promotion analysis phase error/failed";

// Event reasons (utils/record).
inline constexpr const char* kEventRolloutUpdated = "RolloutUpdated";
inline constexpr const char* kEventNewReplicaSetCreated = "NewReplicaSetCreated";
inline constexpr const char* kEventScalingReplicaSet = "ScalingReplicaSet";
inline constexpr const char* kEventRolloutCompleted = "RolloutCompleted";
inline constexpr const char* kEventRolloutStepCompleted = "RolloutStepCompleted";
inline constexpr const char* kEventRolloutPaused = "RolloutPaused";
inline constexpr const char* kEventRolloutResumed = "RolloutResumed";
inline constexpr const char* kEventRolloutAborted = "RolloutAborted";
inline constexpr const char* kEventRolloutRetry = "RolloutRetry";
inline constexpr const char* kEventTrafficWeightUpdated = "TrafficWeightUpdated";
inline constexpr const char* kEventSkipSteps = "SkipSteps";
inline constexpr const char* kEventTrafficRoutingError = "TrafficRoutingError";
inline constexpr const char* kEventAnalysisRunCreated = "AnalysisRunCreated";
inline constexpr const char* kEventSwitchService = "SwitchService";
inline constexpr const char* kMessageSwitchService =
    "Switched selector for service '%s' from '%s' to '%s'";
inline constexpr const char* kMessageStepCompleted = "Rollout step %d/%d completed (%s)";
inline constexpr const char* kMessageRolloutUpdated = "Rollout updated to revision %d";
inline constexpr const char* kMessageSkipStepsRollback = "Rollback to stable ReplicaSets";
inline constexpr const char* kMessageRSCreatedEvent =
    "Created ReplicaSet %s (revision %d) with size %d";
inline constexpr const char* kMessageScaledUp =
    "Scaled up ReplicaSet %s (revision %d) from %d to %d";
// spec.workloadRef (rollout/templateref.go Resolve, validation.InvalidWorkloadRef).
inline constexpr const char* kMessageWorkloadTemplateNotEmpty =
    "template must be empty for workload reference rollout";
inline constexpr const char* kMessageWorkloadNotSupported =
    "workload of type %s/%s is not supported";
inline constexpr const char* kScaleDownOnSuccess = "onsuccess";
inline constexpr const char* kScaleDownProgressively = "progressively";
inline constexpr const char* kMessageScaledDown =
    "Scaled down ReplicaSet %s (revision %d) from %d to %d";

// Labels and annotations (wire contract, argo-rollouts.md 1.7): the names of base/constants.h.
inline constexpr const char* kLabelPodTemplateHash = base::kLabelPodTemplateHash;
inline constexpr const char* kAnnotationRevision = base::kAnnotationRevision;
inline constexpr const char* kAnnotationDesiredReplicas = base::kAnnotationDesiredReplicas;
inline constexpr const char* kAnnotationScaleDownDeadline = base::kAnnotationScaleDownDeadline;
inline constexpr const char* kAnnotationManagedBy = base::kAnnotationManagedBy;
inline constexpr const char* kAnnotationEphemeralMetadata = base::kAnnotationEphemeralMetadata;
inline constexpr const char* kAnnotationWorkloadGeneration = base::kAnnotationWorkloadGeneration;
inline constexpr const char* kLabelInstanceId = base::kLabelInstanceId;
inline constexpr const char* kLabelRolloutType = base::kLabelRolloutType;
inline constexpr const char* kLabelStepIndex = base::kLabelStepIndex;
inline constexpr const char* kRolloutTypeStep = "Step";
inline constexpr const char* kRolloutTypeBackground = "Background";
inline constexpr const char* kRolloutTypePrePromotion = "PrePromotion";
inline constexpr const char* kRolloutTypePostPromotion = "PostPromotion";

}  // namespace vane::controller
