// Labels and annotations that Argo Rollouts writes and reads (the wire contract,
// argo-rollouts.md 1.7; Argo's pkg/apis/rollouts/v1alpha1/types.go and utils/annotations).
// Every folder names them from here.
#pragma once

namespace vane::base {

inline constexpr const char* kLabelPodTemplateHash = "rollouts-pod-template-hash";
inline constexpr const char* kLabelInstanceId = "argo-rollouts.argoproj.io/controller-instance-id";
inline constexpr const char* kLabelRolloutType = "rollout-type";
inline constexpr const char* kLabelStepIndex = "step-index";

inline constexpr const char* kAnnotationRevision = "rollout.argoproj.io/revision";
inline constexpr const char* kAnnotationDesiredReplicas = "rollout.argoproj.io/desired-replicas";
inline constexpr const char* kAnnotationScaleDownDeadline = "scale-down-deadline";
inline constexpr const char* kAnnotationManagedBy = "argo-rollouts.argoproj.io/managed-by-rollouts";
inline constexpr const char* kAnnotationEphemeralMetadata =
    "rollout.argoproj.io/ephemeral-metadata";
inline constexpr const char* kAnnotationWorkloadGeneration =
    "rollout.argoproj.io/workload-generation";

}  // namespace vane::base
