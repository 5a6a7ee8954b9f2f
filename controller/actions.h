// The writes a plan asks for: one struct per kind of API write, each carrying everything the
// write needs, and `Action`, the variant of them. Planners (planRollout, planBlueGreen,
// planExperiment) push them in the order they must happen; controller/executor.h performs them.
// The executor decides nothing: what a failure or a restart means for the status is stated here
// (the flags below) or applied by the reconciler from the executor's report.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "analysis/run_builder.h"
#include "trafficrouting/types.h"

namespace vane::controller {

// --- ReplicaSets ----------------------------------------------------------------------------

/// Creates the ReplicaSet (AlreadyExists is fine: a stale cache).
struct CreateReplicaSet {
  nlohmann::json object;
};
/// spec.replicas, and `annotations` merged into metadata.annotations (a null value removes one;
/// null or empty: replicas only).
struct ScaleReplicaSet {
  std::string name;
  int32_t replicas = 0;
  nlohmann::json annotations = nullptr;
};
/// Merged into metadata.annotations (a null value removes one).
struct AnnotateReplicaSet {
  std::string name;
  nlohmann::json annotations;
};
/// A merge patch of the ReplicaSet (ephemeral metadata of its pod template).
struct PatchReplicaSet {
  std::string name;
  nlohmann::json patch;
};
/// NotFound is fine.
struct DeleteReplicaSet {
  std::string name;
};

// --- The Rollout, its workload and its pods -------------------------------------------------

/// Merged into the Rollout's metadata.annotations (the revision).
struct AnnotateRollout {
  std::string name;
  nlohmann::json annotations;
};
/// spec.workloadRef scaleDown: the Deployment's spec.replicas. logOnly: a failure is logged and
/// the next reconcile tries again (Argo's progressive scale-down).
struct ScaleDeployment {
  std::string name;
  int32_t replicas = 0;
  bool logOnly = false;
};
/// A merge patch of a pod (ephemeral labels/annotations; NotFound is fine).
struct PatchPod {
  std::string name;
  nlohmann::json patch;
};
/// Deletes the pods of `replicaSets` (uids, restart order) created before restartAt, as many as
/// the budget allows (restart.h restartPods). stopIfRestarted: once a pod is deleted, nothing
/// after this action runs and the reconcile writes no status (Argo rolloutCanary returns: the
/// availability no longer reflects the deleted pods).
struct RestartPods {
  int64_t restartAt = 0;  // unix seconds
  std::vector<std::string> replicaSets;
  int32_t replicas = 0;       // spec.replicas
  int32_t totalReplicas = 0;  // sum of the ReplicaSets' spec.replicas
  int32_t maxUnavailable = 0;
  int32_t minReadySeconds = 0;
  bool stopIfRestarted = false;
};

// --- Services -------------------------------------------------------------------------------

/// The rollouts-pod-template-hash selector, and the managed-by annotation naming `rollout`.
struct PatchServiceSelector {
  std::string service;
  std::string hash;
  std::string rollout;
};
/// An Experiment template's Service. A Service of that name not controlled by the Experiment
/// for this template is reported (ExecReport::servicesTaken), not an error.
struct CreateService {
  std::string name;
  std::string templateName;
  nlohmann::json object;
};
/// NotFound is fine.
struct DeleteService {
  std::string name;
};

// --- Traffic routing (trafficrouting/router.h, in its call order) ----------------------------

struct UpdateHash {
  std::string canary, stable;
  std::vector<trafficrouting::WeightDestination> additional;
};
struct SetWeight {
  int32_t weight = 0;
  std::vector<trafficrouting::WeightDestination> additional;
};
/// A setHeaderRoute or setMirrorRoute step body as written; path names it for errors
/// ("spec.strategy.canary.steps[0].setHeaderRoute").
struct ManagedRouteSpec {
  bool mirror = false;
  nlohmann::json route;
  std::string path;
};
/// The managed routes that must exist now, in precedence order (managedRoutes); every other
/// managed route is removed. Empty: none (full promotion, abort, promoteFull, a canary without
/// available pods). Routers apply it idempotently (router.h syncManagedRoutes).
struct SyncManagedRoutes {
  std::vector<ManagedRouteSpec> routes;
};

// --- AnalysisRuns ---------------------------------------------------------------------------

/// An AnalysisRun built by analysis::buildAnalysisRun from `analysis` (the RolloutAnalysis
/// shape: templates, args, dryRun, measurementRetention, analysisRunMetadata) for the object
/// that owns the plan. AlreadyExists is fine.
struct CreateAnalysisRun {
  std::string name;
  nlohmann::json analysis;
  analysis::RunType type = analysis::RunType::kBackground;
  std::optional<int32_t> stepIndex;
  std::string podHash;
  /// Set for an Experiment's spec.analyses[] entry: the run carries the Experiment's owner
  /// reference and instance id only, and a template error (missing template, bad argument) is
  /// reported under this name (ExecReport::analysisErrors) instead of failing the reconcile.
  std::string experimentAnalysis;
};
/// spec.terminate = true; NotFound is fine.
struct TerminateAnalysisRun {
  std::string name;
};
/// NotFound is fine.
struct DeleteAnalysisRun {
  std::string name;
};

// --- Experiments ----------------------------------------------------------------------------

/// The Experiment of a canary experiment step (rollout_experiment.h); its valueFrom.fieldRef
/// arguments are resolved from the Rollout when executed. AlreadyExists is fine.
struct CreateExperiment {
  std::string name;
  nlohmann::json object;
};
/// spec.terminate = true; NotFound is fine.
struct TerminateExperiment {
  std::string name;
};
/// NotFound is fine.
struct DeleteExperiment {
  std::string name;
};

using Action =
    std::variant<CreateReplicaSet, ScaleReplicaSet, AnnotateReplicaSet, PatchReplicaSet,
                 DeleteReplicaSet, AnnotateRollout, ScaleDeployment, PatchPod, RestartPods,
                 PatchServiceSelector, CreateService, DeleteService, UpdateHash, SetWeight,
                 SyncManagedRoutes, CreateAnalysisRun, TerminateAnalysisRun, DeleteAnalysisRun,
                 CreateExperiment, TerminateExperiment, DeleteExperiment>;

/// The planned actions of type T, in plan order.
template <class T>
std::vector<const T*> actionsOf(const std::vector<Action>& plan) {
  std::vector<const T*> out;
  for (const Action& a : plan) {
    if (const T* t = std::get_if<T>(&a)) out.push_back(t);
  }
  return out;
}

/// The first planned action of type T, or null.
template <class T>
const T* firstAction(const std::vector<Action>& plan) {
  for (const Action& a : plan) {
    if (const T* t = std::get_if<T>(&a)) return t;
  }
  return nullptr;
}

}  // namespace vane::controller
