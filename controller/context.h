// One RolloutContext per reconcile (Argo rollout/context.go): the objects read from the caches,
// the intents collected by each concern (pause, abort, scaling, services, traffic, analysis) and
// the status computed from them. planRollout() is pure: it fills `actions` (API writes, in the
// order they must happen, controller/actions.h) and `newStatus`; the Reconciler performs the
// actions through the Executor and writes the status once.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/actions.h"
#include "controller/duration.h"
#include "kube/types.h"
#include "kube/types_analysisrun.h"
#include "kube/types_experiment.h"

namespace vane::controller {

struct Event {
  std::string type;  // Normal | Warning
  std::string reason, message;
};

/// Pause/abort intents, applied to the status by calculatePauseStatus() (Argo pauseContext).
struct PauseIntent {
  std::vector<std::string> add, remove;
  bool clearAll = false;
  bool addAbort = false, removeAbort = false;
  std::string abortMessage;
};

struct RolloutContext {
  // Inputs.
  kube::Rollout rollout;
  std::vector<kube::ReplicaSet> allRSs;         // owned by the rollout
  std::vector<kube::AnalysisRun> analysisRuns;  // owned by the rollout
  std::vector<kube::Experiment> experiments;    // owned by the rollout
  int64_t now = 0;                              // unix seconds
  bool servicesExist = true;         // canary/stable Services referenced by the spec were found
  std::string invalidSpecMessage;    // from validate(); empty when valid
  nlohmann::json workload;           // the object spec.workloadRef names, once resolved; else null
  std::vector<nlohmann::json> pods;  // pods of allRSs; only read with ephemeral metadata

  // Derived.
  std::string desiredHash;  // pod-template hash of spec.template
  const kube::ReplicaSet* newRS = nullptr;
  const kube::ReplicaSet* stableRS = nullptr;
  std::vector<const kube::ReplicaSet*> otherRSs;
  std::vector<std::string> serviceHashes;  // selectors of the strategy's Services (planServices)
  const kube::Experiment* currentExperiment = nullptr;  // in `experiments`, set by planExperiments
  kube::ReplicaSet createdRS;  // the RS planned for creation (newRS points here when created)

  // Intents and outputs.
  PauseIntent pause;
  kube::RolloutStatus newStatus;
  std::optional<bool> weightVerified;
  std::vector<Action> actions;
  std::vector<Event> events;
  std::optional<int64_t> requeueAt;  // unix seconds
  // An update that finished in this reconcile (duration.h): observed once the status is written.
  std::optional<RolloutDuration> completedDuration;

  void requeueNoLaterThan(int64_t at) {
    if (!requeueAt || at < *requeueAt) requeueAt = at;
  }
  void event(const std::string& type, const std::string& reason, const std::string& message) {
    events.push_back({type, reason, message});
  }
  bool isAborted() const { return pause.addAbort || (rollout.status.abort && !pause.removeAbort); }
};

/// printf-style formatting for the message constants of conditions.h.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace vane::controller
