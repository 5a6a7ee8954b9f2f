// The Experiment controller (Argo experiments/experiment.go, utils/experiment): one ReplicaSet
// per spec.templates[] (`<experiment>-<template>`), scaled to the template's replicas while the
// experiment runs and to 0 once it ends (after spec.scaleDownDelaySeconds); one AnalysisRun per
// spec.analyses[]
// (`<experiment>-<analysis>`) started once every template is available; status.phase judged
// from the template statuses and the analyses (Failed/Error/Inconclusive end it early, the
// requiredForCompletion analyses end it when Successful, spec.duration after availableAt).
// A template with `service` also gets a Service (experiments/service.go) while it runs, named in
// status.templateStatuses[].serviceName and deleted once its ReplicaSet has no available pods.
//
// status.conditions as Argo writes them: Progressing (ReplicaSetUpdated / NewReplicaSetAvailable /
// ExperimentCompleted) and InvalidSpec.
//
// planExperiment() is pure like planRollout(); ExperimentReconciler reads the caches, performs
// the planned writes and writes the status once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/context.h"
#include "controller/executor.h"
#include "kube/client.h"
#include "kube/controller_runtime.h"
#include "kube/informer.h"
#include "kube/status.h"
#include "kube/types.h"
#include "kube/types_analysisrun.h"
#include "kube/types_experiment.h"

namespace vane::kube {
class EventRecorder;
}

namespace vane::controller {

inline constexpr const char* kAnnotationExperimentName = "experiment.argoproj.io/name";
inline constexpr const char* kAnnotationExperimentTemplate = "experiment.argoproj.io/template-name";
inline constexpr int32_t kExperimentProgressDeadlineSeconds = 600;
/// spec.scaleDownDelaySeconds when unset (DefaultScaleDownDelaySeconds): a finished template's
/// ReplicaSet keeps its pods this long (scale-down-deadline annotation) before going to 0.
inline constexpr int32_t kExperimentScaleDownDelaySeconds = 30;

/// Condition reasons and messages (utils/conditions/experiments.go); %s is the Experiment name,
/// quoted as Go's %q prints it.
inline constexpr const char* kReasonExperimentCompleted = "ExperimentCompleted";
inline constexpr const char* kMessageExperimentProgressing = "Experiment \"%s\" is progressing.";
inline constexpr const char* kMessageExperimentRunning = "Experiment \"%s\" is running.";
inline constexpr const char* kMessageExperimentCompleted =
    "Experiment \"%s\" has successfully ran and completed.";
inline constexpr const char* kMessageExperimentTemplateNameRepeated =
    "Experiment %s has repeated template name '%s' in templates";
inline constexpr const char* kMessageExperimentTemplateNameEmpty =
    "Experiment %s has empty template name at index %d";
inline constexpr const char* kMessageExperimentSelectAll =
    "This experiment is selecting all pods at index %d. A non-empty selector is required.";
inline constexpr const char* kMessageExperimentMinReadyLongerThanDeadline =
    "MinReadySeconds cannot be longer than ProgressDeadlineSeconds. Check template index %d";

struct ExperimentContext {
  // Inputs.
  kube::Experiment experiment;                            // as read (experiment.raw: the json)
  std::map<std::string, kube::ReplicaSet> templateRSs;    // by template name
  std::vector<kube::AnalysisRun> analysisRuns;            // owned by the experiment
  std::map<std::string, kube::Service> templateServices;  // owned Services, by template name
  int64_t now = 0;                                        // unix seconds
  /// Set when the object did not decode (the field path and message): only the InvalidSpec
  /// condition is planned (metadata and status decoded on their own).
  std::string invalidSpecMessage;
  // Outputs. Actions (actions.h): CreateReplicaSet, ScaleReplicaSet (replicas only),
  // AnnotateReplicaSet, CreateAnalysisRun (experimentAnalysis set), TerminateAnalysisRun,
  // CreateService, DeleteService.
  kube::ExperimentStatus newStatus;
  std::vector<Action> actions;
  std::vector<Event> events;
  std::optional<int64_t> requeueAt;

  void event(const std::string& type, const std::string& reason, const std::string& message) {
    events.push_back({type, reason, message});
  }
};

/// Decodes obj into ctx.experiment. A field of the wrong type is not an error: the metadata and
/// the status are decoded alone and ctx.invalidSpecMessage names the field (InvalidSpec). Errors
/// (kInvalid with the field) only when the metadata or the status do not decode.
Status readExperiment(ExperimentContext& ctx, const nlohmann::json& obj);

/// Plans one reconcile of ctx.experiment. Pure: no I/O.
void planExperiment(ExperimentContext& ctx);

/// VerifyExperimentSpec: the InvalidSpec message for the first bad template (no or an empty
/// selector, minReadySeconds beyond progressDeadlineSeconds, an empty or repeated name); "" when
/// valid. An invalid Experiment only gets the InvalidSpec condition (removed once valid).
std::string verifyExperimentSpec(const kube::Experiment& experiment);

/// The ReplicaSet of a template: `<experiment>-<template>`, the template's pod template with
/// rollouts-pod-template-hash (label and selector), annotations naming the experiment and the
/// template, owner reference to the Experiment.
nlohmann::json experimentReplicaSet(const kube::Experiment& experiment,
                                    const kube::ExperimentTemplate& tmpl, int32_t replicas);

/// The Service of a template (createTemplateService): named status-independently as
/// `template.service.name` or else the ReplicaSet's name, selector = the ReplicaSet's labels (the
/// pod template's, with rollouts-pod-template-hash), one port per container port, owned by the
/// Experiment and annotated like the ReplicaSet. nullopt when the containers declare no port
/// (Argo creates no Service then).
std::optional<nlohmann::json> experimentService(const kube::Experiment& experiment,
                                                const kube::ExperimentTemplate& tmpl,
                                                const kube::ReplicaSet& rs);

/// "Failed to create Service %s for template '%s': service %s already exists and is not owned by
/// experiment template %s" (the name is taken by another object).
std::string experimentServiceTakenMessage(const std::string& service, const std::string& tmpl);

/// Pure: what the executor found that the plan could not know. A spec.analyses[] entry whose run
/// could not be created (missing template, bad argument) gets status.analysisRuns[] phase Error;
/// a template whose Service name another object holds gets templateStatuses[] status Error
/// (experiments/service.go CreateService).
void applyExecReport(ExperimentContext& ctx, const ExecReport& report);

struct ExperimentReconcilerDeps {
  kube::Client* client = nullptr;
  kube::Informer* experiments = nullptr;
  kube::Informer* replicaSets = nullptr;
  kube::Informer* analysisRuns = nullptr;
  kube::Informer* services = nullptr;     // optional: without it no template Service is seen
  kube::EventRecorder* events = nullptr;  // optional
  std::function<int64_t()> clock;         // unix seconds; default: wall clock
};

class ExperimentReconciler {
 public:
  explicit ExperimentReconciler(ExperimentReconcilerDeps deps);
  /// key is "namespace/name". Idempotent; never throws. From a cache older than its own last
  /// status write it plans nothing and asks for a requeue after kStaleCacheRequeueDelay.
  kube::ReconcileResult reconcile(const std::string& key);

 private:
  ExperimentReconcilerDeps deps_;
  kube::ResourceVersionTracker written_;  // the stale-cache guard, as for Rollouts
  Executor executor_;
};

}  // namespace vane::controller
