// The Experiment controller (Argo experiments/experiment.go, utils/experiment): one ReplicaSet
// per spec.templates[] (`<experiment>-<template>`), scaled to the template's replicas while the
// experiment runs and to 0 once it ends; one AnalysisRun per spec.analyses[]
// (`<experiment>-<analysis>`) started once every template is available; status.phase judged
// from the template statuses and the analyses (Failed/Error/Inconclusive end it early, the
// requiredForCompletion analyses end it when Successful, spec.duration after availableAt).
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
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/status.h"

namespace vane::kube {
class EventRecorder;
}

namespace vane::controller {

inline constexpr const char* kAnnotationExperimentName = "experiment.argoproj.io/name";
inline constexpr const char* kAnnotationExperimentTemplate = "experiment.argoproj.io/template-name";
inline constexpr int32_t kExperimentProgressDeadlineSeconds = 600;

struct ExperimentContext {
  // Inputs.
  nlohmann::json experiment;                          // as read
  std::map<std::string, nlohmann::json> templateRSs;  // by template name
  std::vector<nlohmann::json> analysisRuns;           // owned by the experiment
  int64_t now = 0;                                    // unix seconds
  // Outputs. Actions: kCreateReplicaSet (body), kScaleReplicaSet (name, replicas),
  // kCreateAnalysisRun (name, body: {"analysis": spec.analyses[i] with resolved args,
  // "dryRun", "measurementRetention", "analysisRunMetadata"}), kTerminateAnalysisRun (name).
  nlohmann::json newStatus = nlohmann::json::object();
  std::vector<Action> actions;
  std::vector<Event> events;
  std::optional<int64_t> requeueAt;

  void event(const std::string& type, const std::string& reason, const std::string& message) {
    events.push_back({type, reason, message});
  }
};

/// Plans one reconcile of ctx.experiment. Pure: no I/O.
void planExperiment(ExperimentContext& ctx);

/// Phase is one of Successful, Failed, Error, Inconclusive.
bool experimentCompleted(const std::string& phase);

/// The ReplicaSet of a template: `<experiment>-<template>`, the template's pod template with
/// rollouts-pod-template-hash (label and selector), annotations naming the experiment and the
/// template, owner reference to the Experiment.
nlohmann::json experimentReplicaSet(const nlohmann::json& experiment, const nlohmann::json& tmpl,
                                    int32_t replicas);

struct ExperimentReconcilerDeps {
  kube::Client* client = nullptr;
  kube::Informer* experiments = nullptr;
  kube::Informer* replicaSets = nullptr;
  kube::Informer* analysisRuns = nullptr;
  kube::EventRecorder* events = nullptr;  // optional
  std::function<int64_t()> clock;         // unix seconds; default: wall clock
};

struct ExperimentResult {
  Status status;  // non-ok: requeue with rate limit
  std::optional<std::chrono::seconds> requeueAfter;
};

class ExperimentReconciler {
 public:
  explicit ExperimentReconciler(ExperimentReconcilerDeps deps);
  /// key is "namespace/name". Idempotent; never throws.
  ExperimentResult reconcile(const std::string& key);

 private:
  Status createAnalysisRun(ExperimentContext& ctx, const Action& a);
  ExperimentReconcilerDeps deps_;
};

}  // namespace vane::controller
