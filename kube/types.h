// Typed, read-only views of the objects the controller works with (Rollout, ReplicaSet, Service,
// Pod), decoded with kube::Decoder so that the first bad field is reported with its path, e.g.
// "spec.strategy.canary.steps[2].setWeight: expected integer, got string".
//
// Structs mirror the API and keep its JSON spelling. Parts the controller does not interpret
// (pod template, anti-affinity, trafficRouting providers, header/mirror routes) are kept as json.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kube/status.h"

namespace vane::kube {

using Labels = std::map<std::string, std::string>;

struct ObjectMeta {
  std::string name, namespace_, uid, resourceVersion, creationTimestamp, deletionTimestamp;
  int64_t generation = 0;
  Labels labels, annotations;
  nlohmann::json ownerReferences = nlohmann::json::array();
};

/// Parses an Argo duration: an integer (seconds), a digit string ("30"), or a Go duration string
/// made of s/m/h units ("30s", "1m30s", "1h"). Returns seconds; kInvalid on anything else or a
/// negative value.
Result<int64_t> parseDurationSeconds(const nlohmann::json& value);

struct RolloutPause {
  std::optional<int64_t> duration;  // seconds; nullopt: indefinite
};

struct SetCanaryScale {
  std::optional<int32_t> weight, replicas;
  bool matchTrafficWeight = false;
};

struct RolloutAnalysis {
  nlohmann::json templates = nlohmann::json::array();
  nlohmann::json args = nlohmann::json::array();
  std::optional<int32_t> startingStep;            // background analysis only
  nlohmann::json raw = nlohmann::json::object();  // as written, for the run builder
};

struct CanaryStep {
  std::optional<int32_t> setWeight;
  std::optional<RolloutPause> pause;
  std::optional<SetCanaryScale> setCanaryScale;
  std::optional<RolloutAnalysis> analysis;
  std::optional<nlohmann::json> experiment, setHeaderRoute, setMirrorRoute, plugin;
  int fieldCount() const;  // how many step kinds are set (validation wants at least one)
};

struct PodTemplateMetadata {
  Labels labels, annotations;
};

/// replicaProgressThreshold: when a ReplicaSet is available enough to count as at its desired
/// size (type "Percent" of the desired count, or "Pods").
struct ReplicaProgressThreshold {
  std::string type;
  int32_t value = 0;
};

struct CanaryStrategy {
  std::vector<CanaryStep> steps;
  nlohmann::json stepsRaw = nlohmann::json::array();       // for the step hash
  std::optional<nlohmann::json> maxSurge, maxUnavailable;  // int or "25%"
  std::string canaryService, stableService;
  std::optional<PodTemplateMetadata> canaryMetadata, stableMetadata;
  bool dynamicStableScale = false;
  std::optional<int32_t> scaleDownDelaySeconds, abortScaleDownDelaySeconds, minPodsPerReplicaSet;
  std::optional<RolloutAnalysis> analysis;
  std::optional<nlohmann::json> trafficRouting;  // as written
  std::vector<std::string> managedRoutes;        // trafficRouting.managedRoutes[].name
  std::optional<nlohmann::json> antiAffinity;    // as written
  std::optional<int32_t> scaleDownDelayRevisionLimit;
  bool pingPong = false;                 // spec.strategy.canary.pingPong is set
  std::string pingService, pongService;  // pingPong.pingService / pongService
  std::optional<ReplicaProgressThreshold> replicaProgressThreshold;
};

struct BlueGreenStrategy {
  std::string activeService, previewService;
  std::optional<bool> autoPromotionEnabled;  // default true
  int32_t autoPromotionSeconds = 0;
  std::optional<int32_t> previewReplicaCount, scaleDownDelaySeconds, scaleDownDelayRevisionLimit,
      abortScaleDownDelaySeconds;
  std::optional<RolloutAnalysis> prePromotionAnalysis, postPromotionAnalysis;
  std::optional<PodTemplateMetadata> previewMetadata, activeMetadata;
  std::optional<nlohmann::json> antiAffinity, maxUnavailable;  // as written
};

struct WorkloadRef {
  std::string apiVersion, kind, name, scaleDown;
};

struct RolloutSpec {
  std::optional<int32_t> replicas;  // nil: the controller writes 1 back
  nlohmann::json selector;          // LabelSelector as written (null when absent)
  nlohmann::json template_ = nlohmann::json::object();
  std::optional<WorkloadRef> workloadRef;
  int32_t minReadySeconds = 0;
  std::optional<int32_t> revisionHistoryLimit;  // default 10
  bool paused = false;
  std::optional<int32_t> progressDeadlineSeconds;  // default 600
  bool progressDeadlineAbort = false;
  std::string restartAt;
  std::optional<int32_t> rollbackWindowRevisions;
  // spec.analysis (AnalysisRunStrategy): runs kept per outcome (default 5 each).
  std::optional<int32_t> successfulRunHistoryLimit, unsuccessfulRunHistoryLimit;
  std::optional<CanaryStrategy> canary;
  std::optional<BlueGreenStrategy> blueGreen;

