// The controller's options and the informers its loops share (Argo controller/controller.go
// NewManager: one informer per kind, handed to every controller that reads that kind).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "controller/duration.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/workqueue.h"

namespace vane::controller {

struct ControllerOptions {
  std::string namespace_;  // "" for all namespaces
  std::string instanceId;  // only objects labelled with it; "" only objects without the label
  int workers = 2;
  int analysisWorkers = 2;
  std::string istioApiVersion = "v1alpha3";
  /// Without Istio's CRDs at start, how often to look for them again (Argo: 10 minutes).
  std::chrono::milliseconds istioProbeInterval{std::chrono::minutes(10)};
  std::chrono::seconds resync{900};
  /// Observes each finished rollout reconcile (metrics); may be empty.
  std::function<void(const std::string& key, std::chrono::microseconds, const Status&)> observer;
  /// Observes vane_abort_latency_seconds (AbortLatencyTracker, controller/metrics.h); may be empty.
  std::function<void(double seconds)> abortLatency;
  /// Observes each finished update once (rollout_duration_seconds, ...); may be empty.
  std::function<void(const RolloutDuration&)> rolloutFinished;
};

/// One informer per kind the controllers read. Rollouts, AnalysisRuns and Experiments are
/// filtered by the server on the instance-id label (Argo's instanceID requirement): with
/// --instance-id X only those labelled X, without it only those without the label. Pods serve
/// the restarter only (by owner ReplicaSet); Deployments are those spec.workloadRef names. The
/// Istio kinds are started only where served.
struct SharedInformers {
  SharedInformers(kube::Client& client, const ControllerOptions& options);

  std::unique_ptr<kube::Informer> rollouts, replicaSets, services, analysisRuns, pods, deployments,
      experiments, virtualServices, destinationRules;
};

/// Whether obj belongs to the controller instance instance_id (its instance-id label equals it;
/// "" matches objects without the label).
bool ownedByInstance(const nlohmann::json& obj, const std::string& instance_id);

/// Handlers that queue the key of every object that belongs to instance_id.
kube::EventHandlers enqueueOwnedByInstance(kube::WorkQueue& queue, std::string instance_id);

/// The work queues' rate limits (Argo: 1 ms .. 10 s per key).
kube::WorkQueueOptions controllerQueueOptions();

}  // namespace vane::controller