  int32_t replicasOrDefault() const { return replicas.value_or(1); }
  int32_t progressDeadlineOrDefault() const { return progressDeadlineSeconds.value_or(600); }
};

struct PauseCondition {
  std::string reason, startTime;
};

struct RolloutCondition {
  std::string type, status, lastUpdateTime, lastTransitionTime, reason, message;
};

struct RolloutAnalysisRunStatus {
  std::string name, status, message;
};

struct WeightDestination {
  int32_t weight = 0;
  std::string serviceName, podTemplateHash;
};

struct TrafficWeights {
  WeightDestination canary, stable;
  nlohmann::json additional;  // null when absent
  std::optional<bool> verified;
};

struct CanaryStatus {
  std::optional<RolloutAnalysisRunStatus> currentStepAnalysisRunStatus;
  std::optional<RolloutAnalysisRunStatus> currentBackgroundAnalysisRunStatus;
  std::optional<TrafficWeights> weights;
  std::string currentExperiment;                   // the experiment step's Experiment
  nlohmann::json rest = nlohmann::json::object();  // stablePingPong, ...
};

struct BlueGreenStatus {
  std::optional<RolloutAnalysisRunStatus> prePromotionAnalysisRunStatus;
  std::optional<RolloutAnalysisRunStatus> postPromotionAnalysisRunStatus;
  std::string previewSelector, activeSelector;
  bool scaleUpPreviewCheckPoint = false;
  nlohmann::json rest = nlohmann::json::object();
};

/// All fields of Argo's RolloutStatus; those the controller does not own stay in `rest`.
struct RolloutStatus {
  bool abort = false;
  std::vector<PauseCondition> pauseConditions;
  bool controllerPause = false;
  std::string abortedAt;
  std::string currentPodHash, currentStepHash;
  int32_t replicas = 0, updatedReplicas = 0, readyReplicas = 0, availableReplicas = 0;
  int32_t HPAReplicas = 0;
  std::optional<int32_t> currentStepIndex, collisionCount;
  std::string observedGeneration;
  std::vector<RolloutCondition> conditions;
  CanaryStatus canary;
  BlueGreenStatus blueGreen;
  std::string selector, stableRS, restartedAt, phase, message;
  bool promoteFull = false;
  nlohmann::json rest = nlohmann::json::object();  // alb, albs, duration, ...

  const RolloutCondition* condition(const std::string& type) const;
  bool hasPauseCondition(const std::string& reason) const;
};

/// The status as Argo writes it (omitempty semantics; fields in `rest` carried over).
nlohmann::json toJson(const RolloutStatus& status);

struct Rollout {
  ObjectMeta metadata;
  RolloutSpec spec;
  RolloutStatus status;
};

struct ReplicaSet {
  ObjectMeta metadata;
  int32_t replicas = 0;  // spec.replicas (default 1)
  int32_t minReadySeconds = 0;
  nlohmann::json selector, template_;
  struct {
    int32_t replicas = 0, fullyLabeledReplicas = 0, readyReplicas = 0, availableReplicas = 0;
    int64_t observedGeneration = 0;
  } status;

  std::string podTemplateHash() const;  // label rollouts-pod-template-hash
  std::optional<int64_t> revision() const;
  std::string annotation(const std::string& key) const;
};

struct Service {
  ObjectMeta metadata;
  Labels selector;
};

Result<ObjectMeta> decodeObjectMeta(const nlohmann::json& obj);
Result<Rollout> decodeRollout(const nlohmann::json& obj);
Result<RolloutStatus> decodeRolloutStatus(const nlohmann::json& status);
Result<ReplicaSet> decodeReplicaSet(const nlohmann::json& obj);
Result<Service> decodeService(const nlohmann::json& obj);

/// Pod condition Ready=True and not being deleted.
bool podReady(const nlohmann::json& pod);
/// Ready for at least min_ready_seconds before now (unix seconds).
bool podAvailable(const nlohmann::json& pod, int32_t min_ready_seconds, int64_t now_unix);

/// RFC 3339 UTC ("2026-11-24T19:43:18Z") <-> unix seconds; nullopt when unparsable.
std::optional<int64_t> parseTime(const std::string& rfc3339);
std::string formatTime(int64_t unix_seconds);

/// metadata.ownerReferences with one controlling argoproj.io/v1alpha1 owner (a Rollout or an
/// Experiment), blockOwnerDeletion set, as Argo writes them on what it creates.
nlohmann::json controllerOwnerRefs(const std::string& kind, const std::string& name,
                                   const std::string& uid);

}  // namespace vane::kube
